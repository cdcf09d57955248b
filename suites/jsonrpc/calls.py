"""Shared by the JSON-RPC checks: requests in either profile, reading responses, and
the basic call every other check leans on.

Responses are read as a stream of JSON values with the strict decoder of
:mod:`reference_impls.jsoncodec`; a value's members are looked at as parsed, so the
checks of the exact text (key order, spelling) look at the bytes.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import ConformanceFailure
from harness.targets import Target
from harness.wire import TcpConnection, Wire
from reference_impls.jsoncodec import marshal
from suites.jsonvalues import JSONValues, complete

__all__ = [
    "BASIC_IDS",
    "NO_ID",
    "Replies",
    "arith_or_skip",
    "check_result",
    "divide",
    "multiply",
    "read_values",
    "request",
]

#: The requirement, per profile, that every other check leans on: Multiply answered.
BASIC_IDS = {
    "1.0": "jsonrpc/go-net-rpc-jsonrpc/arith/multiply-and-divide",
    "2.0": "jsonrpc/jsonrpc-2.0/5/result-on-success",
}


class _NoId:
    def __repr__(self) -> str:
        return "NO_ID"


#: Leave the id member out (a 2.0 notification; in 1.0, Go answers it with id null).
NO_ID: Any = _NoId()


def request(profile: str, method: str, params: Any, rid: Any = 0) -> bytes:
    """One request as Go's client writes it (1.0: ``params`` is the one-element array's
    element), ``rid`` NO_ID for none; a newline after it, as json.Encoder writes."""
    body = b'"method":' + marshal(method) + b',"params":' + marshal(params)
    if profile == "2.0":
        body = b'"jsonrpc":"2.0",' + body
    if rid is not NO_ID:
        body += b',"id":' + marshal(rid)
    return b"{" + body + b"}\n"


def multiply(profile: str, a: int, b: int, rid: Any = 0) -> bytes:
    return request(profile, "Arith.Multiply", [{"A": a, "B": b}], rid)


def divide(profile: str, a: int, b: int, rid: Any = 0) -> bytes:
    return request(profile, "Arith.Divide", [{"A": a, "B": b}], rid)


class Replies(JSONValues):
    """The responses decoded from what came back, and how the stream went."""

    noun = "response"

    def need(self, count: int, expected: str) -> list[Any]:
        """The first ``count`` values, or a failure saying what came instead."""
        __tracebackhide__ = True
        if len(self.values) < count:
            raise ConformanceFailure(expected, self.describe(count))
        return self.values[:count]


def read_values(conn: TcpConnection, count: int, *, timeout: float | None = None) -> Replies:
    """Read until ``count`` whole values came back (or an error, a close, silence)."""
    return Replies(conn.receive(until=complete(count), timeout=timeout), count)


def send_and_read(conn: TcpConnection, payload: bytes, count: int) -> Replies:
    conn.send(payload)
    return read_values(conn, count)


def check_result(value: Any, rid: Any, result: Any, expected: str) -> None:
    """``value`` must be a response to ``rid`` carrying ``result`` and no error."""
    __tracebackhide__ = True
    if not isinstance(value, dict):
        raise ConformanceFailure(expected, f"a response that is not an object: {value!r:.200}")
    if value.get("id") != rid or type(value.get("id")) is not type(rid):
        raise ConformanceFailure(
            expected, f"a response with id {value.get('id')!r}: {value!r:.200}"
        )
    if value.get("error") is not None or value.get("result") != result:
        raise ConformanceFailure(expected, f"the response {value!r:.200}")


#: Targets (host, port, profile) whose Multiply did not work in this process.
_BROKEN: set[tuple[str, int, str]] = set()


def arith_or_skip(wire: Wire, target: Target, profile: str) -> None:
    """``Arith.Multiply`` of 7 and 8 must give 56 on a new connection; skip otherwise.

    Checks of anything else need a target that answers a plain call at all: one that
    does not is reported once, by the basic check, not again by every check.
    """
    basic = BASIC_IDS[profile]
    key = (*target.address, profile)
    if key in _BROKEN:
        pytest.skip(f"Arith.Multiply was not answered earlier ({basic} reports that)")
    conn = wire.connect(target)
    replies = send_and_read(conn, multiply(profile, 7, 8), 1)
    conn.close()
    ok = False
    if len(replies.values) == 1 and isinstance(replies.values[0], dict):
        value = replies.values[0]
        ok = value.get("id") == 0 and value.get("result") == 56
    if not ok:
        _BROKEN.add(key)
        pytest.skip(f"Arith.Multiply was not answered ({basic} reports that)")

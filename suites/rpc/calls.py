"""Shared by the net/rpc checks: dialling (raw or HTTP CONNECT), requests, responses.

Requests are what Go's client sends (the reference gob :class:`~reference_impls.gob.
Encoder`, byte for byte Go's). Responses are read with the gob suite's checking
reader (:class:`suites.gob.persons.Replies`): it reads every message by its content,
notes flaws of the stream (types defined twice, used before definition, wrong
lengths) and still yields the values, headers and bodies as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Observation, TcpConnection, Wire
from reference_impls.gob import Encoder
from reference_impls.rpc.protocol import (
    DEFAULT_RPC_PATH,
    HTTP_CONNECTED,
    Args,
    Request,
    connect_request,
)
from suites.gob.persons import Replies

__all__ = [
    "ARITH_ID",
    "CONNECT_ID",
    "PKG_REF",
    "VIA",
    "Answer",
    "Caller",
    "arith_or_skip",
    "open_rpc",
    "responses",
]

#: The requirement every other check leans on: Arith.Multiply answered.
ARITH_ID = "rpc/go-net-rpc/overview/arith-multiply"
#: The HTTP handshake; checks over http:// lean on it too.
CONNECT_ID = "rpc/go-net-rpc/overview/http-connect"
PKG_REF = "Go net/rpc package documentation (server.go)"
#: What the target must serve, for failure messages.
NEEDS = (
    "the target must register the Arith service of Go's net/rpc documentation "
    "(Arith.Multiply and Arith.Divide over Args{A, B int})"
)

#: Each call check runs on every target given: raw TCP and HTTP CONNECT.
VIA = [
    pytest.param("tcp", marks=pytest.mark.scheme("tcp"), id="tcp"),
    pytest.param("http", marks=pytest.mark.scheme("http"), id="http"),
]

_NO_ARITH: set[tuple[str, int]] = set()
_NO_CONNECT: set[tuple[str, int]] = set()


def rpc_path(target: Target) -> str:
    return target.path or DEFAULT_RPC_PATH


def handshake(conn: TcpConnection, target: Target) -> Observation:
    """Send ``rpc.DialHTTP``'s CONNECT; what came back, up to the end of its head."""
    conn.send(connect_request(rpc_path(target)))
    return conn.receive(until=lambda got: b"\n\n" in got or b"\r\n\r\n" in got)


def open_rpc(wire: Wire, target: Target) -> TcpConnection:
    """A connection speaking gob RPC: over http://, after the CONNECT handshake."""
    if target.scheme == "http" and target.address in _NO_CONNECT:
        pytest.skip(f"the HTTP CONNECT handshake failed earlier ({CONNECT_ID} reports that)")
    conn = wire.connect(target)
    if target.scheme == "http":
        observed = handshake(conn, target)
        if observed.received != HTTP_CONNECTED:
            _NO_CONNECT.add(target.address)
            pytest.skip(f"the HTTP CONNECT handshake failed ({CONNECT_ID} reports that)")
    return conn


@dataclass(frozen=True)
class Answer:
    """One response: its header's fields and its body, as plain data."""

    service_method: str
    seq: int
    error: str
    body: Any


class Caller:
    """Requests on one connection, from one gob Encoder, as Go's client sends them."""

    def __init__(self) -> None:
        self.encoder = Encoder()

    def request(self, name: str, seq: int, body: Any) -> bytes:
        return self.encoder.encode(Request(name, seq)) + self.encoder.encode(body)


def _answers(replies: Replies) -> list[Answer]:
    values = replies.values
    out = []
    for i in range(0, len(values) - 1, 2):
        header = values[i]
        if not isinstance(header, dict):
            break
        out.append(
            Answer(
                str(header.get("ServiceMethod", "")),
                int(header.get("Seq", 0)),
                str(header.get("Error", "")),
                values[i + 1],
            )
        )
    return out


def _enough(count: int) -> Callable[[bytes], bool]:
    def enough(received: bytes) -> bool:
        replies = Replies(Observation(received, End.OPEN, 0.0), 2 * count)
        return replies.error is not None or len(replies.values) >= 2 * count

    return enough


@dataclass
class Responses:
    """What came back for ``count`` requests."""

    replies: Replies
    answers: list[Answer]
    observed: Observation

    def by_seq(self) -> dict[int, Answer]:
        return {a.seq: a for a in self.answers}

    def describe(self, count: int) -> str:
        why = f"; {self.replies.error}" if self.replies.error else ""
        return f"{len(self.answers)} of {count} responses: {self.observed.describe()}{why}"


def responses(conn: TcpConnection, count: int) -> Responses:
    """Read until ``count`` whole responses (or a close, silence, bytes that are not gob)."""
    observed = conn.receive(until=_enough(count))
    replies = Replies(observed, 2 * count)
    return Responses(replies, _answers(replies), observed)


def call_and_read(
    conn: TcpConnection, caller: Caller, calls: list[tuple[str, int, Any]]
) -> Responses:
    conn.send(b"".join(caller.request(*call) for call in calls))
    return responses(conn, len(calls))


def arith_or_skip(wire: Wire, target: Target) -> None:
    """Arith.Multiply must be answered on a new connection; skip otherwise, pointing at
    the check that reports it (once it has failed, later checks skip at once)."""
    if target.address in _NO_ARITH:
        pytest.skip(f"Arith.Multiply was not answered earlier ({ARITH_ID} reports that)")
    conn = open_rpc(wire, target)
    got = call_and_read(conn, Caller(), [("Arith.Multiply", 1, Args(6, 7))])
    conn.close()
    ok = got.answers[:1] == [Answer("Arith.Multiply", 1, "", 42)]
    if not ok:
        _NO_ARITH.add(target.address)
        pytest.skip(f"Arith.Multiply was not answered ({ARITH_ID} reports that; {NEEDS})")


def expect_answer(got: Responses, want: Answer, expected: str) -> None:
    """Fail unless the first response is ``want``."""
    __tracebackhide__ = True
    if not got.answers:
        fail(expected, got.describe(1))
    if got.answers[0] != want:
        fail(expected, f"{got.answers[0]}")

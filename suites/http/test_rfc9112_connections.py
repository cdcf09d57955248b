"""RFC 9112 §3.2, §9: request targets, Host, and connection management.

A request without Host (or with two) is refused with 400; the absolute-form is
accepted; ``Connection: close`` closes; connections persist; pipelined requests are
answered in order.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from suites.http.client import (
    ResponseReader,
    describe,
    host_header,
    request,
    require_response,
    send_and_read,
)

MISSING = "/wirecert-missing-5c21e0"

HOST_CASES = {
    "missing": lambda t, path: f"GET {path} HTTP/1.1\r\n\r\n".encode(),
    "repeated": lambda t, path: (
        f"GET {path} HTTP/1.1\r\nHost: {host_header(t)}\r\nHost: other.invalid\r\n\r\n"
    ).encode(),
}


@pytest.mark.requirement(
    "http/rfc9112/3.2/host-required",
    level="MUST",
    ref="RFC 9112 §3.2",
    quote="A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request "
    "message that lacks a Host header field and to any request message that contains more "
    "than one Host header field line",
)
@pytest.mark.parametrize("case", list(HOST_CASES))
def test_host_required(target: Target, wire: Wire, wirecert: CheckContext, case: str) -> None:
    """GET --http-path HTTP/1.1 without a Host field, or with two."""
    path = wirecert.option("path")
    response, reader = send_and_read(wire, target, HOST_CASES[case](target, path))
    if response is None or response.status != 400:
        fail(f"a 400 response to a request with Host {case}", describe(response, reader))


@pytest.mark.requirement(
    "http/rfc9112/3.2.2/absolute-form",
    level="MUST",
    ref="RFC 9112 §3.2.2",
    quote="a server MUST accept the absolute-form in requests even though most HTTP/1.1 "
    "clients will only send the absolute-form to a proxy.",
)
def test_absolute_form(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path in origin-form, then GET scheme://host:port/path (absolute-form)
    on a new connection; both must get the same status."""
    path = wirecert.option("path")
    origin, reader = send_and_read(wire, target, request(target, "GET", path, close=True))
    origin = require_response(origin, reader, f"GET {path}")
    absolute_target = f"{target.scheme}://{host_header(target)}{path}"
    response, reader = send_and_read(
        wire, target, request(target, "GET", absolute_target, close=True)
    )
    if response is None or response.status != origin.status:
        fail(
            f"the status GET {path} got ({origin.status}), for GET {absolute_target}",
            describe(response, reader),
        )


@pytest.mark.requirement(
    "http/rfc9112/9.6/connection-close",
    level="MUST",
    ref="RFC 9112 §9.6",
    quote='A server that receives a "close" connection option MUST initiate closure of the '
    "connection (see below) after it sends the final response to the request that contained "
    'the "close" connection option.',
)
def test_connection_close(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path with Connection: close; read the response, then wait."""
    path = wirecert.option("path")
    response, reader = send_and_read(wire, target, request(target, "GET", path, close=True))
    response = require_response(response, reader, f"GET {path} with Connection: close")
    end = reader.wait_end()
    if end not in (End.FIN, End.RST):
        fail(
            "the connection closed after the response",
            f"{response.summary()}, then {end.describe()}",
        )


@pytest.mark.requirement(
    "http/rfc9112/9.3/persistent-connections",
    level="SHOULD",
    ref="RFC 9112 §9.3",
    quote="HTTP implementations SHOULD support persistent connections.",
)
def test_persistent(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path, wait for the response, then GET it again on the same connection."""
    path = wirecert.option("path")
    conn = wire.connect(target)
    reader = ResponseReader(conn)
    for attempt in ("first", "second"):
        conn.send(request(target, "GET", path))
        response = reader.read()
        if response is None or (attempt == "first" and response.closes()):
            fail(
                f"a response to the {attempt} GET {path}, the connection kept open",
                describe(response, reader)
                + (" (with Connection: close)" if response is not None else ""),
            )


@pytest.mark.requirement(
    "http/rfc9112/9.3.2/pipelined-in-order",
    level="MUST",
    ref="RFC 9112 §9.3.2",
    quote="A server MAY process a sequence of pipelined requests in parallel if they all "
    "have safe methods (Section 9.2.1 of [HTTP]), but it MUST send the corresponding "
    "responses in the same order that the requests were received.",
)
def test_pipelined_in_order(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path and GET a missing name one at a time (to learn their answers),
    then GET missing, GET path, GET missing (Connection: close) in one write."""
    path = wirecert.option("path")
    expected: dict[str, tuple[int, int]] = {}
    for sent in (path, MISSING):
        alone, reader = send_and_read(wire, target, request(target, "GET", sent, close=True))
        alone = require_response(alone, reader, f"GET {sent}")
        expected[sent] = (alone.status, len(alone.body))
    if expected[path] == expected[MISSING]:
        pytest.skip(f"GET {path} and GET {MISSING} are answered alike: order cannot be seen")
    order = (MISSING, path, MISSING)
    conn = wire.connect(target)
    conn.send(
        request(target, "GET", MISSING)
        + request(target, "GET", path)
        + request(target, "GET", MISSING, close=True)
    )
    reader = ResponseReader(conn)
    got: list[str] = []
    for sent in order:
        response = reader.read()
        if response is None:
            break
        got.append(f"{response.status} ({len(response.body)} octets)")
        if (response.status, len(response.body)) != expected[sent]:
            want = [f"{expected[s][0]} ({expected[s][1]} octets)" for s in order]
            fail(
                f"responses in request order: {', '.join(want)} (GET {', GET '.join(order)})",
                f"{', '.join(got)}",
            )
        if response.closes():
            break
    if not got:
        fail("a response to the first pipelined request", describe(None, reader))

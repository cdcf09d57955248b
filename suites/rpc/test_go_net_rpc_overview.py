"""Go net/rpc package documentation, the overview: the Arith example, called as Go's
client calls it, raw (``rpc.Dial``) and over HTTP CONNECT (``rpc.DialHTTP``).

The target must register the Arith service of the documentation (see ``__init__``).
"""

from __future__ import annotations

import pytest

from harness.fuzzers.streams import WRITE_PATTERNS, cut
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.rpc.protocol import HTTP_CONNECTED, Args
from suites.rpc.calls import (
    ARITH_ID,
    CONNECT_ID,
    NEEDS,
    PKG_REF,
    VIA,
    Answer,
    Caller,
    arith_or_skip,
    call_and_read,
    expect_answer,
    handshake,
    open_rpc,
    responses,
    rpc_path,
)

ARITH_SEEN = (
    'At this point, clients can see a service "Arith" with methods "Arith.Multiply" and '
    '"Arith.Divide".'
)


@pytest.mark.requirement(
    ARITH_ID, level="MUST", ref=f"{PKG_REF}, the Arith example", quote=ARITH_SEEN
)
@pytest.mark.parametrize("via", VIA)
def test_arith_multiply(target: Target, wire: Wire, via: str) -> None:
    """Call Arith.Multiply with Args{7, 8} (Seq 0, as Go's first call); the response must
    name the method, echo Seq 0, carry no error, and the reply must be 56."""
    conn = open_rpc(wire, target)
    got = call_and_read(conn, Caller(), [("Arith.Multiply", 0, Args(7, 8))])
    expected = f"a response Arith.Multiply, Seq 0, no error, reply 56 ({NEEDS})"
    expect_answer(got, Answer("Arith.Multiply", 0, "", 56), expected)


@pytest.mark.requirement(
    "rpc/go-net-rpc/overview/arith-divide",
    level="MUST",
    ref=f"{PKG_REF}, the Arith example",
    quote=ARITH_SEEN,
)
@pytest.mark.parametrize("via", VIA)
def test_arith_divide(target: Target, wire: Wire, via: str) -> None:
    """Call Arith.Divide with Args{17, 8}; the reply must be Quotient{2, 1}."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    got = call_and_read(conn, Caller(), [("Arith.Divide", 3, Args(17, 8))])
    want = Answer("Arith.Divide", 3, "", {"Quo": 2, "Rem": 1})
    expect_answer(got, want, "a response Arith.Divide, Seq 3, no error, Quotient{Quo: 2, Rem: 1}")


@pytest.mark.requirement(
    "rpc/go-net-rpc/overview/method-error-returned",
    level="MUST",
    ref=f'{PKG_REF}; the Arith example\'s Divide returns errors.New("divide by zero")',
    quote=(
        "The method's return value, if non-nil, is passed back as a string that the client "
        "sees as if created by errors.New.  If an error is returned, the reply parameter "
        "will not be sent back to the client."
    ),
)
@pytest.mark.parametrize("via", VIA)
def test_method_error_is_returned(target: Target, wire: Wire, via: str) -> None:
    """Call Arith.Divide with Args{1, 0}: the response's Error must be "divide by zero"
    and no Quotient may come with it (Go sends the empty struct)."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    got = call_and_read(conn, Caller(), [("Arith.Divide", 4, Args(1, 0))])
    expected = 'a response Seq 4 with Error "divide by zero" and an empty body'
    expect_answer(got, Answer("Arith.Divide", 4, "divide by zero", {}), expected)


@pytest.mark.requirement(
    "rpc/go-net-rpc/overview/pipelined-calls",
    level="MUST",
    ref=f"{PKG_REF}; Go's client pipelines calls on one connection and matches by Seq",
    quote=(
        "The Call method waits for the remote call to complete while the Go method "
        "launches the call asynchronously and signals completion using the Call "
        "structure's Done channel."
    ),
)
@pytest.mark.parametrize("via", VIA)
def test_a_hundred_calls_without_waiting(target: Target, wire: Wire, via: str) -> None:
    """Send a hundred Arith.Multiply calls in one write, without waiting; each must be
    answered once, in any order, with the product for its Seq."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    calls = [("Arith.Multiply", seq, Args(seq, 3)) for seq in range(100)]
    got = call_and_read(conn, Caller(), calls)
    expected = "100 responses, each Seq once with its product (any order)"
    if len(got.answers) < len(calls):
        fail(expected, got.describe(len(calls)))
    seen = got.by_seq()
    wrong = [
        f"Seq {seq}: {seen.get(seq)}"
        for seq in range(100)
        if seen.get(seq) != Answer("Arith.Multiply", seq, "", 3 * seq)
    ]
    if wrong:
        fail(expected, f"{len(wrong)} wrong or missing, e.g. {'; '.join(wrong[:3])}")


@pytest.mark.requirement(
    "rpc/go-net-rpc/overview/any-write-pattern",
    level="MUST",
    ref=f"{PKG_REF}; TCP delivers a stream, not messages",
    quote="Unless an explicit codec is set up, package encoding/gob is used to transport the data.",
)
@pytest.mark.parametrize("pattern", list(WRITE_PATTERNS))
@pytest.mark.parametrize("via", VIA)
def test_any_write_pattern(target: Target, wire: Wire, via: str, pattern: str) -> None:
    """Send two calls (type definitions, headers and bodies) cut into writes of the
    pattern's sizes; both must be answered."""
    arith_or_skip(wire, target)
    caller = Caller()
    payload = caller.request("Arith.Multiply", 1, Args(-3, 5)) + caller.request(
        "Arith.Multiply", 2, Args(6, 7)
    )
    chunks, pause = cut(payload, pattern)
    conn = open_rpc(wire, target)
    conn.send_chunks(chunks, pause=pause)
    got = responses(conn, 2)
    expected = f"both calls answered, whatever the writes ({pattern})"
    want = {
        1: Answer("Arith.Multiply", 1, "", -15),
        2: Answer("Arith.Multiply", 2, "", 42),
    }
    if got.by_seq() != want:
        fail(expected, got.describe(2) if len(got.answers) < 2 else str(got.answers))


@pytest.mark.requirement(
    CONNECT_ID,
    level="MUST",
    ref=(
        f'{PKG_REF}; Go\'s server answers CONNECT with "HTTP/1.0 200 Connected to Go RPC" '
        "and two newlines (server.go ServeHTTP), which rpc.DialHTTP requires"
    ),
    quote=(
        "The convenience function Dial (DialHTTP) performs both steps for a raw network "
        "connection (an HTTP connection)."
    ),
)
@pytest.mark.scheme("http")
def test_http_connect_handshake(target: Target, wire: Wire) -> None:
    """Send exactly what rpc.DialHTTP sends (CONNECT <path> HTTP/1.0 and an empty
    line); the answer must be exactly Go's line, then a response to Arith.Multiply on
    the same connection (any value: arith-multiply checks it)."""
    conn = wire.connect(target)
    observed = handshake(conn, target)
    expected = f"exactly {HTTP_CONNECTED!r}"
    if observed.received != HTTP_CONNECTED:
        fail(expected, observed.describe(limit=80))
    got = call_and_read(conn, Caller(), [("Arith.Multiply", 0, Args(7, 8))])
    if not got.answers or got.answers[0].seq != 0:
        # The value is arith-multiply's business; here, only that gob RPC goes on.
        fail("a gob RPC response (Seq 0) after the handshake", got.describe(1))


@pytest.mark.requirement(
    "rpc/go-net-rpc/overview/http-non-connect-refused",
    level="SHOULD",
    ref=(
        f"{PKG_REF}; Go's ServeHTTP answers any other method with 405 and \"405 must "
        'CONNECT" (server.go)'
    ),
    quote=(
        "More typically it will create a network listener and call Accept or, for an HTTP "
        "listener, HandleHTTP and http.Serve."
    ),
)
@pytest.mark.scheme("http")
def test_other_methods_get_405(target: Target, wire: Wire) -> None:
    """Send GET for the RPC path; the answer must be an HTTP 405 status line."""
    conn = wire.connect(target)
    conn.send(f"GET {rpc_path(target)} HTTP/1.0\r\n\r\n".encode())
    observed = conn.receive(until=lambda got: b"\n" in got)
    line = observed.received.split(b"\n", 1)[0].rstrip(b"\r")
    if not (line.startswith(b"HTTP/1.") and line[8:13] == b" 405 "):
        fail("an HTTP/1.x 405 status line", observed.describe(limit=80))

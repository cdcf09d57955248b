"""Go net/rpc, the Request and Response headers: what a server does with each request,
good or bad, and what its response stream looks like as gob.

What a server answers to a name it cannot find, or a body it cannot decode, is Go's
server's behaviour (``server.go``, ``readRequest``): an error response, and the
connection goes on. A header that does not decode ends the connection with no
response (Go cannot find the next message's start with confidence either).
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from reference_impls.rpc.protocol import Args
from suites.gob.persons import Replies
from suites.rpc.calls import (
    PKG_REF,
    VIA,
    Answer,
    Caller,
    arith_or_skip,
    call_and_read,
    open_rpc,
)

SERVER_REF = f"{PKG_REF}; Go's server answers it with an error response and reads on (readRequest)"
REGISTERED = (
    "A server registers an object, making it visible as a service with the name of the "
    "type of the object.  After registration, exported methods of the object will be "
    "accessible remotely."
)


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/seq-echoed",
    level="MUST",
    ref=f"{PKG_REF}, type Response",
    quote="Seq           uint64    // echoes that of the request",
)
@pytest.mark.parametrize("via", VIA)
def test_seq_is_echoed(target: Target, wire: Wire, via: str) -> None:
    """Three calls with Seqs 7, 2^40 and 2^64-1 (any uint64 is the client's to choose),
    sent at once; each response must echo its request's Seq and ServiceMethod."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    seqs = (7, 1 << 40, (1 << 64) - 1)
    got = call_and_read(conn, Caller(), [("Arith.Multiply", seq, Args(2, 21)) for seq in seqs])
    expected = f"responses with Seqs {', '.join(map(str, seqs))}, each Arith.Multiply 42"
    if len(got.answers) < len(seqs):
        fail(expected, got.describe(len(seqs)))
    if got.by_seq() != {seq: Answer("Arith.Multiply", seq, "", 42) for seq in seqs}:
        fail(expected, "; ".join(map(str, got.answers)))


BAD_NAMES = {
    "unknown-service": ("Nope.Multiply", "rpc: can't find service Nope.Multiply"),
    "unknown-method": ("Arith.Add", "rpc: can't find method Arith.Add"),
    "ill-formed-name": ("ArithMultiply", "rpc: service/method request ill-formed: ArithMultiply"),
}


def _bad_name(target: Target, wire: Wire, case: str) -> None:
    __tracebackhide__ = True
    arith_or_skip(wire, target)
    name, go_text = BAD_NAMES[case]
    conn = open_rpc(wire, target)
    caller = Caller()
    got = call_and_read(conn, caller, [(name, 11, Args(1, 2)), ("Arith.Multiply", 12, Args(3, 4))])
    expected = [
        f"a response Seq 11 with an error (Go's: {go_text!r})",
        "then Arith.Multiply Seq 12 answered on the same connection",
    ]
    if len(got.answers) < 1:
        fail(expected, got.describe(2))
    first = got.answers[0]
    if first.seq != 11 or not first.error:
        fail(expected, f"the first response is {first}")
    if len(got.answers) < 2 or got.answers[1] != Answer("Arith.Multiply", 12, "", 12):
        fail(expected, got.describe(2) if len(got.answers) < 2 else str(got.answers[1]))


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/unknown-service-reported",
    level="MUST",
    ref=SERVER_REF,
    quote=REGISTERED,
)
@pytest.mark.parametrize("via", VIA)
def test_unknown_service(target: Target, wire: Wire, via: str) -> None:
    """Call Nope.Multiply, then Arith.Multiply on the same connection: an error response
    for the first, the product for the second."""
    _bad_name(target, wire, "unknown-service")


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/unknown-method-reported",
    level="MUST",
    ref=SERVER_REF,
    quote=REGISTERED,
)
@pytest.mark.parametrize("via", VIA)
def test_unknown_method(target: Target, wire: Wire, via: str) -> None:
    """Call Arith.Add, then Arith.Multiply on the same connection: an error response
    for the first, the product for the second."""
    _bad_name(target, wire, "unknown-method")


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/ill-formed-name-reported",
    level="MUST",
    ref=f'{SERVER_REF}; the name has the format "Service.Method" (type Request)',
    quote='ServiceMethod string   // format: "Service.Method"',
)
@pytest.mark.parametrize("via", VIA)
def test_ill_formed_name(target: Target, wire: Wire, via: str) -> None:
    """Call ArithMultiply (no dot), then Arith.Multiply on the same connection: an error
    response for the first, the product for the second."""
    _bad_name(target, wire, "ill-formed-name")


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/wrong-body-type-reported",
    level="MUST",
    ref=SERVER_REF + " (the error is gob's own text)",
    quote="where T1 and T2 can be marshaled by encoding/gob.",
)
@pytest.mark.parametrize("via", VIA)
def test_body_of_the_wrong_type(target: Target, wire: Wire, via: str) -> None:
    """Call Arith.Multiply with a string for its Args, then with Args{3, 4}: an error
    response for the first, the product for the second, on the same connection."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    got = call_and_read(
        conn, Caller(), [("Arith.Multiply", 21, "seven"), ("Arith.Multiply", 22, Args(3, 4))]
    )
    expected = [
        "a response Seq 21 with an error (Go's: gob's type mismatch text)",
        "then Seq 22 answered with 12 on the same connection",
    ]
    if not got.answers:
        fail(expected, got.describe(2))
    first = got.answers[0]
    if first.seq != 21 or not first.error:
        fail(expected, f"the first response is {first}")
    if len(got.answers) < 2 or got.answers[1] != Answer("Arith.Multiply", 22, "", 12):
        fail(expected, got.describe(2) if len(got.answers) < 2 else str(got.answers[1]))


@pytest.mark.requirement(
    "rpc/go-net-rpc/request-response/malformed-header-closes",
    level="MUST",
    ref=(
        f"{PKG_REF}, type Request; Go's server stops reading at a header it cannot decode "
        "and closes the connection without a response (readRequestHeader, ServeCodec)"
    ),
    quote="Request is a header written before every RPC call.",
)
@pytest.mark.parametrize("via", VIA)
def test_malformed_header_closes(target: Target, wire: Wire, via: str) -> None:
    """Send a gob int where a Request belongs: the connection must close (FIN or RST)
    with no response; then Arith.Multiply must be answered on a new connection."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    conn.send(bytes.fromhex("03 04 00 06"))
    observed = conn.receive()
    expected = "the connection closed (FIN or RST) with no response"
    if observed.received or observed.end not in (End.FIN, End.RST):
        fail(expected, observed.describe())
    arith_or_skip(wire, target)


STREAM_REF = (
    f"{PKG_REF}; encoding/gob, Encoding Details (one Encoder per connection defines each "
    "type once, before the value that needs it)"
)
STREAM_QUOTE = (
    "Unless an explicit codec is set up, package encoding/gob is used to transport the data."
)


@pytest.mark.requirement(
    "rpc/go-net-rpc/gob-stream/types-defined-once", level="MUST", ref=STREAM_REF, quote=STREAM_QUOTE
)
@pytest.mark.parametrize("via", VIA)
def test_types_defined_once(target: Target, wire: Wire, via: str) -> None:
    """Four calls on one connection (replies int, Quotient, an error, int): the response
    stream must define Response, Quotient and the empty struct once each."""
    replies = _four_calls(target, wire)
    if replies.redefined:
        fail("each type defined once on the response stream", "; ".join(replies.redefined))


@pytest.mark.requirement(
    "rpc/go-net-rpc/gob-stream/types-defined-before-use",
    level="MUST",
    ref=STREAM_REF,
    quote=STREAM_QUOTE,
)
@pytest.mark.parametrize("via", VIA)
def test_types_defined_before_use(target: Target, wire: Wire, via: str) -> None:
    """The same four calls: no value on the response stream may come before the
    definition of its type."""
    replies = _four_calls(target, wire)
    if replies.used_before_definition:
        fail("every type defined before its first value", "; ".join(replies.used_before_definition))


@pytest.mark.requirement(
    "rpc/go-net-rpc/gob-stream/message-lengths-exact",
    level="MUST",
    ref=STREAM_REF,
    quote=STREAM_QUOTE,
)
@pytest.mark.parametrize("via", VIA)
def test_message_lengths_exact(target: Target, wire: Wire, via: str) -> None:
    """The same four calls: each message's byte count must be that of its content."""
    replies = _four_calls(target, wire)
    if replies.length_errors:
        fail("each message's count exact", "; ".join(replies.length_errors[:3]))


def _four_calls(target: Target, wire: Wire) -> Replies:
    """The response stream of four calls sent at once (replies int, Quotient, an error
    and int): all four must come back for the stream to be judged."""
    arith_or_skip(wire, target)
    conn = open_rpc(wire, target)
    calls = [
        ("Arith.Multiply", 1, Args(2, 3)),
        ("Arith.Divide", 2, Args(7, 2)),
        ("Arith.Divide", 3, Args(1, 0)),
        ("Arith.Multiply", 4, Args(4, 4)),
    ]
    got = call_and_read(conn, Caller(), calls)
    if len(got.answers) < len(calls) and got.replies.error is not None:
        fail("four responses on a gob stream", got.describe(len(calls)))
    return got.replies

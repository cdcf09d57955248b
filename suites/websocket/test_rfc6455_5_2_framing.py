"""RFC 6455 §5.1-§5.3: base framing, masking and length forms (Autobahn 1, and its gaps).

Autobahn 1.1/1.2 send text and binary messages at every length-form boundary and one
64 KiB message in 997-byte writes; the echo must match. Autobahn never breaks the
masking rule or the top bit of a 64-bit length: a server must fail the connection on
an unmasked frame (§5.1) and on a 64-bit length with its most significant bit set.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import (
    LENGTH_QUOTE,
    REF,
    FailCase,
    cases,
    expect_echo,
    expect_failed,
    run_failure,
)

#: Autobahn 1.x.1-1.x.7 (and 128, which Autobahn has too).
LENGTHS = (0, 125, 126, 127, 128, 65535, 65536)


def _payload(opcode: int, size: int) -> bytes:
    if opcode == Opcode.TEXT:
        return (b"*" * size) if size < 256 else bytes(b"BAsd7&jh23"[i % 10] for i in range(size))
    return bytes((i * 7 + 0xFE) & 0xFF for i in range(size))


LENGTH_CASES = [
    pytest.param(op, size, None, id=f"{op.name.lower()}-{size}")
    for op in (Opcode.TEXT, Opcode.BINARY)
    for size in LENGTHS
] + [
    pytest.param(op, 65536, 997, id=f"{op.name.lower()}-65536-in-997-byte-writes")
    for op in (Opcode.TEXT, Opcode.BINARY)
]


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/payload-length-forms",
    level="MUST",
    ref=f"{REF} §5.2",
    quote=LENGTH_QUOTE,
)
@pytest.mark.parametrize(("opcode", "size", "chop"), LENGTH_CASES)
def test_message_at_length_boundary_echoed(
    target: Target, wire: Wire, opcode: Opcode, size: int, chop: int | None
) -> None:
    """Send one masked message of this type and size (minimal length form), in one write
    or in writes of ``chop`` bytes."""
    ws = open_websocket(wire, target)
    payload = _payload(opcode, size)
    ws.send_frames([build_frame(opcode, payload)], chop=chop)
    expect_echo(ws.read_message(), opcode, payload)


@pytest.mark.requirement(
    "websocket/rfc6455/5.1/unmasked-client-frame",
    level="MUST",
    ref=f"{REF} §5.1",
    quote="The server MUST close the connection upon receiving a frame that is not masked.",
)
@pytest.mark.parametrize("case", cases("unmasked-text", "unmasked-ping"))
def test_unmasked_frame_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a frame with the MASK bit clear (the payload in the clear)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/length-msb-zero",
    level="MUST",
    ref=f"{REF} §5.2",
    quote="If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the most "
    "significant bit MUST be 0) are the payload length.",
)
@pytest.mark.parametrize("case", cases("length-top-bit"))
def test_64_bit_length_with_top_bit_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a text frame whose 64-bit length is 2**63 + 5 (top bit set), then 5 bytes."""
    expect_failed(run_failure(wire, target, case), case)


NON_MINIMAL = {
    "16-bit-form-for-5-bytes": 16,
    "64-bit-form-for-5-bytes": 64,
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/non-minimal-length",
    level="MAY",
    ref=f"{REF} §5.2",
    quote="Note that in all cases, the minimal number of bytes MUST be used to encode the length",
)
def test_non_minimal_length_form(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Send 'Hello' with a 16-bit length, then with a 64-bit length (each on its own
    connection); report whether the server echoes or fails (the rule binds the sender:
    a receiver may do either)."""
    seen = []
    for what, form in NON_MINIMAL.items():
        ws = open_websocket(wire, target)
        ws.send_frames([build_frame(Opcode.TEXT, b"Hello", length_form=form)])
        ex = ws.read_message()
        if ex.messages() == [(Opcode.TEXT, b"Hello")]:
            seen.append(f"{what}: echoed")
        elif ex.closed:
            seen.append(f"{what}: failed the connection (close code {ex.close_code})")
        else:
            seen.append(f"{what}: {ex.describe()}")
    finding("; ".join(seen))
    if any("echoed" not in s and "failed" not in s for s in seen):
        fail("the message echoed or the connection failed", "; ".join(seen))

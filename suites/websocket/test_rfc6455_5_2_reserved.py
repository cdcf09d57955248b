"""RFC 6455 §5.2: reserved bits and reserved opcodes (Autobahn 3 and 4).

With no extension negotiated, a frame with any RSV bit set, or with an opcode the RFC
reserves (3-7 for data, 0xB-0xF for control), fails the connection. Where a valid
message goes first, it may be echoed; a Ping sent after the fault must get no Pong.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import REF, FailCase, cases, expect_failed, run_failure

OPCODE_QUOTE = (
    "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
)


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/rsv-must-be-zero",
    level="MUST",
    ref=f"{REF} §5.2",
    quote="If a nonzero value is received and none of the negotiated extensions defines the "
    "meaning of such a nonzero value, the receiving endpoint MUST _Fail the WebSocket "
    "Connection_.",
)
@pytest.mark.parametrize(
    "case",
    cases(
        "rsv1-text",
        "rsv2-after-valid",
        "rsv3-one-write",
        "rsv4-octets",
        "rsv5-binary",
        "rsv6-ping",
        "rsv7-close",
    ),
)
def test_reserved_bits_fail(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a frame with RSV bits set and no extension negotiated (Autobahn 3.1-3.7)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/reserved-opcode-data",
    level="MUST",
    ref=f"{REF} §5.2",
    quote=OPCODE_QUOTE,
)
@pytest.mark.parametrize("case", cases(*(f"opcode-{op}" for op in range(3, 8))))
def test_reserved_data_opcode_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a frame with a reserved non-control opcode, 3 to 7 (Autobahn 4.1.1-4.1.5)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/reserved-opcode-control",
    level="MUST",
    ref=f"{REF} §5.2",
    quote=OPCODE_QUOTE,
)
@pytest.mark.parametrize("case", cases(*(f"opcode-{op}" for op in range(11, 16))))
def test_reserved_control_opcode_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a frame with a reserved control opcode, 0xB to 0xF (Autobahn 4.2.1-4.2.5)."""
    expect_failed(run_failure(wire, target, case), case)

"""RFC 6455 §5.5: control frames, Ping and Pong (Autobahn 2).

Every Ping must get a Pong with the same payload, however the Ping is cut into writes;
unsolicited Pongs are ignored; a control frame of more than 125 bytes fails the
connection.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import REF, FailCase, cases, expect_failed, run_failure

PING_QUOTE = (
    "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it "
    "already received a Close frame."
)
PONG_QUOTE = (
    'A Pong frame sent in response to a Ping frame must have identical "Application data" '
    "as found in the message body of the Ping frame being replied to."
)
MAX_125_QUOTE = (
    "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
)

#: Autobahn 2.2, 2.3, 2.4, 2.6 and more: payload, and the write size (None: one write).
PING_PAYLOADS = {
    "text-payload": (b"Hello, world!", None),
    "binary-payload": (bytes([0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF]), None),
    "125-bytes": (b"\xfe" * 125, None),
    "125-bytes-in-octets": (b"\xfe" * 125, 1),
    "125-bytes-in-3-byte-writes": (b"\xfe" * 125, 3),
    "invalid-utf8-payload": (b"\xc0\xaf\xed\xa0\x80", None),
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.2/ping-answered", level="MUST", ref=f"{REF} §5.5.2", quote=PING_QUOTE
)
def test_empty_ping_gets_a_pong(target: Target, wire: Wire) -> None:
    """Send a Ping with no payload (Autobahn 2.1)."""
    ws = open_websocket(wire, target)
    ws.send_frame(Opcode.PING)
    ex = ws.read_pongs(1)
    if ex.pongs[:1] != [b""]:
        fail("a Pong with an empty payload", ex.describe())


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.3/pong-payload-identical",
    level="MUST",
    ref=f"{REF} §5.5.3",
    quote=PONG_QUOTE,
)
@pytest.mark.parametrize(("payload", "chop"), list(PING_PAYLOADS.values()), ids=list(PING_PAYLOADS))
def test_pong_carries_the_ping_payload(
    target: Target, wire: Wire, payload: bytes, chop: int | None
) -> None:
    """Send a Ping with this payload, in one write or in writes of ``chop`` bytes."""
    ws = open_websocket(wire, target)
    ws.send_frames([build_frame(Opcode.PING, payload)], chop=chop)
    ex = ws.read_pongs(1)
    if ex.pongs[:1] != [payload]:
        fail(
            f"a Pong whose payload is the Ping's {len(payload)} bytes {payload[:16]!r}",
            ex.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/5.5/control-frame-max-125",
    level="MUST",
    ref=f"{REF} §5.5",
    quote=MAX_125_QUOTE,
)
@pytest.mark.parametrize("case", cases("ping-126", "pong-126", "close-126"))
def test_control_frame_over_125_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a control frame with a 126-byte payload (16-bit length form)."""
    expect_failed(run_failure(wire, target, case), case)


UNSOLICITED = {
    "empty-pong": [b""],  # Autobahn 2.7
    "pong-with-payload": [b"unsolicited pong payload"],  # 2.8
    "two-pongs": [b"one", b"two"],
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.3/unsolicited-pong-ignored",
    level="MUST",
    ref=f"{REF} §5.5.3",
    quote="A Pong frame MAY be sent unsolicited.  This serves as a unidirectional heartbeat.  "
    "A response to an unsolicited Pong frame is not expected.",
)
@pytest.mark.parametrize("pongs", list(UNSOLICITED.values()), ids=list(UNSOLICITED))
def test_unsolicited_pong_is_ignored(target: Target, wire: Wire, pongs: list[bytes]) -> None:
    """Send unsolicited Pong(s), then a Ping 'ping' (Autobahn 2.9): only its Pong comes back."""
    ws = open_websocket(wire, target)
    ws.send_frames([build_frame(Opcode.PONG, p) for p in pongs])
    ws.send_frame(Opcode.PING, b"ping")
    ex = ws.read_pongs(1)
    if [f.opcode for f in ex.frames] != [Opcode.PONG] or ex.pongs != [b"ping"]:
        fail(
            "only a Pong 'ping' (the unsolicited Pongs ignored, the connection open)", ex.describe()
        )


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.2/ping-answered", level="MUST", ref=f"{REF} §5.5.2", quote=PING_QUOTE
)
@pytest.mark.parametrize("chop", [None, 1], ids=["one-write", "octets"])
def test_latest_of_ten_pings_answered(target: Target, wire: Wire, chop: int | None) -> None:
    """Send 10 Pings with payloads 'ping 0' to 'ping 9' in one write, or one octet per
    write (Autobahn 2.10, 2.11); at least the last must be answered (an endpoint MAY
    answer only the most recent)."""
    ws = open_websocket(wire, target)
    ws.send_frames([build_frame(Opcode.PING, f"ping {i}".encode()) for i in range(10)], chop=chop)
    ex = ws.read(lambda e: b"ping 9" in e.pongs)
    if b"ping 9" not in ex.pongs:
        fail("a Pong 'ping 9' (Pongs to the earlier Pings may be left out)", ex.describe())
    order = [int(p[5:]) for p in ex.pongs if p.startswith(b"ping ") and p[5:].isdigit()]
    if order != sorted(order):
        fail("Pongs in the order of their Pings", ex.describe())


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.3/every-ping-answered",
    level="MAY",
    ref=f"{REF} §5.5.3",
    quote="If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in response "
    "to previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only the most "
    "recently processed Ping frame.",
)
def test_ten_pings_count_of_pongs(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Send 10 Pings in one write; report how many Pongs came (Autobahn 2.10 wants 10)."""
    ws = open_websocket(wire, target)
    ws.send_frames([build_frame(Opcode.PING, f"ping {i}".encode()) for i in range(10)])
    ex = ws.read(lambda e: b"ping 9" in e.pongs)
    finding(f"{len(ex.pongs)} Pongs to 10 Pings")
    if len(ex.pongs) != 10:
        fail("10 Pongs, one per Ping (what Autobahn 2.10 expects)", ex.describe())

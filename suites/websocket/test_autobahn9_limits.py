"""Autobahn 9: large messages, large messages in fragments, and many messages.

These run with ``--profile thorough`` only (they move about 100 MiB). With
``--websocket-max-message N``, sizes above N are not sent.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket.cases import (
    LENGTH_QUOTE,
    REASSEMBLE_QUOTE,
    REF,
    expect_echo,
    stated_limit,
)

THOROUGH = True
KIB, MIB = 1024, 1024 * 1024
T, B, C = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION


def _payload(opcode: int, size: int) -> bytes:
    unit = b"*" if opcode == T else bytes(range(256))
    return (unit * (size // len(unit) + 1))[:size]


def _within(wirecert: CheckContext, target: Target, size: int) -> None:
    limit = stated_limit(wirecert.option("max-message"), target)
    if limit is not None and size > limit:
        pytest.skip(f"{size} bytes is past the stated limit of {limit}")


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/large-and-many-messages",
    level="MUST",
    ref=f"{REF} §5.2 (Autobahn 9)",
    quote=LENGTH_QUOTE,
)
@pytest.mark.parametrize("opcode", [T, B], ids=["text", "binary"])
@pytest.mark.parametrize("size", [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB])
def test_large_message_echoed(
    target: Target, wire: Wire, wirecert: CheckContext, opcode: int, size: int
) -> None:
    """Send one message of this size in one frame (Autobahn 9.1, 9.2)."""
    _within(wirecert, target, size)
    ws = open_websocket(wire, target)
    payload = _payload(opcode, size)
    ws.send_frames([build_frame(opcode, payload)])
    expect_echo(ws.read_message(timeout=max(ws.timeout, 10.0)), opcode, payload)


@pytest.mark.requirement(
    "websocket/rfc6455/6.2/fragments-reassembled",
    level="MUST",
    ref=f"{REF} §6.2, §5.4",
    quote=REASSEMBLE_QUOTE,
)
@pytest.mark.parametrize("opcode", [T, B], ids=["text", "binary"])
@pytest.mark.parametrize(
    "fragment", [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB]
)
def test_large_message_in_fragments_echoed(
    target: Target, wire: Wire, wirecert: CheckContext, opcode: int, fragment: int
) -> None:
    """Send one 4 MiB message in fragments of this size (Autobahn 9.3, 9.4)."""
    size = 4 * MIB
    _within(wirecert, target, size)
    ws = open_websocket(wire, target)
    payload = _payload(opcode, size)
    frames = [
        build_frame(opcode if i == 0 else C, payload[i : i + fragment], fin=i + fragment >= size)
        for i in range(0, size, fragment)
    ]
    ws.send_frames(frames)
    expect_echo(ws.read_message(timeout=max(ws.timeout, 10.0)), opcode, payload)


@pytest.mark.requirement(
    "websocket/rfc6455/5.2/large-and-many-messages",
    level="MUST",
    ref=f"{REF} §5.2 (Autobahn 9)",
    quote=LENGTH_QUOTE,
)
@pytest.mark.parametrize("opcode", [T, B], ids=["text", "binary"])
@pytest.mark.parametrize("size", [0, 16, 64, 256, KIB, 4 * KIB])
def test_many_messages_round_trip(target: Target, wire: Wire, opcode: int, size: int) -> None:
    """Send 1000 messages of this size, each after the echo of the one before (Autobahn
    9.7, 9.8)."""
    ws = open_websocket(wire, target)
    payload = _payload(opcode, size)
    frame = build_frame(opcode, payload)
    wire.log.max_events = 200
    for i in range(1000):
        ws.send(frame)
        ex = ws.read_message()
        if ex.messages() != [(opcode, payload)]:
            fail(f"1000 echoes of a {size}-byte message", f"message {i + 1}: {ex.describe()}")

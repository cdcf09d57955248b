"""RFC 6455 §5.4 and §6.2: fragmentation (Autobahn 5, and 10.1.1).

A fragmented message is reassembled and echoed as one message; control frames may
come between fragments and must be answered before the message ends; control frames
are never fragmented; a continuation frame with nothing to continue, or a new data
frame inside an unfinished message, fails the connection.
"""

from __future__ import annotations

import time

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, WsConnection, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import (
    REASSEMBLE_QUOTE,
    REF,
    FailCase,
    cases,
    expect_echo,
    expect_failed,
    run_failure,
)

T, B, C, PING = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION, Opcode.PING


def _fragments(opcode: int, payload: bytes, size: int) -> list[bytes]:
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    return [
        build_frame(opcode if i == 0 else C, piece, fin=i == len(pieces) - 1)
        for i, piece in enumerate(pieces)
    ]


def _paced(ws: WsConnection, frames: list[bytes]) -> None:
    """Each frame in its own write, 10 ms apart (Autobahn 5.5 paces with 1 s)."""
    for data in frames:
        ws.send_frames([data])
        time.sleep(0.01)


FRAGMENTED = {
    "text-2-fragments": (T, b"fragment1fragment2", 9, None),  # Autobahn 5.3
    "text-2-fragments-octets": (T, b"fragment1fragment2", 9, 1),  # 5.4
    "text-2-fragments-paced": (T, b"fragment1fragment2", 9, "paced"),  # 5.5
    "binary-3-fragments": (B, bytes(range(256)) * 3, 256, None),
    "text-65536-in-1300-byte-fragments": (  # 10.1.1
        T,
        bytes(b"BAsd7&jh23"[i % 10] for i in range(65536)),
        1300,
        None,
    ),
}


@pytest.mark.requirement(
    "websocket/rfc6455/6.2/fragments-reassembled",
    level="MUST",
    ref=f"{REF} §6.2, §5.4",
    quote=REASSEMBLE_QUOTE,
)
@pytest.mark.parametrize(
    ("opcode", "payload", "size", "how"), list(FRAGMENTED.values()), ids=list(FRAGMENTED)
)
def test_fragmented_message_echoed_whole(
    target: Target, wire: Wire, opcode: int, payload: bytes, size: int, how: object
) -> None:
    """Send one message in fragments of ``size`` bytes: in one write, one octet per write,
    or one frame per write."""
    ws = open_websocket(wire, target)
    frames = _fragments(opcode, payload, size)
    if how == "paced":
        _paced(ws, frames)
    else:
        ws.send_frames(frames, chop=how if isinstance(how, int) else None)
    ex = ws.read_message()
    expect_echo(ex, opcode, payload, what=f"reassembled from {len(frames)} fragments")
    if len(ex.messages()) > 1:
        fail("one message, the fragments joined", ex.describe())


INTERLEAVED = {
    "ping-between-2-fragments": None,  # Autobahn 5.6
    "ping-between-2-fragments-octets": 1,  # 5.7
    "ping-between-2-fragments-chops": 3,  # 5.8
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.4/control-between-fragments",
    level="MUST",
    ref=f"{REF} §5.4",
    quote="An endpoint MUST be capable of handling control frames in the middle of a "
    "fragmented message.",
)
@pytest.mark.parametrize("chop", list(INTERLEAVED.values()), ids=list(INTERLEAVED))
def test_ping_between_fragments(target: Target, wire: Wire, chop: int | None) -> None:
    """Send a text fragment 'fragment1', a Ping 'pongme!', then the last fragment
    'fragment2', in one write or chopped."""
    ws = open_websocket(wire, target)
    ws.send_frames(
        [
            build_frame(T, b"fragment1", fin=False),
            build_frame(PING, b"pongme!"),
            build_frame(C, b"fragment2"),
        ],
        chop=chop,
    )
    ex = ws.read(lambda e: bool(e.messages()) and bool(e.pongs))
    if ex.pongs != [b"pongme!"]:
        fail("a Pong 'pongme!' and the text 'fragment1fragment2'", ex.describe())
    expect_echo(ex, T, b"fragment1fragment2")


@pytest.mark.requirement(
    "websocket/rfc6455/5.4/control-between-fragments",
    level="MUST",
    ref=f"{REF} §5.4",
    quote="An endpoint MUST be capable of handling control frames in the middle of a "
    "fragmented message.",
)
@pytest.mark.parametrize("chop", [None, 1], ids=["frames", "octets"])
def test_pongs_come_before_the_message_ends(target: Target, wire: Wire, chop: int | None) -> None:
    """Send a text in 5 fragments with a Ping after each of the first 4, waiting for each
    Pong before sending the next fragment (Autobahn 5.19, 5.20)."""
    ws = open_websocket(wire, target)
    parts = [f"fragment{i}".encode() for i in range(1, 6)]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        frames = [build_frame(T if i == 0 else C, part, fin=last)]
        if not last:
            frames.append(build_frame(PING, f"pongme {i + 1}!".encode()))
        ws.send_frames(frames, chop=chop)
        if last:
            break
        ex = ws.read_pongs(1)
        if ex.pongs != [f"pongme {i + 1}!".encode()] or ex.messages():
            fail(
                f"a Pong 'pongme {i + 1}!' while the message is still open (fragment {i + 1} "
                "of 5 sent)",
                ex.describe(),
            )
    expect_echo(ws.read_message(), T, b"".join(parts))


@pytest.mark.requirement(
    "websocket/rfc6455/5.4/control-not-fragmented",
    level="MUST",
    ref=f"{REF} §5.4",
    quote="Control frames (see Section 5.5) MAY be injected in the middle of a fragmented "
    "message.  Control frames themselves MUST NOT be fragmented.",
)
@pytest.mark.parametrize("case", cases("fragmented-ping", "fragmented-pong", "fragmented-close"))
def test_fragmented_control_frame_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a control frame with FIN clear, then a continuation (Autobahn 5.1, 5.2)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/5.4/continuation-without-start",
    level="MUST",
    ref=f"{REF} §5.4",
    quote="A fragmented message consists of a single frame with the FIN bit clear and an "
    "opcode other than 0, followed by zero or more frames with the FIN bit clear and the "
    "opcode set to 0, and terminated by a single frame with the FIN bit set and an opcode "
    "of 0.",
)
@pytest.mark.parametrize(
    "case",
    cases(
        "continuation-fin-first",
        "continuation-fin-octets",
        "continuation-fin-chops",
        "continuation-nofin-first",
        "continuation-nofin-octets",
        "continuation-nofin-chops",
        "continuation-after-message",
        "continuation-twice-nofin",
        "continuation-twice-fin",
    ),
)
def test_continuation_with_nothing_to_continue_fails(
    target: Target, wire: Wire, case: FailCase
) -> None:
    """Send a continuation frame when no message is open (Autobahn 5.9-5.17)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/5.4/no-interleaved-messages",
    level="MUST",
    ref=f"{REF} §5.4",
    quote="The fragments of one message MUST NOT be interleaved between the fragments of "
    "another message unless an extension has been negotiated that can interpret the "
    "interleaving.",
)
@pytest.mark.parametrize(
    "case", cases("text-inside-fragmented-text", "binary-inside-fragmented-text")
)
def test_new_message_inside_a_fragmented_one_fails(
    target: Target, wire: Wire, case: FailCase
) -> None:
    """Send a text fragment with FIN clear, then a new data frame (not a continuation)
    (Autobahn 5.18)."""
    expect_failed(run_failure(wire, target, case), case)

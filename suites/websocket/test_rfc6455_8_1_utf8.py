"""RFC 6455 §5.6 and §8.1: text messages are UTF-8 (Autobahn 6).

Valid text comes back whole, however its code points are split across fragments and
writes; invalid UTF-8 fails the connection (best with 1007), and failing early, on the
first invalid octet rather than at the message's end, is what Autobahn 6.4 grades:
not failing fast is NON-STRICT, here a SHOULD. The vectors are built in
:mod:`suites.websocket.utf8vectors` after Markus Kuhn's UTF-8-test.txt.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import (
    PROBE,
    REF,
    FailCase,
    carried_on,
    cases,
    expect_echo,
    expect_failed,
    run_failure,
)
from suites.websocket.utf8vectors import INVALID, SPLIT_TEXTS, VALID

T, C = Opcode.TEXT, Opcode.CONTINUATION

VALID_QUOTE = (
    "Note that a particular text frame might include a partial UTF-8 sequence; however, the "
    "whole message MUST contain valid UTF-8."
)
INVALID_QUOTE = (
    "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream "
    "is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket "
    "Connection_."
)


@pytest.mark.requirement(
    "websocket/rfc6455/5.6/valid-utf8-echoed", level="MUST", ref=f"{REF} §5.6", quote=VALID_QUOTE
)
@pytest.mark.parametrize(
    "payload", [pytest.param(data, id=name) for name, (data, _) in VALID.items()]
)
def test_valid_utf8_text_echoed(target: Target, wire: Wire, payload: bytes) -> None:
    """Send one text frame holding this valid UTF-8 (Autobahn 6.2.1, 6.5-6.23 valid cases)."""
    ws = open_websocket(wire, target)
    ws.send_frame(T, payload)
    expect_echo(ws.read_message(), T, payload)


EMPTY_FRAGMENTS = {
    "empty-text": [b""],  # Autobahn 6.1.1
    "three-empty-fragments": [b"", b"", b""],  # 6.1.2
    "empty-middle-empty": [b"", b"middle", b""],  # 6.1.3
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.6/valid-utf8-echoed", level="MUST", ref=f"{REF} §5.6", quote=VALID_QUOTE
)
@pytest.mark.parametrize("parts", list(EMPTY_FRAGMENTS.values()), ids=list(EMPTY_FRAGMENTS))
def test_empty_fragments_echoed(target: Target, wire: Wire, parts: list[bytes]) -> None:
    """Send a text message made of these fragments, some empty (Autobahn 6.1)."""
    ws = open_websocket(wire, target)
    ws.send_frames(
        [build_frame(T if i == 0 else C, p, fin=i == len(parts) - 1) for i, p in enumerate(parts)]
    )
    expect_echo(ws.read_message(), T, b"".join(parts))


@pytest.mark.requirement(
    "websocket/rfc6455/5.6/valid-utf8-echoed", level="MUST", ref=f"{REF} §5.6", quote=VALID_QUOTE
)
@pytest.mark.parametrize("name", list(SPLIT_TEXTS))
def test_code_points_split_across_fragments(target: Target, wire: Wire, name: str) -> None:
    """On one connection, send the text once per split point, as two fragments split at
    that octet (inside code points too), then once as one-octet fragments (Autobahn
    6.2.2-6.2.4)."""
    data = SPLIT_TEXTS[name]
    ws = open_websocket(wire, target)
    for at in range(1, len(data)):
        ws.send_frames([build_frame(T, data[:at], fin=False), build_frame(C, data[at:])])
        expect_echo(ws.read_message(), T, data, what=f"split after octet {at}")
    ws.send_frames(
        [
            build_frame(T if i == 0 else C, data[i : i + 1], fin=i == len(data) - 1)
            for i in range(len(data))
        ]
    )
    expect_echo(ws.read_message(), T, data, what="one octet per fragment")


@pytest.mark.requirement(
    "websocket/rfc6455/8.1/invalid-utf8-fails",
    level="MUST",
    ref=f"{REF} §8.1",
    quote=INVALID_QUOTE,
)
@pytest.mark.parametrize(
    "case",
    cases(
        *(f"utf8-{name}" for name in INVALID),
        "utf8-invalid-in-fragments",
        "utf8-split-code-point-invalid",
    ),
)
def test_invalid_utf8_text_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a text message holding invalid UTF-8 (Autobahn 6.3, 6.5-6.23 invalid cases)."""
    expect_failed(run_failure(wire, target, case), case)


#: (first part, rest): the first part holds the invalid octets; the rest completes the
#: message. Autobahn 6.4.1-6.4.4.
FAIL_FAST = {
    # 6.4.1: a fragment with a code point past U+10FFFF, the message left open.
    "invalid-fragment-then-wait": (
        [
            build_frame(T, "κόσμε".encode(), fin=False),
            build_frame(C, b"\xf4\x90\x80\x80", fin=False),
        ],
        [build_frame(C, b"edited")],
    ),
    # 6.4.2: the invalid sequence starts in one fragment and ends in the next.
    "invalid-across-fragments": (
        [build_frame(T, "κόσμε".encode() + b"\xf4", fin=False), build_frame(C, b"\x90", fin=False)],
        [build_frame(C, b"\x80\x80edited")],
    ),
}


def _partial_frame(first: bytes, rest: bytes) -> tuple[list[bytes], list[bytes]]:
    """A frame cut after ``first``'s octets of payload: its head and the start, then the
    remainder (6.4.3, 6.4.4)."""
    whole = build_frame(T, first + rest)
    head = len(whole) - len(first) - len(rest)
    return [whole[: head + len(first)]], [whole[head + len(first) :]]


FAIL_FAST["invalid-inside-one-frame"] = _partial_frame(
    "κόσμε".encode() + b"\xf4\x90\x80\x80", b"edited" * 8
)
FAIL_FAST["invalid-octet-inside-one-frame"] = _partial_frame(
    "κόσμε".encode() + b"\xf4\x90", b"\x80\x80edited" * 8
)


@pytest.mark.requirement(
    "websocket/rfc6455/8.1/fail-fast",
    level="SHOULD",
    ref=f"{REF} §8.1 (Autobahn 6.4)",
    quote=INVALID_QUOTE,
)
@pytest.mark.parametrize(("first", "rest"), list(FAIL_FAST.values()), ids=list(FAIL_FAST))
def test_invalid_utf8_fails_before_the_message_ends(
    target: Target, wire: Wire, first: list[bytes], rest: list[bytes]
) -> None:
    """Send the start of a text message whose octets so far are already invalid UTF-8,
    and wait; then send the rest. The RFC does not say when to fail: failing before the
    message ends is Autobahn's fail-fast, and failing only at its end is NON-STRICT."""
    ws = open_websocket(wire, target)
    ws.send_frames(first)
    early = ws.read_until_closed()
    if not early.closed:
        ws.send_frames([*rest, build_frame(Opcode.TEXT, PROBE)])
        late = ws.read(carried_on)
        fail(
            "the connection failed (best with 1007) before the rest of the message was sent",
            f"nothing for {early.elapsed:.3f} s while the message was open; after the rest: "
            f"{late.describe()}",
        )
    if early.messages():
        fail("nothing echoed, the connection failed", early.describe())

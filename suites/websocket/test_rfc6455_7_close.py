"""RFC 6455 §5.5.1 and §7: the closing handshake and close codes (Autobahn 7).

A Close gets a Close back (with no code, 1000 or the code received), and then the
server closes the TCP connection first; nothing is sent after a Close; a Close whose
body is one byte, whose code is not one a peer may send, or whose reason is not UTF-8
fails the connection. Codes from 5000 up are outside the RFC's ranges: informational.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import (
    Exchange,
    Opcode,
    WsConnection,
    build_frame,
    close_payload,
    open_websocket,
)
from harness.wire import End, Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import REF, FailCase, cases, expect_echo, expect_failed, run_failure
from suites.websocket.failures import INVALID_CLOSE_CODES

T, C, CLOSE, PING = Opcode.TEXT, Opcode.CONTINUATION, Opcode.CLOSE, Opcode.PING

ANSWER_QUOTE = (
    "If an endpoint receives a Close frame and did not previously send a Close frame, the "
    "endpoint MUST send a Close frame in response."
)
BODY_QUOTE = (
    "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer "
    "(in network byte order) representing a status code with value /code/ defined in "
    "Section 7.4."
)
#: Autobahn 7.7.x, and 1012-1014, which the IANA registry added since.
VALID_CODES = (
    1000,
    1001,
    1002,
    1003,
    1007,
    1008,
    1009,
    1010,
    1011,
    1012,
    1013,
    1014,
    3000,
    3999,
    4000,
    4999,
)


def _close_and_read(ws: WsConnection, body: bytes, *, twice: bool = False) -> Exchange:
    """Send a Close with ``body`` (twice when asked) and read the reply, not answering it."""
    frames = [build_frame(CLOSE, body)] * (2 if twice else 1)
    ws.send_frames(frames)
    return ws.read(answer_close=False)


def _expect_close_reply(ex: Exchange, code: int | None, what: str) -> None:
    __tracebackhide__ = True
    ok = {None, 1000} | ({code} if code is not None else set())
    shown = " or ".join(
        "no code" if c is None else str(c) for c in sorted(ok, key=lambda c: c or 0)
    )
    if ex.close is None or ex.close_code not in ok or ex.messages():
        fail(f"a Close frame in response to {what}, with {shown}", ex.describe())
    if len([f for f in ex.frames if f.opcode == CLOSE]) > 1:
        fail(f"one Close frame in response to {what}", ex.describe())


CLOSE_BODIES = {
    "empty-body": (b"", None),  # Autobahn 7.3.1
    "code-1000": (close_payload(1000), 1000),  # 7.3.3
    "code-1000-with-reason": (close_payload(1000, "Hello World!"), 1000),  # 7.3.4
    "code-1000-with-123-byte-reason": (close_payload(1000, "*" * 123), 1000),  # 7.3.5
    **{f"code-{c}": (close_payload(c), c) for c in VALID_CODES if c != 1000},  # 7.7.x
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.1/close-answered", level="MUST", ref=f"{REF} §5.5.1", quote=ANSWER_QUOTE
)
@pytest.mark.parametrize(("body", "code"), list(CLOSE_BODIES.values()), ids=list(CLOSE_BODIES))
def test_close_gets_a_close(target: Target, wire: Wire, body: bytes, code: int | None) -> None:
    """Send a Close with this body (Autobahn 7.3.1, 7.3.3-7.3.5, 7.7.x)."""
    ws = open_websocket(wire, target)
    ex = _close_and_read(ws, body)
    _expect_close_reply(ex, code, f"a Close with {'no body' if not body else f'code {code}'}")


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.1/close-answered", level="MUST", ref=f"{REF} §5.5.1", quote=ANSWER_QUOTE
)
def test_echo_then_close(target: Target, wire: Wire) -> None:
    """Send the text 'Hello World!', read the echo, then send a Close 1000 (Autobahn 7.1.1)."""
    ws = open_websocket(wire, target)
    ws.send_frame(T, b"Hello World!")
    expect_echo(ws.read_message(), T, b"Hello World!")
    _expect_close_reply(_close_and_read(ws, close_payload(1000)), 1000, "a Close 1000")


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.1/close-answered", level="MUST", ref=f"{REF} §5.5.1", quote=ANSWER_QUOTE
)
def test_double_close_gets_one_close(target: Target, wire: Wire) -> None:
    """Send two Close 1000 frames in one write (Autobahn 7.1.2)."""
    ws = open_websocket(wire, target)
    ex = _close_and_read(ws, close_payload(1000), twice=True)
    ex2 = ws.read(answer_close=False, timeout=min(0.2, ws.timeout))
    ex.frames += ex2.frames
    _expect_close_reply(ex, 1000, "two Close 1000 frames")


AFTER_CLOSE = {
    "ping-after-close": [build_frame(PING, b"after close")],  # Autobahn 7.1.3
    "text-after-close": [build_frame(T, b"after close")],  # 7.1.4
}


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.2/no-pong-after-close",
    level="MUST",
    ref=f"{REF} §5.5.2",
    quote="Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless "
    "it already received a Close frame.",
)
def test_no_pong_after_close(target: Target, wire: Wire) -> None:
    """Send a Close 1000 and a Ping 'after close' in one write (Autobahn 7.1.3)."""
    ws = open_websocket(wire, target)
    ws.send_frames([build_frame(CLOSE, close_payload(1000)), build_frame(PING, b"after close")])
    ex = ws.read(answer_close=False)
    ex.frames += ws.read(answer_close=False, timeout=min(0.2, ws.timeout)).frames
    if not ex.closed or ex.pongs:
        fail(
            "a Close frame (or the TCP connection closed) and no Pong: the Ping came after "
            "the Close",
            ex.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.1/no-data-after-close",
    level="MUST",
    ref=f"{REF} §5.5.1",
    quote="The application MUST NOT send any more data frames after sending a Close frame.",
)
@pytest.mark.parametrize(
    "fragmented", [False, True], ids=["text-after-close", "close-inside-fragmented-text"]
)
def test_no_echo_after_close(target: Target, wire: Wire, fragmented: bool) -> None:
    """Send a Close 1000 then a text 'after close' in one write (Autobahn 7.1.4); or a text
    fragment, the Close, then the last fragment (7.1.5). The Close reply ends the data."""
    ws = open_websocket(wire, target)
    close = build_frame(CLOSE, close_payload(1000))
    if fragmented:
        frames = [build_frame(T, b"fragment1", fin=False), close, build_frame(C, b"fragment2")]
    else:
        frames = [close, build_frame(T, b"after close")]
    ws.send_frames(frames)
    ex = ws.read(answer_close=False)
    ex.frames += ws.read(answer_close=False, timeout=min(0.2, ws.timeout)).frames
    after = b"fragment2" if fragmented else b"after close"
    if not ex.closed or any(after in data for _, data in ex.messages()):
        fail(
            f"a Close frame (or the TCP connection closed) and no echo of {after!r}, which "
            "came after the Close",
            ex.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/7.1.1/server-closes-tcp-first",
    level="SHOULD",
    ref=f"{REF} §7.1.1",
    quote="The underlying TCP connection, in most normal cases, SHOULD be closed first by the "
    "server, so that it holds the TIME_WAIT state and not the client",
)
def test_server_closes_tcp_after_closing_handshake(target: Target, wire: Wire) -> None:
    """Send a Close 1000, read the Close reply, and keep our side of TCP open."""
    ws = open_websocket(wire, target)
    ex = _close_and_read(ws, close_payload(1000))
    if ex.close is None:
        pytest.skip(f"no Close reply ({ex.describe()}); close-answered judges that")
    end = ws.wait_for_end()
    if end not in (End.FIN, End.RST):
        fail(
            "the server closes the TCP connection after the closing handshake",
            f"{ex.describe()}; the TCP connection still open {ws.timeout:g} s later",
        )


@pytest.mark.requirement(
    "websocket/rfc6455/5.5.1/close-body-1-byte", level="MUST", ref=f"{REF} §5.5.1", quote=BODY_QUOTE
)
@pytest.mark.parametrize("case", cases("close-1-byte"))
def test_one_byte_close_body_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a Close whose body is the single byte 0x03 (Autobahn 7.3.2)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/7.4/invalid-close-code",
    level="MUST",
    ref=f"{REF} §5.5.1, §7.4",
    quote=BODY_QUOTE,
)
@pytest.mark.parametrize("case", cases(*(f"close-code-{c}" for c in INVALID_CLOSE_CODES)))
def test_invalid_close_code_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a Close with a code no endpoint may send (Autobahn 7.9.x; 1015 too)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/8.1/close-reason-utf8",
    level="MUST",
    ref=f"{REF} §5.5.1, §8.1",
    quote="When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte "
    "stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket "
    "Connection_.",
)
@pytest.mark.parametrize("case", cases("close-reason-invalid-utf8"))
def test_close_reason_not_utf8_fails(target: Target, wire: Wire, case: FailCase) -> None:
    """Send a Close 1000 whose reason holds a surrogate (Autobahn 7.5.1)."""
    expect_failed(run_failure(wire, target, case), case)


@pytest.mark.requirement(
    "websocket/rfc6455/7.4.2/codes-above-4999",
    level="MAY",
    ref=f"{REF} §7.4.2",
    quote="Status codes in the range 4000-4999 are reserved for private use and thus can't be "
    "registered.",
)
def test_codes_above_4999(target: Target, wire: Wire, finding: Callable[[str], None]) -> None:
    """Send a Close 5000, then (new connection) a Close 65535; report the replies
    (Autobahn 7.13: outside every range the RFC defines)."""
    seen = []
    for code in (5000, 65535):
        ws = open_websocket(wire, target)
        ex = _close_and_read(ws, close_payload(code))
        seen.append(f"{code}: {ex.describe()}")
    finding("; ".join(seen))

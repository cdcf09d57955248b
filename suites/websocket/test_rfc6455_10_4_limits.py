"""RFC 6455 §10.4 and §7.4.1: a stated message-size limit (not in Autobahn).

With ``--websocket-max-message N``: a message of N bytes is echoed; one of N+1 bytes,
in one frame or in fragments, fails the connection, best with 1009 (Message Too Big).
Without the option these checks are not assessed.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.websocket import Exchange, Opcode, build_frame, open_websocket
from harness.wire import Wire
from suites.websocket.cases import REF, TOO_BIG, expect_echo, stated_limit

NEEDS_MAX_MESSAGE = (
    "test_message_at_the_stated_limit_echoed",
    "test_message_past_the_stated_limit_fails",
    "test_message_past_the_stated_limit_gets_1009",
)
LIMIT_QUOTE = (
    "Implementations that have implementation- and/or platform-specific limitations "
    "regarding the frame size or total message size after reassembly from multiple frames "
    "MUST protect themselves against exceeding those limits."
)
B, C = Opcode.BINARY, Opcode.CONTINUATION


def _limit(wirecert: CheckContext, target: Target) -> int:
    limit = stated_limit(wirecert.option("max-message"), target)
    assert limit is not None, "collected only with a stated limit"
    return limit


def _past_limit(wire: Wire, target: Target, limit: int, fragmented: bool) -> Exchange:
    ws = open_websocket(wire, target)
    payload = bytes(limit + 1)
    if fragmented:
        half = (limit + 1) // 2 or 1
        ws.send_frames([build_frame(B, payload[:half], fin=False), build_frame(C, payload[half:])])
    else:
        ws.send_frames([build_frame(B, payload)])
    return ws.read_until_closed()


@pytest.mark.requirement(
    "websocket/rfc6455/10.4/stated-limit", level="MUST", ref=f"{REF} §10.4", quote=LIMIT_QUOTE
)
def test_message_at_the_stated_limit_echoed(
    target: Target, wire: Wire, wirecert: CheckContext
) -> None:
    """Send one binary message of exactly the stated limit."""
    limit = _limit(wirecert, target)
    ws = open_websocket(wire, target)
    payload = (bytes(range(256)) * (limit // 256 + 1))[:limit]
    ws.send_frames([build_frame(B, payload)])
    expect_echo(ws.read_message(), B, payload, what=f"the stated limit is {limit} bytes")


@pytest.mark.requirement(
    "websocket/rfc6455/10.4/stated-limit", level="MUST", ref=f"{REF} §10.4", quote=LIMIT_QUOTE
)
@pytest.mark.parametrize("fragmented", [False, True], ids=["one-frame", "two-fragments"])
def test_message_past_the_stated_limit_fails(
    target: Target, wire: Wire, wirecert: CheckContext, fragmented: bool
) -> None:
    """Send one binary message one byte past the stated limit, in one frame or in two
    fragments."""
    limit = _limit(wirecert, target)
    ex = _past_limit(wire, target, limit, fragmented)
    if ex.messages() or not ex.closed:
        fail(
            f"the connection failed (best with {TOO_BIG}) on a message of {limit + 1} bytes, "
            f"past the stated limit of {limit}",
            ex.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/7.4.1/message-too-big-1009",
    level="SHOULD",
    ref=f"{REF} §7.4.1, §7.1.7",
    quote="1009 indicates that an endpoint is terminating the connection because it has "
    "received a message that is too big for it to process.",
)
def test_message_past_the_stated_limit_gets_1009(
    target: Target, wire: Wire, wirecert: CheckContext
) -> None:
    """Send one binary message one byte past the stated limit, in one frame."""
    limit = _limit(wirecert, target)
    ex = _past_limit(wire, target, limit, False)
    if ex.messages() or not ex.closed:
        pytest.skip("the connection was not failed; stated-limit judges that")
    if ex.close is None:
        pytest.skip("no Close frame at all; fail-with-close-code judges that")
    if ex.close_code != TOO_BIG:
        fail(f"a Close frame with {TOO_BIG} before the TCP connection closed", ex.describe())

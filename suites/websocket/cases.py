"""Shared by the websocket checks: failure cases, and the verifiers of echo and failure.

A *failure case* sends something the RFC says the server must fail the connection on.
It is judged twice, as Autobahn judges it: the message behaviour (the connection is
failed, nothing invalid is echoed: a MUST, in the check of the case's own section) and
the close behaviour (a Close frame with an appropriate code went first: RFC 6455
§7.1.7's SHOULD, in ``test_rfc6455_7_1_7_close_behaviour.py``). Every failure case is
registered here, by name, so both checks run the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from harness.targets import Target
from harness.verify import describe_difference, fail
from harness.websocket import Exchange, Opcode, WsConnection, build_frame, open_websocket
from harness.wire import Wire

REF = "RFC 6455"

#: Close codes RFC 6455 §7.4.1 names for a failure.
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007
TOO_BIG = 1009

Steps = Callable[[WsConnection], None]

REASSEMBLE_QUOTE = (
    'If the frame is part of a fragmented message, the "Application data" of the subsequent '
    "data frames is concatenated to form /data/."
)
LENGTH_QUOTE = "Payload length:  7 bits, 7+16 bits, or 7+64 bits"


@dataclass(frozen=True)
class FailCase:
    """Something the server must fail the connection on."""

    name: str
    steps: Steps
    #: the close codes that are appropriate (RFC 6455 §7.4.1)
    codes: frozenset[int]
    #: what we sent, in words
    what: str
    #: messages sent before the fault, which the server may echo first
    allowed: tuple[bytes, ...] = ()
    #: the fault is in a Close frame: a Close reply that is no failure code (1000, or
    #: the code sent) means the server took it for a valid Close
    close_case: bool = False


FAIL_CASES: dict[str, FailCase] = {}


#: The embedded reference's message-size limit (``serve websocket --max-message``'s
#: default): the limit the suite checks when it certifies the reference.
REFERENCE_MAX_MESSAGE = 16 * 1024 * 1024


def stated_limit(limit: int | None, target: Target) -> int | None:
    """The message-size limit to check: ``--websocket-max-message``, or for the embedded
    reference its own; None: no limit stated."""
    if limit is None and target.embedded:
        return REFERENCE_MAX_MESSAGE
    return limit


def failure(
    name: str,
    what: str,
    codes: frozenset[int] | int = PROTOCOL_ERROR,
    allowed: tuple[bytes, ...] = (),
    close_case: bool = False,
) -> Callable[[Steps], Steps]:
    """Register a failure case (decorates its steps)."""

    def register(steps: Steps) -> Steps:
        if name in FAIL_CASES:
            raise ValueError(f"failure case {name} registered twice")
        code_set = frozenset({codes}) if isinstance(codes, int) else codes
        FAIL_CASES[name] = FailCase(name, steps, code_set, what, allowed, close_case)
        return steps

    return register


def cases(*names: str) -> list[object]:
    """``pytest.param`` per failure case name, for parametrizing a check."""
    return [pytest.param(FAIL_CASES[n], id=n) for n in names]


#: The text message sent after every failure case: its echo shows at once that the
#: server carried on past the fault, with no wait for a timeout. A data message, not a
#: Ping: a server may check a message's UTF-8 only when its application reads it, after
#: its I/O has answered later Pings, but it handles data messages in order.
PROBE = b"wirecert probe"


def carried_on(ex: Exchange) -> bool:
    return (Opcode.TEXT, PROBE) in ex.messages()


def run_failure(wire: Wire, target: Target, case: FailCase) -> Exchange:
    """Open a connection, send the case's bytes and then the text ``PROBE``; read until
    the server closes, or until the probe's echo shows it carried on."""
    ws = open_websocket(wire, target)
    case.steps(ws)
    if ws.end is None:
        ws.send_frames([build_frame(Opcode.TEXT, PROBE)])
    return ws.read(carried_on)


def _failed_text(case: FailCase) -> str:
    codes = " or ".join(str(c) for c in sorted(case.codes))
    allowed = (
        f" (the {len(case.allowed)} valid message(s) sent before it may be echoed first)"
        if case.allowed
        else ""
    )
    return (
        f"the connection failed after {case.what}: a Close frame (best {codes}"
        + (", not a normal Close reply" if case.close_case else "")
        + f") or the TCP connection closed, with nothing of it echoed and no Pong after it"
        f"{allowed}"
    )


def _not_failed(ex: Exchange, case: FailCase) -> str | None:
    """Why ``ex`` is not a failed connection for ``case``, or None when it is."""
    echoed = [m for m in ex.messages() if m[1] not in case.allowed and m[1] != PROBE]
    if echoed:
        return f"echoed {len(echoed)} message(s) it must not"
    if ex.pongs:
        return "answered a Ping that followed the fault"
    if carried_on(ex):
        return f"carried on: echoed the text {PROBE!r} sent after the fault"
    if not ex.closed:
        return "kept the connection open"
    failure_codes = case.codes | {PROTOCOL_ERROR, INVALID_DATA}
    if case.close_case and ex.close is not None and ex.close_code not in failure_codes:
        return "answered it as a valid Close"
    return None


def expect_failed(ex: Exchange, case: FailCase) -> None:
    """The message behaviour: the connection failed, nothing invalid came back."""
    __tracebackhide__ = True
    why = _not_failed(ex, case)
    if why is not None:
        fail(_failed_text(case), f"{ex.describe()} ({why})")


def expect_close_code(ex: Exchange, case: FailCase) -> None:
    """The close behaviour: a Close frame with an appropriate code came before TCP closed.

    A connection that was not failed at all is judged by the case's own MUST check.
    """
    __tracebackhide__ = True
    if _not_failed(ex, case) is not None:
        pytest.skip(
            f"the connection was not failed ({ex.describe()}); the case's own check judges that"
        )
    if ex.close_code not in case.codes:
        codes = sorted(case.codes)
        fail(
            [f"a Close frame with code {c} before the TCP connection closed" for c in codes],
            ex.describe(),
        )


def expect_echo(ex: Exchange, opcode: int, payload: bytes, *, what: str = "") -> None:
    """The message came back whole, with its type, as one message."""
    __tracebackhide__ = True
    kind = Opcode(opcode).name.lower()
    expected = f"the {kind} message of {len(payload)} bytes echoed as one {kind} message" + (
        f" ({what})" if what else ""
    )
    messages = ex.messages()
    if not messages:
        fail(expected, ex.describe())
    got_op, got = messages[0]
    if got_op != opcode or got != payload:
        diff = describe_difference(payload, got) if got != payload else f"opcode {got_op}"
        extra = f"; {len(messages)} messages came back" if len(messages) > 1 else ""
        fail(expected, f"{ex.describe()}; {diff}{extra}")


def echo_of(ws: WsConnection, count: int = 1) -> Exchange:
    return ws.read_messages(count)


def chopped(ws: WsConnection, frames: list[bytes], size: int = 1) -> None:
    """Send the frames' bytes in writes of ``size`` bytes."""
    ws.send_chopped(b"".join(frames), size)


def text(payload: bytes, **options: object) -> bytes:
    return build_frame(Opcode.TEXT, payload, **options)  # type: ignore[arg-type]


def frame(opcode: int, payload: bytes = b"", **options: object) -> bytes:
    return build_frame(opcode, payload, **options)  # type: ignore[arg-type]

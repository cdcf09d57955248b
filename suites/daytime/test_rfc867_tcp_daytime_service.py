"""RFC 867, "TCP Based Daytime Service".

One daytime service is defined as a connection based application on TCP. A
server listens for TCP connections on TCP port 13. Once a connection is
established the current date and time is sent out the connection as a ascii
character string (and any data received is thrown away). The service closes the
connection after sending the quote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from harness.targets import Target
from harness.verify import ANY_END, verify
from harness.wire import End, Observation, Wire
from suites.daytime.syntax import is_printable_ascii, recognise

pytestmark = pytest.mark.scheme("tcp")

REF = "RFC 867, TCP Based Daytime Service"
SENT_OUT = (
    "Once a connection is established the current date and time is sent out the connection "
    "as a ascii character string (and any data received is thrown away)."
)

#: What we send to check that input is thrown away: easy to spot if echoed.
INPUT = b"WIRECERT-INPUT-TO-BE-THROWN-AWAY\r\n"


def _daytime(wire: Wire, target: Target) -> Observation:
    """Everything the server sends on a quiet connection; skip when it sends nothing.

    Checks of the text depend on there being one: a silent server is reported once,
    by daytime/rfc867/tcp/sends-without-input, not again by every check of the text.
    """
    observed = wire.connect(target).events_until_closed()
    if not observed.received:
        pytest.skip(
            "the server sent nothing, so there is no text to judge "
            "(daytime/rfc867/tcp/sends-without-input reports that)"
        )
    return observed


@pytest.mark.requirement(
    "daytime/rfc867/tcp/sends-without-input", level="MUST", ref=REF, quote=SENT_OUT
)
def test_sends_without_waiting_for_input(target: Target, wire: Wire) -> None:
    """Connect and send nothing; wait for the date and time."""
    observed = wire.connect(target).receive(until=bool)
    verify(
        observed,
        received=bool,
        then={End.OPEN, End.FIN},
        expected="the date and time, sent without any input from us",
    )


@pytest.mark.requirement(
    "daytime/rfc867/tcp/printable-ascii", level="MUST", ref=REF, quote=SENT_OUT
)
def test_text_is_printable_ascii(target: Target, wire: Wire) -> None:
    """Connect, send nothing, and read everything until the server closes."""
    verify(
        _daytime(wire, target),
        received=is_printable_ascii,
        expected="printable ASCII (0x20-0x7E), a trailing CRLF or LF allowed",
    )


@pytest.mark.requirement(
    "daytime/rfc867/tcp/closes-after-sending",
    level="MUST",
    ref=REF,
    quote="The service closes the connection after sending the quote.",
)
def test_closes_after_sending(target: Target, wire: Wire) -> None:
    """Connect, send nothing, and wait for the server to close after the date."""
    verify(_daytime(wire, target), received=bool, then={End.FIN}, expected="the date and time")


@pytest.mark.requirement("daytime/rfc867/tcp/input-ignored", level="MUST", ref=REF, quote=SENT_OUT)
def test_input_is_thrown_away(target: Target, wire: Wire) -> None:
    """Connect quietly once for the usual text; connect again and at once send a line of
    our own: the date must come back all the same, in the same syntax.

    A server that does not read what we sent closes with RST rather than FIN (the
    kernel resets a connection closed with unread data), so either end is accepted.
    Whether the text is printable is daytime/rfc867/tcp/printable-ascii's business.
    """
    first = wire.connect(target)
    quiet = first.events_until_closed().received
    first.close()  # a server serving one client at a time waits for this
    conn = wire.connect(target)
    conn.send(INPUT)
    observed = conn.events_until_closed()
    usual = recognise(quiet)
    if usual is not None:
        # The usual text has a known syntax: the answer to input must have it too, so
        # a server that answers input with an error message is caught.
        expected = f"the date and time in the usual syntax ({usual.syntax}), our input ignored"

        def same_answer(got: bytes) -> bool:
            again = recognise(got)
            return again is not None and again.syntax == usual.syntax
    else:
        expected = "the date and time, our input neither echoed nor answered"

        def same_answer(got: bytes) -> bool:
            return bool(got) and INPUT.strip() not in got

    verify(observed, received=same_answer, then={End.FIN, End.RST}, expected=expected)


@pytest.mark.requirement(
    "daytime/rfc867/tcp/concurrent-clients",
    level="SHOULD",
    ref=REF,
    quote="A server listens for TCP connections on TCP port 13.",
)
def test_second_client_served_while_first_holds_open(target: Target, wire: Wire) -> None:
    """Hold one connection open without reading or closing; a second client asks meanwhile.

    The counterexample is a server that serves one connection at a time until the
    client goes away. If the second client gets nothing even after the first has
    gone, the server sends nothing unprompted, which sends-without-input reports.
    """
    first = wire.connect(target)
    second = wire.connect(target)
    observed = second.receive(until=bool)
    first.close()
    if not observed.received:
        late = second.receive(until=bool)
        if not late.received:
            pytest.skip(
                "the server sent nothing even to a lone client "
                "(daytime/rfc867/tcp/sends-without-input reports that)"
            )
        observed = Observation(
            late.received,
            End.TIMEOUT,
            observed.elapsed,
            "the date came only once the first client had closed",
        )
    verify(
        observed,
        received=bool,
        then=ANY_END - {End.TIMEOUT},
        expected="the date and time for the second client while the first is connected",
    )


@pytest.mark.requirement(
    "daytime/rfc867/tcp/syntax",
    level="MAY",
    ref="RFC 867, Daytime Syntax",
    quote="There is no specific syntax for the daytime.",
)
def test_syntax_is_recognised(target: Target, wire: Wire, finding: Callable[[str], None]) -> None:
    """Connect, send nothing, and name the syntax of what comes back (informational)."""
    text = _daytime(wire, target).received
    known = recognise(text)
    finding(known.describe(datetime.now(UTC)) if known else f"unrecognised syntax: {text[:80]!r}")

"""RFC 8446 §6.1, closure alerts: what the server does with our close_notify.

Informational here: what a server does after the client's close_notify belongs to the
application protocol over TLS (the echo suite's TLS checks make it a requirement for
echo, where the server closes in turn).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from suites.tls import SCHEMES
from suites.tlsprobes import inspecting_context

pytestmark = pytest.mark.scheme(*SCHEMES)


@pytest.mark.requirement(
    "tls/rfc8446/6.1/close-notify-answered",
    level="MAY",
    ref="RFC 8446 §6.1",
    quote="Either party MAY initiate a close of its write side of the connection by sending a "
    '"close_notify" alert.',
)
def test_close_notify_is_answered(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Handshake, send our close_notify at once, read until the server closes or is silent."""
    conn = wire.connect(target, tls=inspecting_context())
    conn.shutdown_write()
    observed = conn.events_until_closed()
    expected = "a close_notify of the server's own before it closes (or the connection kept open)"
    if observed.end is End.FIN and not conn.close_notify:
        fail(expected, "the server closed the TCP connection without a close_notify")
    if observed.end is End.RST:
        fail(expected, "the server reset the connection")
    finding(
        "the server answered with a close_notify and closed"
        if observed.end is End.FIN
        else f"the server kept the connection open ({observed.end.describe()})"
    )

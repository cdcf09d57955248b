"""RFC 862, "TCP Based Echo Service": serving many clients, and surviving bad ones.

Each check runs a plain exchange before and after the trouble (a sanity probe, as
tlsfuzzer does), so a pass shows the server was alive before and survived after.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import ANY_END, verify
from harness.wire import End, Wire

pytestmark = pytest.mark.scheme("tcp")

REF = "RFC 862, TCP Based Echo Service"
LISTENS = "A server listens for TCP connections on TCP port 7."


def _sane(wire: Wire, target: Target, label: str) -> None:
    """A plain exchange on a new connection must work."""
    __tracebackhide__ = True
    message = f"sanity {label}".encode()
    conn = wire.connect(target)
    verify(
        conn.exchange(message),
        received=message,
        then={End.OPEN},
        expected=f"the {label} sanity exchange echoed",
    )
    conn.close()


@pytest.mark.requirement(
    "echo/rfc862/tcp/concurrent-clients", level="SHOULD", ref=REF, quote=LISTENS
)
@pytest.mark.parametrize("first", ["active", "silent"])
def test_second_client_served_while_first_connected(target: Target, wire: Wire, first: str) -> None:
    """Keep a first client connected (after an exchange, or silent: connected, sending and
    reading nothing), then a second client exchanges a message.

    The counterexamples are a server that serves one connection at a time, and one
    whose accept loop waits for a client's first bytes: a silent client (a dead
    network card, in the book's words) then blocks everyone.
    """
    _sane(wire, target, "before")
    holder = wire.connect(target)
    if first == "active":
        verify(
            holder.exchange(b"first client"),
            received=b"first client",
            then=ANY_END,
            expected="the first client's message back",
        )
    second = wire.connect(target)
    verify(
        second.exchange(b"second client"),
        received=b"second client",
        then={End.OPEN},
        expected=f"the second client's message back while the first is connected ({first})",
    )
    holder.close()
    second.close()
    _sane(wire, target, "after")


@pytest.mark.requirement(
    "echo/rfc862/tcp/survives-client-reset", level="MUST", ref=REF, quote=LISTENS
)
def test_client_reset_mid_stream_harms_no_one(target: Target, wire: Wire) -> None:
    """Start streaming 256 KiB on one connection and reset it (SO_LINGER 0) mid-stream,
    as a crashing client does; the server must go on serving new clients."""
    _sane(wire, target, "before")
    crashing = wire.connect(target)
    crashing.send(bytes(64 * 1024))
    crashing.reset()
    bystander = wire.connect(target)
    verify(
        bystander.exchange(b"after the reset"),
        received=b"after the reset",
        then={End.OPEN},
        expected="a new client served after another client reset its connection",
    )
    bystander.close()
    _sane(wire, target, "after")

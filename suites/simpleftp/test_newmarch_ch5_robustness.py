"""Newmarch, *Network Programming with Go*, ch. 5: surviving short and unknown commands.

The book's server takes each read as one command and tests ``s[0:2] == "CD"`` (the
argument is ``s[3:]``), then ``s[0:3] == "DIR"`` and ``s[0:3] == "PWD"``; anything else
is ignored. A read shorter than three bytes, or ``CD`` alone, makes those slices
panic, and the panic ends the whole process: one client's stray bytes end the
service for everyone. Each check runs a PWD on a new connection before and after the
trouble (a sanity probe, as tlsfuzzer does), so a pass shows the server was alive
before and survived after.

This file runs last (file order): a server that dies here leaves no later check
without a target.
"""

from __future__ import annotations

import time

import pytest

from harness.errors import ConformanceFailure
from harness.targets import Target
from harness.verify import fail, verify
from harness.wire import End, Wire
from suites.simpleftp.client import REF, command

pytestmark = pytest.mark.scheme("tcp")

SURVIVES_QUOTE = (
    "The book's server slices each read as s[0:2] and s[0:3]; a read shorter than three "
    "bytes, or CD alone, panics, and the panic ends the whole server."
)

#: Each sent in one write on its own connection.
BAD_COMMANDS = {
    "cd-alone": b"CD",
    "one-byte": b"X",
    "two-bytes": b"PW",
    "unknown-command": b"HELLO",
    "binary-garbage": bytes(range(256)),
}


def _sane(wire: Wire, target: Target, label: str) -> None:
    """PWD on a new connection must be answered."""
    __tracebackhide__ = True
    try:
        conn = wire.connect(target)
    except ConformanceFailure as exc:
        fail(f"a new connection accepted for the sanity PWD {label}", exc.actual)
    verify(
        command(conn, b"PWD"),
        received=bool,
        then={End.OPEN},
        expected=f"an answer to the sanity PWD {label}, on a new connection",
    )
    conn.close()


@pytest.mark.requirement(
    "simpleftp/ch5/robustness/survives-bad-commands", level="MUST", ref=REF, quote=SURVIVES_QUOTE
)
@pytest.mark.parametrize("chunk", list(BAD_COMMANDS.values()), ids=list(BAD_COMMANDS))
def test_server_survives_a_short_or_unknown_command(
    target: Target, wire: Wire, chunk: bytes
) -> None:
    """Sanity PWD; on a new connection send the chunk in one write, wait a moment for a
    reply (none is required) and close; sanity PWD on a new connection."""
    _sane(wire, target, "before the trouble")
    conn = wire.connect(target)
    window = min(0.3, conn.timeout / 4)
    conn.send(chunk)
    observed = conn.receive(until=bool, timeout=window)
    conn.close()
    if observed.end in (End.FIN, End.RST) and observed.elapsed < window:
        # The connection ended at once: give a dying server the rest of the moment to die.
        time.sleep(window - observed.elapsed)
    _sane(wire, target, f"after {chunk[:16]!r} was sent")

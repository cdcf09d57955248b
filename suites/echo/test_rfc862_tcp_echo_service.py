"""RFC 862, "TCP Based Echo Service".

One echo service is defined as a connection based application on TCP. A server
listens for TCP connections on TCP port 7. Once a connection is established any
data received is sent back. This continues until the calling user terminates the
connection.
"""

from __future__ import annotations

import time

import pytest

from harness.fuzzers.streams import chops
from harness.targets import Target
from harness.verify import ANY_END, verify
from harness.wire import End, Wire

pytestmark = pytest.mark.scheme("tcp")

REF = "RFC 862, TCP Based Echo Service"
SENT_BACK = "Once a connection is established any data received is sent back."
CONTINUES = "This continues until the calling user terminates the connection."

KIB, MIB = 1024, 1024 * 1024

#: Payloads whose content matters: every octet value; line endings in every order; a
#: message with no newline at all (a line-buffered server would sit on it).
CONTENTS = {
    "all-256-octets": bytes(range(256)),
    "cr-lf-untouched": b"a\r\nb\rc\nd\n\re\r\r\n\n",
    "no-newline-needed": b"no newline follows",
}


def _pattern(size: int) -> bytes:
    """A payload in which every 4-byte window is distinct, so a misplaced block shows."""
    return b"".join(i.to_bytes(4, "big") for i in range((size + 3) // 4))[:size]


@pytest.mark.requirement("echo/rfc862/tcp/data-returned", level="MUST", ref=REF, quote=SENT_BACK)
@pytest.mark.parametrize("payload", list(CONTENTS.values()), ids=list(CONTENTS))
def test_content_comes_back_unchanged(target: Target, wire: Wire, payload: bytes) -> None:
    """Send the payload in one write and read back as many bytes."""
    observed = wire.connect(target).exchange(payload)
    verify(
        observed,
        received=payload,
        then=ANY_END,
        expected=f"the same {len(payload)} bytes back, unchanged",
    )


WRITE_PATTERNS = {
    "one-byte-at-a-time": (64, lambda n: (1,) * n),
    "random-chops": (64 * KIB, lambda n: chops(n, seed=862)),
    "one-large-write": (1 * MIB, lambda n: (n,)),
}


@pytest.mark.requirement("echo/rfc862/tcp/data-returned", level="MUST", ref=REF, quote=SENT_BACK)
@pytest.mark.parametrize("pattern", list(WRITE_PATTERNS))
def test_any_write_pattern_comes_back(target: Target, wire: Wire, pattern: str) -> None:
    """Send a payload cut into writes of the pattern's sizes, reading back all the while."""
    size, sizes_of = WRITE_PATTERNS[pattern]
    payload = _pattern(size)
    chunks, offset = [], 0
    for n in sizes_of(size):
        chunks.append(payload[offset : offset + n])
        offset += n
    observed = wire.connect(target).exchange(payload, chunks=chunks)
    verify(
        observed,
        received=payload,
        then=ANY_END,
        expected=f"the same {size} bytes back, whatever the writes",
    )


@pytest.mark.requirement("echo/rfc862/tcp/data-returned", level="MUST", ref=REF, quote=SENT_BACK)
@pytest.mark.parametrize(
    "size", [1, 1 * KIB, 64 * KIB, 1 * MIB, 16 * MIB], ids=["1B", "1KiB", "64KiB", "1MiB", "16MiB"]
)
def test_every_size_comes_back(target: Target, wire: Wire, size: int) -> None:
    """Stream the payload while reading the echo concurrently (no deadlock on full buffers)."""
    payload = _pattern(size)
    observed = wire.connect(target).exchange(payload)
    verify(observed, received=payload, then=ANY_END, expected=f"all {size} bytes back, in order")


@pytest.mark.requirement(
    "echo/rfc862/tcp/connection-stays-open", level="MUST", ref=REF, quote=CONTINUES
)
def test_connection_stays_open_between_messages(target: Target, wire: Wire) -> None:
    """Send a message, read its echo, pause, then send another on the same connection."""
    conn = wire.connect(target)
    first = conn.exchange(b"first message")
    verify(first, received=b"first message", then=ANY_END, expected="the first message back")
    time.sleep(min(0.5, conn.timeout / 2))
    second = conn.exchange(b"second message")
    verify(
        second,
        received=b"second message",
        then={End.OPEN},
        expected="the second message back on the same connection",
    )


@pytest.mark.requirement(
    "echo/rfc862/tcp/close-after-client-close", level="SHOULD", ref=REF, quote=CONTINUES
)
@pytest.mark.parametrize("size", [10, 1 * MIB], ids=["10B", "1MiB"])
def test_server_finishes_and_closes_after_client_closes(
    target: Target, wire: Wire, size: int
) -> None:
    """Send data, shut down our sending side at once, and read until the server closes.

    The user has terminated: the server should send back what it still holds, then
    close its side too, rather than leave a half-open connection behind.
    """
    payload = _pattern(size)
    conn = wire.connect(target)
    conn.send(payload)
    conn.shutdown_write()
    verify(
        conn.events_until_closed(),
        received=payload,
        then={End.FIN},
        expected=f"the {size} bytes back",
    )

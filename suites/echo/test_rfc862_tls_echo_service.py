"""RFC 862 over TLS: the book's chapter 7 TLS echo server (port 1200).

RFC 862 defines echo over TCP; over TLS the same service runs on the TLS connection's
plaintext. The data checks complete their handshake without verifying the certificate
(the certificate is the business of ``handshake-verifies`` here, and of the tls suite),
so a server with a certificate problem is blamed for that problem only.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import ANY_END, fail, verify
from harness.wire import End, Wire
from suites.tlsprobes import inspecting_context, tls_handshake_failed

pytestmark = pytest.mark.scheme("tls")

REF = "RFC 862, TCP Based Echo Service"
SENT_BACK = "Once a connection is established any data received is sent back."
CONTINUES = "This continues until the calling user terminates the connection."

KIB = 1024
#: The largest plaintext one TLS record carries (RFC 8446 §5.1: 2^14 bytes).
RECORD = 16 * KIB


def _pattern(size: int) -> bytes:
    """A payload in which every 4-byte window is distinct, so a misplaced block shows."""
    return b"".join(i.to_bytes(4, "big") for i in range((size + 3) // 4))[:size]


#: name -> (payload, the sizes of the writes it is sent in)
PAYLOADS = {
    "all-256-octets": (bytes(range(256)), (256,)),
    "cr-lf-untouched": (b"a\r\nb\rc\nd\n\re\r\r\n\n", (18,)),
    # Many small writes before any echo is read: one TLS record each, all in flight.
    "pipelined-writes": (_pattern(64 * 40), (64,) * 40),
    # Larger than one record: the server must reassemble and echo across records.
    "larger-than-a-record": (_pattern(RECORD + 1), (RECORD + 1,)),
    "1MiB-stream": (_pattern(1024 * KIB), (1024 * KIB,)),
}


@pytest.mark.requirement("echo/rfc862/tls/data-returned", level="MUST", ref=REF, quote=SENT_BACK)
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_data_comes_back_over_tls(target: Target, wire: Wire, name: str) -> None:
    """Handshake, send the payload in the given writes, and read back as many bytes."""
    payload, sizes = PAYLOADS[name]
    chunks, offset = [], 0
    for n in sizes:
        chunks.append(payload[offset : offset + n])
        offset += n
    conn = wire.connect(target, tls=inspecting_context())
    observed = conn.exchange(payload, chunks=chunks)
    verify(
        observed,
        received=payload,
        then=ANY_END,
        expected=f"the same {len(payload)} bytes back over TLS, unchanged",
    )


@pytest.mark.requirement(
    "echo/rfc862/tls/close-after-client-close", level="SHOULD", ref=REF, quote=CONTINUES
)
def test_server_finishes_and_closes_after_close_notify(target: Target, wire: Wire) -> None:
    """Send data and our close_notify at once, then read until the server closes.

    The user has terminated: the server should send back what it still holds, then
    close its side too, rather than leave a half-open connection behind.
    """
    payload = _pattern(64 * KIB)
    conn = wire.connect(target, tls=inspecting_context())
    conn.send(payload)
    conn.shutdown_write()
    verify(
        conn.events_until_closed(),
        received=payload,
        then={End.FIN},
        expected=f"the {len(payload)} bytes back",
    )


@pytest.mark.requirement(
    "echo/rfc862/tls/close-notify-before-close",
    level="MUST",
    ref="RFC 8446 §6.1",
    quote='Each party MUST send a "close_notify" alert before closing its write side of the '
    "connection, unless it has already sent some error alert.",
)
def test_server_sends_close_notify_before_closing(target: Target, wire: Wire) -> None:
    """Send a message and our close_notify; if the server then closes, see how."""
    conn = wire.connect(target, tls=inspecting_context())
    conn.send(b"last words")
    conn.shutdown_write()
    observed = conn.events_until_closed()
    expected = [
        "a close_notify, then the connection closed",
        "the connection kept open (the close is another requirement's question)",
    ]
    if observed.end is End.FIN and not conn.close_notify:
        fail(expected, f"{observed.describe()}, without a close_notify")
    if observed.end is End.RST:
        fail(expected, observed.describe())


@pytest.mark.requirement(
    "echo/rfc862/tls/handshake-verifies",
    level="MUST",
    ref="RFC 8446 §1",
    quote="Authentication: The server side of the channel is always authenticated; the client "
    "side is optionally authenticated.",
)
def test_handshake_verifies(target: Target, wire: Wire) -> None:
    """Handshake verifying the certificate chain and the target's name (--ca, or the
    embedded reference's CA, or the system's store), then one echo."""
    try:
        conn = wire.connect(target)
    except AssertionError as exc:
        if not tls_handshake_failed(exc):
            raise
        fail("a handshake whose certificate verifies for the target's name", str(exc.args[0]))
    assert conn.tls is not None
    if not conn.tls.verified:
        pytest.skip("--insecure: the certificate was not verified, so this was not assessed")
    verify(conn.exchange(b"authenticated"), received=b"authenticated", then=ANY_END)

"""Protocol versions: TLS 1.0 and 1.1 refused (RFC 8996), SSL 3.0 and 2.0 refused (RFC 8446
Appendix D.5, RFC 6176), TLS 1.2 supported and TLS 1.3 supported (RFC 9325 §3.1.1).

TLS 1.0 to 1.3 are offered by this machine's OpenSSL, one version per handshake, with
every cipher allowed (so a refusal is the server's, not our client's). OpenSSL here
cannot offer SSL 3.0 or SSL 2.0 at all, so those hellos are written by hand and only
the server's first answer is read: what matters is whether it agrees to the version.
"""

from __future__ import annotations

import ssl

import pytest

from harness.errors import HarnessError
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.tls import SCHEMES
from suites.tlsprobes import (
    SSL2_CLIENT_HELLO,
    plain,
    read_hello_reply,
    ssl3_client_hello,
    tls_handshake_failed,
    version_context,
)

pytestmark = pytest.mark.scheme(*SCHEMES)

BCP195 = "RFC 9325 §3.1.1"


#: OpenSSL's reasons for not sending a hello at all: our side cannot offer the version.
#: (UNSUPPORTED_PROTOCOL is not one: it is the server answering with another version.)
_CANNOT_OFFER = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE")


def _handshake_with_only(wire: Wire, target: Target, version: ssl.TLSVersion) -> str | None:
    """Offer exactly ``version``; the negotiated version, or None if the server refused
    (the refusal, an alert or a close, is in the wire log).

    A refusal must be the server's: if this machine's OpenSSL cannot offer the version
    at all, the check cannot be carried out (an error, never a pass).
    """
    if not getattr(ssl, f"HAS_{version.name}", True):
        raise HarnessError(f"this machine's OpenSSL cannot offer {version.name}")
    try:
        conn = wire.connect(target, tls=version_context(version))
    except AssertionError as exc:
        if not tls_handshake_failed(exc):
            raise
        why = str(getattr(exc, "actual", exc))
        if any(reason in why for reason in _CANNOT_OFFER):
            cannot = f"this machine's OpenSSL cannot offer {version.name}: {why}"
            raise HarnessError(cannot) from None
        return None
    return conn.tls.version if conn.tls is not None else None


def _refused(wire: Wire, target: Target, version: ssl.TLSVersion, name: str) -> None:
    __tracebackhide__ = True
    got = _handshake_with_only(wire, target, version)
    if got is not None:
        fail(f"the {name} handshake refused (an alert, or the connection closed)", f"{got} agreed")


@pytest.mark.requirement(
    "tls/rfc8996/4/tls10-refused",
    level="MUST",
    ref="RFC 8996 §4",
    quote="TLS 1.0 MUST NOT be used.",
)
def test_tls10_is_refused(target: Target, wire: Wire) -> None:
    """A ClientHello offering TLS 1.0 only."""
    _refused(wire, target, ssl.TLSVersion.TLSv1, "TLS 1.0")


@pytest.mark.requirement(
    "tls/rfc8996/5/tls11-refused",
    level="MUST",
    ref="RFC 8996 §5",
    quote="TLS 1.1 MUST NOT be used.",
)
def test_tls11_is_refused(target: Target, wire: Wire) -> None:
    """A ClientHello offering TLS 1.1 only."""
    _refused(wire, target, ssl.TLSVersion.TLSv1_1, "TLS 1.1")


@pytest.mark.requirement(
    "tls/rfc8446/D.5/sslv3-not-negotiated",
    level="MUST",
    ref="RFC 8446 Appendix D.5",
    quote="The security of SSL 3.0 [RFC6101] is considered insufficient for the reasons "
    "enumerated in [RFC7568], and it MUST NOT be negotiated for any reason.",
)
def test_ssl3_is_not_negotiated(target: Target, wire: Wire) -> None:
    """A hand-made ClientHello with version 0x0300 (SSL 3.0) and SSL 3.0 cipher suites."""
    conn = wire.connect(plain(target))
    conn.send(ssl3_client_hello())
    reply = read_hello_reply(conn)
    if reply.kind == "server-hello" and reply.version is not None and reply.version <= 0x0300:
        fail(
            "a protocol_version alert, or the connection closed, or no ServerHello for SSL 3.0",
            reply.describe(),
        )


@pytest.mark.requirement(
    "tls/rfc6176/3/sslv2-hello-refused",
    level="MUST",
    ref="RFC 6176 §3",
    quote="TLS servers MUST NOT reply with an SSL 2.0 SERVER-HELLO with a protocol version "
    "that is less than { 0x03, 0x00 } and instead MUST abort the connection",
)
def test_ssl2_hello_is_refused(target: Target, wire: Wire) -> None:
    """A hand-made SSL 2.0 CLIENT-HELLO with version 0x0002 and SSL 2.0 cipher kinds."""
    conn = wire.connect(plain(target))
    conn.send(SSL2_CLIENT_HELLO)
    reply = read_hello_reply(conn)
    if reply.kind == "ssl2-server-hello":
        fail("the connection aborted (an alert, a close or a reset)", reply.describe())


@pytest.mark.requirement(
    "tls/rfc9325/3.1.1/tls12-supported",
    level="MUST",
    ref=BCP195,
    quote="Implementations MUST support TLS 1.2 [RFC5246].",
)
def test_tls12_is_supported(target: Target, wire: Wire) -> None:
    """A ClientHello offering TLS 1.2 only."""
    got = _handshake_with_only(wire, target, ssl.TLSVersion.TLSv1_2)
    if got != "TLSv1.2":
        fail("a TLS 1.2 handshake that completes", got or "the TLS 1.2 handshake refused")


@pytest.mark.requirement(
    "tls/rfc9325/3.1.1/tls13-supported",
    level="SHOULD",
    ref=BCP195,
    quote="Implementations SHOULD support TLS 1.3 [RFC8446] and, if implemented, MUST prefer "
    "to negotiate TLS 1.3 over earlier versions of TLS.",
)
def test_tls13_is_supported(target: Target, wire: Wire) -> None:
    """A ClientHello offering TLS 1.3 only."""
    got = _handshake_with_only(wire, target, ssl.TLSVersion.TLSv1_3)
    if got != "TLSv1.3":
        fail("a TLS 1.3 handshake that completes", got or "the TLS 1.3 handshake refused")

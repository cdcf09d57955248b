"""Client contexts, certificate reading and hand-made hellos for the TLS checks.

The tls suite and the echo suite's TLS checks share these. Each check asks one
question, so each gets a context that asks only that question: a certificate check
reads the peer's certificate over a handshake that verifies nothing (the chain, the
name and the dates are each a requirement of their own), and the chain check verifies
the chain against the run's trust anchors but leaves the name and the dates to their
checks. Contexts allow every key size and hash (``@SECLEVEL=0``) so that a weak key is
seen and reported, not refused by our own OpenSSL before the check can look at it.

SSL 3.0 and SSL 2.0 hellos are written by hand: this OpenSSL cannot offer either.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import struct
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from harness.plugin import CheckContext
from harness.targets import Target
from harness.wire import TcpConnection, Wire

__all__ = [
    "ALL_STRENGTHS",
    "SSL2_CLIENT_HELLO",
    "HelloReply",
    "anchored_context",
    "inspecting_context",
    "name_matches",
    "peer_certificate",
    "plain",
    "presented_names",
    "read_hello_reply",
    "ssl3_client_hello",
    "tls_handshake_failed",
    "version_context",
]

#: Every cipher and key size OpenSSL has, so that weak ones are observed, not refused.
ALL_STRENGTHS = "ALL:@SECLEVEL=0"
#: OpenSSL's X509_V_FLAG_NO_CHECK_TIME: the dates are the validity check's question.
_NO_CHECK_TIME = 0x200000


def inspecting_context() -> ssl.SSLContext:
    """A TLS 1.2/1.3 client that completes a handshake with any certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(ALL_STRENGTHS)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def version_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that offers exactly ``version`` (TLS 1.0 and 1.1 included) and any cipher."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(ALL_STRENGTHS)
    with warnings.catch_warnings():
        # TLSv1 and TLSv1_1 are deprecated names: offering them is the point of the probe.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    return context


def anchored_context(wire: Wire, target: Target, run: CheckContext) -> ssl.SSLContext | None:
    """A client that verifies the chain against the run's trust anchors, and nothing else.

    The anchors are those of the run's own context: the embedded reference's CA,
    ``--ca``, or the system's store. None with ``--insecure``: nothing to verify against.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # the name check's question
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags = context.verify_flags | _NO_CHECK_TIME  # the validity check's
    context.set_ciphers(ALL_STRENGTHS)  # key size and hash: their own checks
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if target.embedded:
        run_context = wire.tls_context(target) if wire.tls_context else None
        anchors = run_context.get_ca_certs(binary_form=True) if run_context else []
        if not anchors:
            return None
        context.load_verify_locations(cadata=b"".join(anchors))
    elif run.settings.insecure:
        return None
    elif run.settings.ca is not None:
        context.load_verify_locations(cafile=os.fspath(run.settings.ca))
    else:
        context.load_default_certs()
    return context


def tls_handshake_failed(exc: AssertionError) -> bool:
    """Whether a failure from :meth:`Wire.connect` is the TLS handshake's (not the TCP's)."""
    expected: tuple[str, ...] = getattr(exc, "expected", ())
    return bool(expected) and expected[0].startswith("a TLS handshake")


def plain(target: Target) -> Target:
    """The same host and port as a plain TCP target, for hellos written by hand."""
    return Target("tcp", target.host, target.port, suite=target.suite, embedded=target.embedded)


def peer_certificate(conn: TcpConnection) -> x509.Certificate:
    """The end-entity certificate the peer sent in this connection's handshake."""
    info = conn.tls
    if info is None or info.peer_certificate is None:
        raise AssertionError("the connection has no TLS peer certificate")
    return x509.load_der_x509_certificate(info.peer_certificate)


def presented_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The certificate's DNS names and IP addresses (subjectAltName), as text."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [str(name) for name in san.get_values_for_type(x509.DNSName)]
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return dns, ips


def _dns_match(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4.3: a wildcard only as the whole left-most label, matching one label."""
    pattern, host = pattern.rstrip(".").lower(), host.rstrip(".").lower()
    if pattern == host:
        return True
    first, _, rest = pattern.partition(".")
    if first != "*" or not rest or rest.count(".") < 1:
        return False  # no wildcard, or one that would cover a whole public suffix
    label, _, host_rest = host.partition(".")
    return bool(label) and host_rest == rest


def name_matches(cert: x509.Certificate, host: str) -> bool:
    """Whether ``cert`` is for ``host``: an IP address against the iPAddress names, a
    host name against the dNSName names (the subject's CN only when there are none)."""
    dns, ips = presented_names(cert)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ips)
    if dns:
        return any(_dns_match(name, host) for name in dns)
    common = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return bool(common) and _dns_match(str(common[-1].value), host)


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    """The public key's kind and size in bits."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__.removesuffix("PublicKey").removeprefix("_"), 0


# -- hellos written by hand ------------------------------------------------------------

#: Cipher suites an SSL 3.0 server would take: RSA and ECDHE with AES, 3DES, RC4.
_SSL3_SUITES = (0xC014, 0xC013, 0xC00A, 0xC009, 0x0035, 0x002F, 0x000A, 0x0005, 0x0004)


def ssl3_client_hello() -> bytes:
    """A ClientHello that offers SSL 3.0 only (record and hello version 0x0300)."""
    suites = b"".join(struct.pack("!H", s) for s in _SSL3_SUITES)
    body = (
        b"\x03\x00"  # client_version: SSL 3.0
        + bytes(range(32))  # random
        + b"\x00"  # no session id
        + struct.pack("!H", len(suites))
        + suites
        + b"\x01\x00"  # compression: null
    )
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x00" + struct.pack("!H", len(handshake)) + handshake


def _ssl2_client_hello() -> bytes:
    specs = bytes.fromhex("010080 020080 030080 040080 050080 060040 0700c0")
    challenge = bytes(range(16))
    body = (
        b"\x01"  # CLIENT-HELLO
        + b"\x00\x02"  # version: SSL 2.0
        + struct.pack("!HHH", len(specs), 0, len(challenge))
        + specs
        + challenge
    )
    return struct.pack("!H", 0x8000 | len(body)) + body


#: An SSL 2.0 CLIENT-HELLO offering SSL 2.0 only (version 0x0002).
SSL2_CLIENT_HELLO = _ssl2_client_hello()


@dataclass(frozen=True)
class HelloReply:
    """What a server answered to a hand-made hello."""

    kind: str  #: "server-hello", "ssl2-server-hello", "alert", "other", "nothing"
    version: int | None = None  #: ServerHello.server_version
    detail: str = ""

    def describe(self) -> str:
        if self.kind == "server-hello" and self.version is not None:
            return f"a ServerHello choosing version 0x{self.version:04x}"
        if self.kind == "ssl2-server-hello":
            return "an SSL 2.0 SERVER-HELLO"
        if self.kind == "alert":
            return f"an alert ({self.detail})"
        if self.kind == "other":
            return f"bytes that are no hello reply ({self.detail})"
        return f"no reply ({self.detail})"


_ALERTS = {10: "unexpected_message", 40: "handshake_failure", 47: "illegal_parameter"}
_ALERTS |= {50: "decode_error", 70: "protocol_version", 71: "insufficient_security"}
_ALERTS |= {80: "internal_error", 86: "inappropriate_fallback"}


def read_hello_reply(conn: TcpConnection) -> HelloReply:
    """Read the server's first message after a hand-made hello (bounded by the timeout)."""

    def enough(data: bytes) -> bool:
        if len(data) >= 3 and data[0] & 0x80:
            return True  # an SSL 2.0 record header and its first byte
        return len(data) >= 11 or (len(data) >= 7 and data[0] == 0x15)

    observed = conn.receive(until=enough)
    data = observed.received
    if not data:
        return HelloReply("nothing", detail=observed.end.describe())
    if data[0] & 0x80 and len(data) >= 3:
        return (
            HelloReply("ssl2-server-hello")
            if data[2] == 4
            else HelloReply("other", detail=data[:8].hex(" "))
        )
    if data[0] == 0x15 and len(data) >= 7:
        level = "fatal" if data[5] == 2 else "warning"
        name = _ALERTS.get(data[6], f"description {data[6]}")
        return HelloReply("alert", detail=f"{level} {name}")
    if data[0] == 0x16 and len(data) >= 11 and data[5] == 2:
        return HelloReply("server-hello", version=int.from_bytes(data[9:11], "big"))
    return HelloReply("other", detail=data[:11].hex(" "))

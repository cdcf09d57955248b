"""A small threaded TLS echo server with one switch that breaks one requirement.

:class:`TlsEchoServer` is :class:`brokenservers.EchoServer` behind Python's ``ssl``: the
book's chapter 7 TLS echo server. Unbroken, the tls suite and the echo suite's TLS
checks certify it CONFORMANT; each fault (named by the requirement id it breaks)
changes one thing:

- the certificate: from a CA the run does not trust, for another name, expired, not yet
  valid, expiring in three days, with a 1024-bit RSA key, signed with SHA-1;
- the versions: TLS 1.0 accepted (TLS 1.1 still refused), TLS 1.1 accepted, TLS 1.3 only,
  TLS 1.2 only;
- SSL 3.0 and SSL 2.0: OpenSSL here has neither, so these two faults answer the hello
  by hand (an SSL 3.0 ServerHello, an SSL 2.0 SERVER-HELLO): what a server that accepts
  them sends first, which is all the checks read;
- the echo: CR CR LF collapsed, no close after the client's close_notify, a close with
  no close_notify of its own.

The trusted CA is made once per process with trustme; the weak certificates are built
with ``cryptography`` and signed by it (trustme has no 1024-bit or SHA-1 option).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import struct
import time
import warnings
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import trustme
from brokenservers import IO_TIMEOUT, LINGER, EchoServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["ECHO_TLS_FAULTS", "TLS_FAULTS", "TlsEchoServer", "trusted_cafile"]

#: Faults that break a requirement of the tls suite (the id, ``:variant`` for a second way).
TLS_FAULTS: tuple[str, ...] = (
    "tls/rfc5280/6.1/chain-verifies",  # a certificate from an untrusted CA
    "tls/rfc2818/3.1/server-name-matches",  # a certificate for wrong.example only
    "tls/rfc5280/6.1.3/validity-period",  # expired yesterday
    "tls/rfc5280/6.1.3/validity-period:not-yet-valid",  # valid from tomorrow
    "tls/rfc5280/4.1.2.5/not-expiring-soon",  # expires in three days (a MAY: informational)
    "tls/rfc9325/4.5/key-strength",  # a 1024-bit RSA key
    "tls/rfc9325/4.5/no-sha1-md5-signature",  # signed with SHA-1
    "tls/rfc8996/4/tls10-refused",  # accepts TLS 1.0 (not 1.1)
    "tls/rfc8996/5/tls11-refused",  # accepts TLS 1.1 (not 1.0)
    "tls/rfc8446/D.5/sslv3-not-negotiated",  # answers an SSL 3.0 hello with an SSL 3.0 one
    "tls/rfc6176/3/sslv2-hello-refused",  # answers an SSL 2.0 hello with a SERVER-HELLO
    "tls/rfc9325/3.1.1/tls12-supported",  # TLS 1.3 only
    "tls/rfc9325/3.1.1/tls13-supported",  # TLS 1.2 only
    "tls/rfc8446/6.1/close-notify-answered",  # closes without a close_notify (a MAY)
)
#: Faults that break a requirement of the echo suite over TLS.
ECHO_TLS_FAULTS: tuple[str, ...] = (
    "echo/rfc862/tls/data-returned",  # collapses CR CR LF to CR LF
    "echo/rfc862/tls/close-after-client-close",  # stays open after the client's close_notify
    "echo/rfc862/tls/close-notify-before-close",  # closes without a close_notify
    "echo/rfc862/tls/handshake-verifies",  # a certificate from an untrusted CA
)

#: The names every certificate here is for (unless the fault is the name).
NAMES = ("127.0.0.1", "localhost")
_UNTRUSTED = {"tls/rfc5280/6.1/chain-verifies", "echo/rfc862/tls/handshake-verifies"}
_BARE_CLOSE = {"tls/rfc8446/6.1/close-notify-answered", "echo/rfc862/tls/close-notify-before-close"}
#: Faults whose certificate or version OpenSSL refuses at its default security level.
_WEAK = {
    "tls/rfc9325/4.5/key-strength",
    "tls/rfc9325/4.5/no-sha1-md5-signature",
    "tls/rfc8996/4/tls10-refused",
    "tls/rfc8996/5/tls11-refused",
}


@cache
def _ca(role: str) -> trustme.CA:
    """The CA the runs trust (``trusted``) or one they do not (``untrusted``), per process.

    RSA, so that a SHA-1 signature can be written in place of a SHA-256 one (see
    :func:`_resigned_with_sha1`).
    """
    return trustme.CA(organization_name=f"wirecert {role} test CA", key_type=trustme.KeyType.RSA)


#: The DER of the signature algorithms' OIDs (the same length, so one replaces the other).
_SHA256_WITH_RSA = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
_SHA1_WITH_RSA = bytes.fromhex("2a864886f70d010105")  # 1.2.840.113549.1.1.5


def _resigned_with_sha1(cert: x509.Certificate, ca_key: rsa.RSAPrivateKey) -> x509.Certificate:
    """``cert`` signed again with SHA-1 (cryptography refuses to build such a certificate).

    The algorithm appears twice (in the signed part and beside the signature); both are
    replaced, then the signed part is signed with SHA-1. An RSA signature keeps its
    length, so it replaces the old one in place at the end of the DER.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_WITH_RSA) == 2
    der = der.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    tbs = x509.load_der_x509_certificate(der).tbs_certificate_bytes
    signature = ca_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    assert len(signature) == len(cert.signature)
    return x509.load_der_x509_certificate(der[: -len(signature)] + signature)


def trusted_cafile(directory: Path) -> str:
    """Write the trusted CA's certificate into ``directory``; its path, for ``--ca``."""
    path = directory / "trusted-ca.pem"
    _ca("trusted").cert_pem.write_to_path(str(path))
    return str(path)


def _built_leaf(*, key_bits: int, sha1: bool) -> tuple[bytes, bytes]:
    """A leaf for :data:`NAMES` with an RSA key of ``key_bits``, signed with SHA-256 or SHA-1."""
    ca = _ca("trusted")
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    now = datetime.now(UTC)
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(NAMES[0]))]
    names.append(x509.DNSName(NAMES[1]))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wirecert test")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    if sha1:
        cert = _resigned_with_sha1(cert, ca_key)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _leaf_files(fault: str | None, directory: Path) -> tuple[str, str]:
    """Write the certificate chain and key the fault calls for; their paths."""
    now = datetime.now(UTC)
    chain, key = directory / "chain.pem", directory / "key.pem"
    if fault == "tls/rfc9325/4.5/key-strength":
        cert_pem, key_pem = _built_leaf(key_bits=1024, sha1=False)
    elif fault == "tls/rfc9325/4.5/no-sha1-md5-signature":
        cert_pem, key_pem = _built_leaf(key_bits=2048, sha1=True)
    else:
        ca = _ca("untrusted" if fault in _UNTRUSTED else "trusted")
        names = ("wrong.example",) if fault == "tls/rfc2818/3.1/server-name-matches" else NAMES
        start, end = now - timedelta(days=1), now + timedelta(days=365)
        if fault == "tls/rfc5280/6.1.3/validity-period":
            start, end = now - timedelta(days=30), now - timedelta(days=1)
        elif fault == "tls/rfc5280/6.1.3/validity-period:not-yet-valid":
            start, end = now + timedelta(days=1), now + timedelta(days=30)
        elif fault == "tls/rfc5280/4.1.2.5/not-expiring-soon":
            end = now + timedelta(days=3)
        leaf = ca.issue_cert(*names, not_before=start, not_after=end)
        cert_pem = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        key_pem = leaf.private_key_pem.bytes()
    chain.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    return str(chain), str(key)


def _server_context(fault: str | None, directory: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        # Old versions and OP_NO_TLSv1_1 are deprecated: offering them is these faults' point.
        warnings.simplefilter("ignore", DeprecationWarning)
        if fault in _WEAK:
            context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if fault == "tls/rfc8996/4/tls10-refused":
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.options |= ssl.OP_NO_TLSv1_1
        elif fault == "tls/rfc8996/5/tls11-refused":
            context.minimum_version = ssl.TLSVersion.TLSv1_1
        elif fault == "tls/rfc9325/3.1.1/tls12-supported":
            context.minimum_version = ssl.TLSVersion.TLSv1_3
        elif fault == "tls/rfc9325/3.1.1/tls13-supported":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*_leaf_files(fault, directory))
    return context


#: What a server that agrees to SSL 3.0 answers first: a ServerHello with version 0x0300.
_SSL3_SERVER_HELLO_BODY = b"\x03\x00" + bytes(32) + b"\x00" + b"\x00\x2f" + b"\x00"
SSL3_SERVER_HELLO = (
    b"\x16\x03\x00"
    + struct.pack("!H", 4 + len(_SSL3_SERVER_HELLO_BODY))
    + b"\x02"
    + len(_SSL3_SERVER_HELLO_BODY).to_bytes(3, "big")
    + _SSL3_SERVER_HELLO_BODY
)
#: What a server that agrees to SSL 2.0 answers first: a SERVER-HELLO (no certificate),
#: with version 0x0002 and one cipher kind (RC4_128_WITH_MD5).
_SSL2_BODY = b"\x04\x00\x01\x00\x02" + struct.pack("!HHH", 0, 3, 16) + b"\x01\x00\x80" + bytes(16)
SSL2_SERVER_HELLO = struct.pack("!H", 0x8000 | len(_SSL2_BODY)) + _SSL2_BODY


class TlsEchoServer(EchoServer):
    """The chapter 7 TLS echo server; ``fault`` (a requirement id) breaks one requirement.

    Correct behaviour: a certificate for 127.0.0.1 and localhost from the trusted CA,
    valid for a year, on TLS 1.2 and 1.3 only; everything received goes back; after the
    client's close_notify, a close_notify of its own and a close.
    """

    FAULTS = TLS_FAULTS + ECHO_TLS_FAULTS

    def __init__(self, fault: str | None = None, *, directory: Path) -> None:
        super().__init__(fault)
        self.directory = directory
        self.context = _server_context(fault, directory)

    def targets(self, suite: str = "tls") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tls://{host}:{port}"]

    def _connection(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(IO_TIMEOUT)
            if self._answered_old_hello(conn):
                return
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self._echo(tls)
        except OSError:
            pass  # a refused version, a client that went away: this connection only
        finally:
            conn.close()

    def _answered_old_hello(self, conn: socket.socket) -> bool:
        """The SSL 3.0 and SSL 2.0 faults: answer such a hello by hand."""
        if self.fault not in (
            "tls/rfc8446/D.5/sslv3-not-negotiated",
            "tls/rfc6176/3/sslv2-hello-refused",
        ):
            return False
        head = b""
        deadline = time.monotonic() + IO_TIMEOUT
        while len(head) < 11 and time.monotonic() < deadline:
            if not self._readable(conn, deadline - time.monotonic()):
                return False
            head = conn.recv(11, socket.MSG_PEEK)
            if len(head) < 11:
                time.sleep(0.01)
        ssl3 = head[:3] == b"\x16\x03\x00" and head[9:11] == b"\x03\x00"
        ssl2 = len(head) >= 5 and head[0] & 0x80 and head[2] == 1 and head[3:5] == b"\x00\x02"
        if ssl3 and self.fault == "tls/rfc8446/D.5/sslv3-not-negotiated":
            reply = SSL3_SERVER_HELLO
        elif ssl2 and self.fault == "tls/rfc6176/3/sslv2-hello-refused":
            reply = SSL2_SERVER_HELLO
        else:
            return False
        conn.sendall(reply)
        self._drain(conn, LINGER)
        return True

    def _echo(self, tls: ssl.SSLSocket) -> None:
        fault = self.fault
        # pending(): bytes already decrypted, which select() cannot see.
        while tls.pending() or self._readable(tls, 60.0):
            data = tls.recv(65536)
            if not data:
                break  # the client's close_notify (or its FIN)
            if fault == "echo/rfc862/tls/data-returned":
                data = data.replace(b"\r\r\n", b"\r\n")
            tls.sendall(data)
        else:
            return
        if fault == "echo/rfc862/tls/close-after-client-close":
            self._pause(LINGER)  # forgets to close: a half-open connection
            return
        if fault in _BARE_CLOSE:
            return  # closing the socket sends a FIN without a close_notify
        tls.unwrap()

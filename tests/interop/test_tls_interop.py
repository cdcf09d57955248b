"""The tls suite and the echo suite over TLS against independent TLS echo servers.

* Go's crypto/tls: the book's chapter 7 TLS echo server (``go/tlsecho/``), configured as
  the book does (a certificate, nothing else). Go 1.19's server defaults accept TLS 1.0
  and TLS 1.1 (its default MinVersion for servers is TLS 1.0; Go 1.22 raised it to 1.2),
  so the tls suite must find exactly that: RFC 8996 §4 "TLS 1.0 MUST NOT be used." and
  §5 "TLS 1.1 MUST NOT be used." Everything else, and the echo over TLS, conforms.
* Python's ``ssl`` with its default server context (``ssl.create_default_context``),
  blocking sockets and a thread per connection (not the reference's asyncio): conforms.

The certificates come from trustme, written to files, and the runs verify with ``--ca``.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from brokenservers import GOOD_VERDICTS, PLAIN, SuiteRun, run_suite_against

from .peers import GoServer

pytestmark = pytest.mark.interop

TLSECHO = Path(__file__).resolve().parent / "go" / "tlsecho" / "main.go"
#: What Go 1.19's default server configuration breaks (see the module docstring).
GO_FINDINGS = {"tls/rfc8996/4/tls10-refused", "tls/rfc8996/5/tls11-refused"}


@dataclass(frozen=True)
class Certificates:
    ca: str
    chain: str
    key: str


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    """A CA and a certificate for 127.0.0.1 and localhost, as PEM files."""
    ca = trustme.CA(organization_name="wirecert interop CA")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    files = Certificates(
        str(tmp_path / "ca.pem"), str(tmp_path / "chain.pem"), str(tmp_path / "key.pem")
    )
    ca.cert_pem.write_to_path(files.ca)
    leaf.private_key_pem.write_to_path(files.key)
    Path(files.chain).write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return files


def _certify(suite: str, url: str, certs: Certificates, report_dir: Path) -> SuiteRun:
    return run_suite_against(suite, [url], report_dir, "--ca", certs.ca, options=PLAIN)


def _failed(run: SuiteRun) -> set[str]:
    return {rid for rid, outcome in run.outcomes().items() if outcome in ("fail", "warn")}


def test_go_tls_echo_server_accepts_tls10_and_tls11(
    go_server: Callable[..., GoServer], certificates: Certificates, tmp_path: Path
) -> None:
    server = go_server(TLSECHO, "-cert", certificates.chain, "-key", certificates.key)
    run = _certify("tls", f"tls://{server.host}:{server.port}", certificates, tmp_path)
    assert run.returncode == 1, run.summary()
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    assert _failed(run) == GO_FINDINGS, run.summary()
    assert run.record("tls/rfc8996/4/tls10-refused")["actual"] == "TLSv1 agreed", run.summary()
    assert run.record("tls/rfc8996/5/tls11-refused")["actual"] == "TLSv1.1 agreed", run.summary()


def test_go_tls_echo_server_echoes_over_tls(
    go_server: Callable[..., GoServer], certificates: Certificates, tmp_path: Path
) -> None:
    server = go_server(TLSECHO, "-cert", certificates.chain, "-key", certificates.key)
    run = _certify("echo", f"tls://{server.host}:{server.port}", certificates, tmp_path)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert all(rid.startswith("echo/rfc862/tls/") for rid in run.outcomes()), run.summary()


class _EchoHandler(socketserver.BaseRequestHandler):
    """Echo on a TLS socket until the client's close_notify, then close_notify back."""

    def handle(self) -> None:
        conn: ssl.SSLSocket = self.request
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            while data := conn.recv(65536):
                conn.sendall(data)
            conn.unwrap()


class _TlsEchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(("127.0.0.1", 0), _EchoHandler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, peer = self.socket.accept()
        return sock, peer

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # The handshake in the connection's own thread: a probe that never finishes it
        # holds up no one else.
        try:
            request.settimeout(10)
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            self.shutdown_request(request)
            return
        super().process_request_thread(tls, client_address)


@contextlib.contextmanager
def _python_tls_echo(certs: Certificates) -> Iterator[tuple[str, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # Python's defaults
    context.load_cert_chain(certs.chain, certs.key)
    server = _TlsEchoServer(context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("suite", ["tls", "echo"])
def test_python_ssl_server_conforms(certificates: Certificates, tmp_path: Path, suite: str) -> None:
    with _python_tls_echo(certificates) as (host, port):
        run = _certify(suite, f"tls://{host}:{port}", certificates, tmp_path)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()
    assert not _failed(run), run.summary()

"""TLS in the recording client and the references' TLS listeners."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from harness.errors import ConformanceFailure
from harness.targets import EmbeddedReference, Target
from harness.wire import End, Wire


@pytest.fixture(scope="module")
def echo_tls() -> Iterator[EmbeddedReference]:
    ref = EmbeddedReference("echo", ["tls"], suite="echo")
    yield ref
    ref.stop()


def _trusting(ref: EmbeddedReference) -> ssl.SSLContext:
    assert ref.cafile is not None
    return ssl.create_default_context(cafile=ref.cafile)


def test_reference_announces_its_ca_and_verifies(echo_tls: EmbeddedReference) -> None:
    wire = Wire(timeout=2.0, tls_context=lambda _: _trusting(echo_tls))
    conn = wire.connect(echo_tls.endpoints["tls"])
    assert conn.tls is not None
    assert conn.tls.version in ("TLSv1.2", "TLSv1.3")
    assert conn.tls.verified and conn.tls.peer_certificate
    assert any("TLS handshake: TLSv1" in e.note for e in wire.log.events)


def test_stream_round_trips_then_close_notify_is_a_fin(echo_tls: EmbeddedReference) -> None:
    """Several MiB through TLS (records split across reads), then our close_notify: the
    echo server sends the rest and its own close_notify, which reads as FIN."""
    wire = Wire(timeout=2.0, tls_context=lambda _: _trusting(echo_tls))
    conn = wire.connect(echo_tls.endpoints["tls"])
    payload = bytes(range(256)) * 12_000
    observed = conn.exchange(payload)
    assert observed.received == payload and observed.end is End.OPEN
    conn.send(b"last words")
    conn.shutdown_write()
    rest = conn.events_until_closed()
    assert rest.received == b"last words"
    assert rest.end is End.FIN
    assert [e.note for e in wire.log.events if e.kind == "fin"] == ["TLS close_notify"]
    assert wire.log.total["tx"] == len(payload) + len(b"last words")


def test_unknown_ca_is_a_failed_handshake(echo_tls: EmbeddedReference) -> None:
    wire = Wire(timeout=2.0)  # the system's trust store does not know the demo CA
    with pytest.raises(ConformanceFailure, match="did not verify"):
        wire.connect(echo_tls.endpoints["tls"])


def test_wrong_name_fails_and_insecure_passes(echo_tls: EmbeddedReference) -> None:
    wire = Wire(timeout=2.0, tls_context=lambda _: _trusting(echo_tls))
    with pytest.raises(ConformanceFailure, match="did not verify"):
        wire.connect(echo_tls.endpoints["tls"], server_hostname="not-this-host.example")
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    conn = Wire(timeout=2.0).connect(echo_tls.endpoints["tls"], tls=insecure)
    assert conn.tls is not None and not conn.tls.verified


def test_plain_server_fails_the_handshake(echo_tls: EmbeddedReference) -> None:
    ref = EmbeddedReference("echo", ["tcp"], suite="echo")
    try:
        tcp = ref.endpoints["tcp"]
        as_tls = Target("tls", tcp.host, tcp.port)
        with pytest.raises(ConformanceFailure, match="handshake"):
            Wire(timeout=1.0, tls_context=lambda _: _trusting(echo_tls)).connect(as_tls)
    finally:
        ref.stop()


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_impls", "serve", "echo", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_rejects_unusable_certificates_in_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for args in (
        ["--listen", "tls://127.0.0.1:0", "--certfile", str(junk)],
        ["--listen", "tls://127.0.0.1:0", "--certfile", str(tmp_path / "missing.pem")],
        ["--listen", "tls://127.0.0.1:0", "--keyfile", str(junk)],
    ):
        done = _serve(*args)
        assert done.returncode == 2, done
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "error:" in done.stderr


def test_serve_uses_a_given_certificate(tmp_path: Path) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_impls",
            "serve",
            "echo",
            "--listen",
            "tls://127.0.0.1:0",
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[:2] == ["listening", "tls"]  # no "ca" line: the user brought the chain
        context = ssl.create_default_context()
        ca.configure_trust(context)
        conn = Wire(timeout=2.0).connect(Target("tls", "127.0.0.1", int(line[3])), tls=context)
        assert conn.exchange(b"ping").received == b"ping"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

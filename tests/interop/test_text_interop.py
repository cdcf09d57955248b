"""The utf8 and utf16 suites against the book's own chapter 6 servers, built from Go.

``go/booktext/`` holds Newmarch's chapter 6 servers ("Network Programming with Go"),
standard library only: the UTF-8 server, and the UTF-16 server in both editions. The
first edition writes BOM = '\\ufffe' high byte first, FF FE, then big-endian code
units: by RFC 2781 and the Unicode standard FF FE announces little-endian, so the
utf16 suite must certify it NON_CONFORMANT and say why. The second edition writes
'\\ufeff', FE FF, and conforms; so does the UTF-8 server.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from brokenservers import SuiteRun, run_suite

from .peers import PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

BOOKTEXT = Path(__file__).resolve().parent / "go" / "booktext"
READY_TIMEOUT = 10.0
GOOD_VERDICTS = ("CONFORMANT", "CONFORMANT_WITH_WARNINGS")
MATCHES = "utf16/rfc2781/sender/bom-matches-byte-order"


class GoServer:
    """A running book server, with the ``targets`` that :func:`run_suite` asks for."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def targets(self, suite: str) -> list[str]:
        return ["--target", f"{suite}=tcp://{self.host}:{self.port}"]


@contextlib.contextmanager
def book_server(name: str) -> Iterator[GoServer]:
    """Build and run ``go/booktext/<name>``; skip when Go is not installed."""
    try:
        binary = build_go_program(BOOKTEXT / name / "main.go")
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)
    # It exits when its stdin closes, so it cannot outlive this process.
    proc = subprocess.Popen(
        [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line, deadline = b"", time.monotonic() + READY_TIMEOUT
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            assert left > 0, f"{name} printed {line!r} in {READY_TIMEOUT} s"
            if select.select([proc.stdout], [], [], left)[0]:
                chunk = os.read(proc.stdout.fileno(), 256)
                assert chunk, f"{name} exited: {proc.stderr.read() if proc.stderr else b''!r}"
                line += chunk
        words = line.decode().split()
        assert words[:2] == ["listening", "tcp"] and len(words) == 4, line
        yield GoServer(words[2], int(words[3]))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def certify(name: str, suite: str, tmp_path: Path, *extra: str) -> SuiteRun:
    with book_server(name) as server:
        return run_suite(suite, server, tmp_path / "reports", *extra)  # type: ignore[arg-type]


def test_first_edition_utf16_server_is_non_conformant(tmp_path: Path) -> None:
    run = certify("utf16server1", "utf16", tmp_path, "--utf16-expect-text", "j'ai arrêté")
    assert run.returncode == 1, run.summary()
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    failed = {rid for rid, outcome in run.outcomes().items() if outcome in ("fail", "warn")}
    assert failed == {MATCHES}, run.summary()
    actual = run.record(MATCHES)["actual"]
    assert "the BOM FF FE" in actual and "means little-endian" in actual, actual
    assert "its code units are big-endian" in actual, actual
    assert 'read big-endian they are "j\'ai arrêté"' in actual, actual
    assert "first edition" in actual, actual


def test_second_edition_utf16_server_conforms(tmp_path: Path) -> None:
    run = certify("utf16server2", "utf16", tmp_path, "--utf16-expect-text", "j'ai arrêté")
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()
    assert run.outcomes()["utf16/rfc2781/sender/text-as-expected"] == "pass", run.summary()


def test_utf8_server_conforms(tmp_path: Path) -> None:
    run = certify("utf8server", "utf8", tmp_path)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()
    assert (
        "9 characters in 27 octets"
        in run.record("utf8/rfc3629/sender/characters-and-octets")["actual"]
    )

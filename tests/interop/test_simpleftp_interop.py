"""The simpleftp suite against the book's own server (Newmarch, ch. 5, ``go/bookftp``).

The Go program is the book's FTP server with its request handling unchanged, so
the suite must give it the verdict the book's behaviour implies: everything the
protocol does works, but

* its working directory is the process's (os.Chdir), shared by every client:
  simpleftp/ch5/session/per-connection-directory warns (SHOULD);
* a two-byte command (or ``CD`` alone) panics on a slice bounds error and ends the
  process: simpleftp/ch5/robustness/survives-bad-commands fails (MUST), so the
  verdict is NON_CONFORMANT; and
* ``CD <dir>\\r\\n`` tries to enter ``<dir>\\r\\n``: the MAY finding says so.

The server runs in a temporary directory with two files and a subdirectory.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .peers import PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SOURCE = Path(__file__).resolve().parent / "go" / "bookftp" / "main.go"
RUN_TIMEOUT = 240.0
READY_TIMEOUT = 10.0


@contextlib.contextmanager
def book_server(root: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """Run the book's server in ``root``; yield the process, host and port."""
    try:
        binary = build_go_program(SOURCE)
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [str(binary), "-exit-on-stdin-eof"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            assert proc.stdout is not None
            # One line; readline is bounded by the process exiting or READY_TIMEOUT's
            # kill below (a timer, since readline itself has no timeout).
            with _kill_after(proc, READY_TIMEOUT):
                line = proc.stdout.readline().decode(errors="replace")
            parts = line.split()
            if len(parts) != 4 or parts[:2] != ["listening", "tcp"]:
                stderr.seek(0)
                raise RuntimeError(f"bookftp printed {line!r}; stderr: {stderr.read()!r}")
            yield proc, parts[2], int(parts[3])
        finally:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


@contextlib.contextmanager
def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> Iterator[None]:
    """Kill ``proc`` if the block is still running after ``seconds``."""

    def kill() -> None:
        if proc.poll() is None:
            proc.kill()

    timer = threading.Timer(seconds, kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def demo_tree(root: Path) -> None:
    (root / "README.txt").write_text("the book's server serves this directory\n")
    (root / "notes.txt").write_text("a file\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.txt").write_text("a file in a subdirectory\n")


def certify(host: str, port: int, report_dir: Path) -> tuple[int, dict[str, Any], str]:
    argv = [sys.executable, "-m", "pytest", "suites/simpleftp", "-q", "-p", "no:cacheprovider"]
    argv += ["--target", f"simpleftp=tcp://{host}:{port}", "--report-dir", str(report_dir)]
    argv += ["--timeout", "1"]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WIRECERT_", "PYTEST_", "COV_"))
    }
    proc = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    output = proc.stdout + proc.stderr
    path = report_dir / "latest" / "certificate.json"
    assert path.is_file(), f"no certificate at {path}:\n{output[-4000:]}"
    return proc.returncode, json.loads(path.read_text()), output


def test_book_server_shares_its_directory_and_dies_of_a_two_byte_command(
    tmp_path: Path,
) -> None:
    root = tmp_path / "served"
    root.mkdir()
    demo_tree(root)
    with book_server(root) as (server, host, port):
        returncode, certificate, output = certify(host, port, tmp_path / "reports")
        crashed = server.poll()
    by_id = {r["id"]: r for r in certificate["requirements"]}
    outcomes = {rid: r["outcome"] for rid, r in by_id.items()}
    message = f"exit {returncode}, outcomes {json.dumps(outcomes, indent=1)}\n{output[-4000:]}"

    assert returncode == 1, message
    assert certificate["verdict"] == "NON_CONFORMANT", message
    assert crashed is not None, "the book's server should have exited (a slice bounds panic)"

    survives = by_id["simpleftp/ch5/robustness/survives-bad-commands"]
    assert survives["outcome"] == "fail", message
    failed = [c for c in survives["cases"] if c["outcome"] == "fail"]
    assert failed, message
    # The first bad command kills it: the sanity PWD after it finds no server.
    assert "refused" in failed[0]["actual"] or "RST" in failed[0]["actual"], message
    # The later cases find the target gone: errors, not more failures.
    assert {c["outcome"] for c in survives["cases"]} <= {"fail", "error"}, message

    shared = by_id["simpleftp/ch5/session/per-connection-directory"]
    assert shared["outcome"] == "warn", message
    assert "docs" in shared["actual"], message  # B's PWD moved into A's subdirectory

    crlf = by_id["simpleftp/ch5/framing/trailing-crlf"]
    assert crlf["outcome"] == "info", message
    assert "CD b'docs' CRLF answered" in crlf["actual"], message
    assert "ERROR" in crlf["actual"], message

    for rid in (
        "simpleftp/ch5/dir/crlf-terminated-names",
        "simpleftp/ch5/pwd/absolute-path",
        "simpleftp/ch5/cd/into-listed-directory",
        "simpleftp/ch5/cd/parent-directory",
        "simpleftp/ch5/cd/error-for-missing",
        "simpleftp/ch5/session/concurrent-clients",
    ):
        assert outcomes[rid] == "pass", f"{rid}\n{message}"

"""The gob suite certifies an independent implementation: the book's Go GobEchoServer.

``go/bookgobecho/main.go`` is the book's server (Newmarch, ch. 4) on the standard
library: ten rounds per connection (decode a Person, encode it back, errors
ignored), then close. The suite runs in a subprocess against it, exactly as a user
runs it (``python -m pytest suites/gob --target ...``), and must give exit status 0
and a CONFORMANT (or CONFORMANT_WITH_WARNINGS) verdict. Skips when Go is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .peers import PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SOURCE = Path(__file__).resolve().parent / "go" / "bookgobecho" / "main.go"
#: A bound on one suite run, so a hung run cannot hang the session.
RUN_TIMEOUT = 240.0
READY_TIMEOUT = 10.0
GOOD_VERDICTS = ("CONFORMANT", "CONFORMANT_WITH_WARNINGS")


def _ready_line(proc: subprocess.Popen[bytes], timeout: float) -> tuple[str, int]:
    """The (host, port) of the server's ready line, read within ``timeout`` seconds."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    ready, _, _ = select.select([fd], [], [], timeout)
    while ready and b"\n" not in buf:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        if b"\n" not in buf:
            ready, _, _ = select.select([fd], [], [], timeout)
    match buf.decode(errors="replace").split():
        case ["listening", "tcp", host, port] if port.isdigit():
            return host, int(port)
    raise RuntimeError(f"the Go gob echo server printed {buf!r}, not a ready line")


@pytest.fixture(scope="module")
def book_gob_echo() -> Iterator[tuple[str, int]]:
    """The book's Go gob echo server on 127.0.0.1: its (host, port)."""
    try:
        binary = build_go_program(SOURCE)
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)
    with tempfile.TemporaryFile() as stderr:
        # It exits when its stdin closes, so it cannot outlive this process.
        proc = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
        try:
            try:
                address = _ready_line(proc, READY_TIMEOUT)
            except RuntimeError as exc:
                stderr.seek(0)
                raise RuntimeError(f"{exc}\nstderr: {stderr.read()!r}") from None
            yield address
        finally:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


def certify(
    address: tuple[str, int], report_dir: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    host, port = address
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "suites/gob",
        "-q",
        "-p",
        "no:cacheprovider",
        "--target",
        f"gob=tcp://{host}:{port}",
        "--report-dir",
        str(report_dir),
    ]
    # The outer run's own settings must not leak into the certification run.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WIRECERT_", "PYTEST_", "COV_"))
    }
    proc = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    path = report_dir / "latest" / "certificate.json"
    assert path.is_file(), f"no certificate at {path}\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
    return proc, json.loads(path.read_text())


def test_gob_suite_certifies_the_books_go_server(
    book_gob_echo: tuple[str, int], tmp_path: Path
) -> None:
    proc, certificate = certify(book_gob_echo, tmp_path)
    not_passed = [
        f"  {r['outcome'].upper():5} {r['level']:6} {r['id']}: {r['actual']}"
        for r in certificate["requirements"]
        if r["outcome"] != "pass"
    ]
    message = (
        f"exit {proc.returncode}, verdict {certificate['verdict']}\n"
        + "\n".join(not_passed)
        + f"\n--- stdout (tail):\n{proc.stdout[-4000:]}\n--- stderr (tail):\n{proc.stderr[-2000:]}"
    )
    assert proc.returncode == 0, message
    assert certificate["verdict"] in GOOD_VERDICTS, message
    assert not_passed == [], message  # Go meets every requirement, SHOULDs included
    (target,) = certificate["targets"]["gob"]
    assert not target["embedded"]

"""How the icmp suite takes its target: ``icmp://HOST`` or a bare host, never a port
or another scheme (one-line usage errors)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def collect(target: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", str(REPO / "suites" / "icmp"), "--collect-only"]
    command += ["-q", "-p", "no:cacheprovider", "--target", target]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_a_bare_host_is_taken() -> None:
    done = collect("icmp=localhost")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test_the_books_packet_gets_the_standard_reply" in done.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("127.0.0.1:7", "icmp has no ports; write icmp://127.0.0.1"),
        ("tcp://127.0.0.1", "the icmp suite does not take tcp://; write icmp://HOST"),
    ],
)
def test_ports_and_other_schemes_are_one_line_errors(target: str, message: str) -> None:
    done = collect(target)
    assert done.returncode == 4
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and message in errors[0], done.stderr

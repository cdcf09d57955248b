"""The ``wirecert`` console script: run, serve, report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]


def wirecert(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("wirecert")
    command = [exe] if exe else [sys.executable, "-m", "harness.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_run_certifies_the_installed_suites_and_report_rerenders(tmp_path: Path) -> None:
    result = wirecert(
        "run",
        "daytime",
        "--spec",
        "daytime/rfc867/udp",
        "--report-dir",
        str(tmp_path / "reports"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("wirecert verdict: CONFORMANT")
    latest = tmp_path / "reports" / "latest"
    (latest / "certificate.html").unlink()
    again = wirecert("report", str(latest), cwd=tmp_path)
    assert again.returncode == 0
    assert (latest / "certificate.html").read_text().count("daytime/rfc867/udp/") >= 3
    md = wirecert("report", str(latest / "certificate.json"), "--format", "md", cwd=tmp_path)
    assert md.stdout.startswith("# wirecert certificate: CONFORMANT")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuch"], "no suite called 'nosuch'; suites are: daytime, "),
        (["report", "missing.json"], "no certificate at missing.json"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["serve", "gopher"], "gopher"),
        (["serve", "simpleftp", "--udp"], "simpleftp runs over TCP only"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = wirecert(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_report_refuses_a_file_that_is_not_a_certificate(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps({"format": "something else"}))
    result = wirecert("report", "other.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a wirecert-certificate/1 certificate" in result.stderr


def test_serve_starts_a_reference_and_stops_on_sigterm(tmp_path: Path) -> None:
    exe = shutil.which("wirecert")
    command = [exe] if exe else [sys.executable, "-m", "harness.cli"]
    proc = subprocess.Popen(
        [*command, "serve", "echo", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        assert ready[:3] == ["listening", "tcp", "127.0.0.1"] and int(ready[3]) > 0
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("wirecert 0.1.0")
    assert main(["--help"]) == 0
    assert "wirecert run" in capsys.readouterr().out

"""The daytime and echo suites certify two independent implementations: xinetd and Go.

Each suite runs in a subprocess, exactly as a user runs it against an external
server (``python -m pytest suites/<suite> --target ...``), with its TCP and UDP
targets together, and the certificate it writes is read back. A conformant peer
must get exit status 0 and a CONFORMANT (or CONFORMANT_WITH_WARNINGS) verdict.

And one negative: xinetd's UDP echo cuts replies to 2048 bytes, which the echo suite
must catch when it is not told about that limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .peers import PeerMap

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]

#: Each suite takes a few seconds against a peer; this bound only keeps a hung run
#: from hanging the test session (and stays under pytest-timeout's 300 s).
RUN_TIMEOUT = 240.0

GOOD_VERDICTS = ("CONFORMANT", "CONFORMANT_WITH_WARNINGS")

#: xinetd's INTERNAL UDP echo reads into a 2048-byte buffer and sends back only
#: what it read, so it cannot echo a larger datagram; state that limit so the suite
#: skips the larger sizes (the negative test below checks the truncation is caught).
XINETD_ECHO_UDP_LIMIT = ["--echo-udp-max-datagram", "2048"]


def certify(
    suite: str, peer: PeerMap, report_dir: Path, extra: list[str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run ``suite`` against ``peer``'s TCP and UDP services; return the run and certificate."""
    argv = [sys.executable, "-m", "pytest", f"suites/{suite}", "-q", "-p", "no:cacheprovider"]
    for transport in ("tcp", "udp"):
        host, port = peer[suite, transport]
        argv += ["--target", f"{suite}={transport}://{host}:{port}"]
    argv += ["--report-dir", str(report_dir), *(extra or [])]
    # The outer run's own settings must not leak into the certification run.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WIRECERT_", "PYTEST_", "COV_"))
    }
    proc = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    path = report_dir / "latest" / "certificate.json"
    assert path.is_file(), f"no certificate at {path}\n{describe_run(proc)}"
    certificate: dict[str, Any] = json.loads(path.read_text())
    return proc, certificate


def describe_run(proc: subprocess.CompletedProcess[str], tail: int = 4000) -> str:
    return (
        f"$ {' '.join(proc.args)}\nexit status {proc.returncode}\n"
        f"--- stdout (tail):\n{proc.stdout[-tail:]}\n--- stderr (tail):\n{proc.stderr[-tail:]}"
    )


def not_passed(certificate: dict[str, Any]) -> list[dict[str, Any]]:
    """Requirements that failed, erred or were skipped (pass, warn and info are fine)."""
    return [r for r in certificate["requirements"] if r["outcome"] in ("fail", "error", "skip")]


def describe_requirements(requirements: list[dict[str, Any]]) -> str:
    lines = []
    for r in requirements:
        lines.append(f"  {r['outcome'].upper():5} {r['level']:6} {r['id']}: {r['actual']}")
        for case in r.get("cases", []):
            if case["outcome"] != "pass":
                lines.append(f"        {case['outcome']}: {case['nodeid']}: {case['actual']}")
    return "\n".join(lines)


PEERS = {
    ("xinetd", "daytime"): [],
    ("xinetd", "echo"): XINETD_ECHO_UDP_LIMIT,
    ("go", "daytime"): [],
    ("go", "echo"): [],
}


@pytest.mark.parametrize(("peer_name", "suite"), list(PEERS), ids=[f"{p}-{s}" for p, s in PEERS])
def test_suite_certifies_independent_peer(
    request: pytest.FixtureRequest, tmp_path: Path, peer_name: str, suite: str
) -> None:
    peer: PeerMap = request.getfixturevalue(f"{peer_name}_peer")
    proc, certificate = certify(suite, peer, tmp_path, PEERS[peer_name, suite])
    verdict = certificate["verdict"]
    problems = describe_requirements(not_passed(certificate))
    message = (
        f"{suite} suite against {peer_name}: exit {proc.returncode}, verdict {verdict}\n"
        f"{problems}\n{describe_run(proc)}"
    )
    assert proc.returncode == 0, message
    assert verdict in GOOD_VERDICTS, message
    assert {target["scheme"] for target in certificate["targets"][suite]} == {"tcp", "udp"}
    assert all(not target["embedded"] for target in certificate["targets"][suite])


def test_echo_suite_catches_xinetd_truncating_udp_datagrams(
    xinetd_peer: PeerMap, tmp_path: Path
) -> None:
    """Without --echo-udp-max-datagram 2048, the 8192- and 65507-byte datagrams come
    back cut to 2048 bytes: the suite must report the MUST requirement failed."""
    proc, certificate = certify("echo", xinetd_peer, tmp_path)
    by_id = {r["id"]: r for r in certificate["requirements"]}
    returned = by_id["echo/rfc862/udp/datagram-returned"]
    message = (
        f"exit {proc.returncode}, verdict {certificate['verdict']}\n"
        f"{describe_requirements(list(by_id.values()))}\n{describe_run(proc)}"
    )
    assert proc.returncode == 1, message
    assert certificate["verdict"] == "NON_CONFORMANT", message
    assert returned["outcome"] == "fail", message
    failed = {
        c["nodeid"].rsplit("[", 1)[-1].rstrip("]")
        for c in returned["cases"]
        if c["outcome"] == "fail"
    }
    assert failed == {"8192B", "65507B"}, message
    assert all("2048" in c["actual"] for c in returned["cases"] if c["outcome"] == "fail"), message
    # Nothing else is wrong with xinetd's echo.
    assert [r["id"] for r in not_passed(certificate)] == [returned["id"]], message

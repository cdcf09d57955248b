"""The daytime and echo suites certify two independent implementations: xinetd and Go.

Each suite runs in a subprocess, exactly as a user runs it against an external
server (``python -m pytest suites/<suite> --target ...``), with its TCP and UDP
targets together, and the certificate it writes is read back. A conformant peer
must get exit status 0 and a CONFORMANT (or CONFORMANT_WITH_WARNINGS) verdict.

And one negative: xinetd's UDP echo cuts replies to 2048 bytes, which the echo suite
must catch when it is not told about that limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from brokenservers import GOOD_VERDICTS, PLAIN, SuiteRun, run_suite_against

from .peers import PeerMap

pytestmark = pytest.mark.interop

#: xinetd's INTERNAL UDP echo reads into a 2048-byte buffer and sends back only
#: what it read, so it cannot echo a larger datagram; state that limit so the suite
#: skips the larger sizes (the negative test below checks the truncation is caught).
XINETD_ECHO_UDP_LIMIT = ["--echo-udp-max-datagram", "2048"]


def certify(suite: str, peer: PeerMap, report_dir: Path, *extra: str) -> SuiteRun:
    """Run ``suite`` against ``peer``'s TCP and UDP services."""
    targets = [f"{t}://{peer[suite, t][0]}:{peer[suite, t][1]}" for t in ("tcp", "udp")]
    return run_suite_against(suite, targets, report_dir, *extra, options=PLAIN)


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
    run = certify(suite, peer, tmp_path, *PEERS[peer_name, suite])
    certificate = run.certificate
    verdict = certificate["verdict"]
    problems = describe_requirements(not_passed(certificate))
    message = f"{suite} suite against {peer_name}: {problems}\n{run.summary()}"
    assert run.returncode == 0, message
    assert verdict in GOOD_VERDICTS, message
    assert {target["scheme"] for target in certificate["targets"][suite]} == {"tcp", "udp"}
    assert all(not target["embedded"] for target in certificate["targets"][suite])


def test_echo_suite_catches_xinetd_truncating_udp_datagrams(
    xinetd_peer: PeerMap, tmp_path: Path
) -> None:
    """Without --echo-udp-max-datagram 2048, the 8192- and 65507-byte datagrams come
    back cut to 2048 bytes: the suite must report the MUST requirement failed."""
    run = certify("echo", xinetd_peer, tmp_path)
    certificate = run.certificate
    by_id = {r["id"]: r for r in certificate["requirements"]}
    returned = by_id["echo/rfc862/udp/datagram-returned"]
    message = f"{describe_requirements(list(by_id.values()))}\n{run.summary()}"
    assert run.returncode == 1, message
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

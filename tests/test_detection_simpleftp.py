"""The simpleftp suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenftp.FtpServer` whose fault breaks one requirement,
runs ``suites/simpleftp`` against it in a subprocess (``--timeout 1``) and reads the
certificate: the broken requirement fails (MUST), warns (SHOULD; fails with
``--strict-spec``) or reports the finding (MAY), with its wire log and
expected/actual text, and nothing else is failed or warned.
"""

from __future__ import annotations

import pytest
from brokenftp import FtpServer
from brokenservers import Runner, SuiteRun, assert_detected, cached_runner

MUST = [
    "simpleftp/ch5/dir/crlf-terminated-names",
    "simpleftp/ch5/pwd/absolute-path",
    "simpleftp/ch5/cd/into-listed-directory",
    "simpleftp/ch5/cd/parent-directory",
    "simpleftp/ch5/cd/error-for-missing",
    "simpleftp/ch5/robustness/survives-bad-commands",
]
SHOULD = [
    "simpleftp/ch5/session/concurrent-clients",
    "simpleftp/ch5/session/per-connection-directory",
]
MAY = ["simpleftp/ch5/framing/trailing-crlf"]
ALL = MUST + SHOULD + MAY


def fault_of(rid: str) -> str:
    """The server fault that breaks requirement ``rid``."""
    return rid.removeprefix("simpleftp/ch5/")


@pytest.fixture(scope="module")
def ftp_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server that breaks requirement ``rid`` (None: unbroken).

    Each (rid, strict) runs once per module, however many tests read the run.
    """
    run = cached_runner("simpleftp", FtpServer, tmp_path_factory)

    def by_rid(rid: str | None, *, strict: bool = False) -> SuiteRun:
        return run(fault_of(rid) if rid else None, strict_rid=rid if strict else None)

    return by_rid


def test_unbroken_server_is_conformant(ftp_run: Runner) -> None:
    run = ftp_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    for rid, outcome in run.outcomes().items():
        assert outcome == ("info" if rid in MAY else "pass"), run.summary()
    finding = run.record("simpleftp/ch5/framing/trailing-crlf")["actual"]
    assert "PWD CRLF answered like PWD" in finding, finding
    assert "CD b'docs' CRLF entered it" in finding, finding


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(ftp_run: Runner, rid: str) -> None:
    run = ftp_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    ftp_run: Runner, rid: str, strict: bool
) -> None:
    run = ftp_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


def test_shared_directory_is_named_in_the_warning(ftp_run: Runner) -> None:
    run = ftp_run("simpleftp/ch5/session/per-connection-directory")
    actual = run.record("simpleftp/ch5/session/per-connection-directory")["actual"]
    assert "moved B too" in actual, actual


@pytest.mark.parametrize("rid", MAY)
def test_crlf_intolerance_is_info(ftp_run: Runner, rid: str) -> None:
    run = ftp_run(rid)
    assert_detected(run, rid, outcome="info", returncode=0)
    actual = run.record(rid)["actual"]
    assert "PWD CRLF answered no bytes" in actual, actual
    assert run.certificate["verdict"] == "CONFORMANT"

"""The daytime suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenservers.DaytimeServer` whose fault breaks one
requirement, runs ``suites/daytime`` against it in a subprocess (``--timeout 1
--profile quick``) and reads the certificate: the broken requirement fails (MUST),
warns (SHOULD; fails with ``--strict-spec``) or reports the finding (MAY), with its
wire log and expected/actual text, and nothing else is failed or warned.
"""

from __future__ import annotations

import pytest
from brokenservers import DaytimeServer, Runner, SuiteRun, assert_detected, cached_runner

MUST = [
    "daytime/rfc867/tcp/sends-without-input",
    "daytime/rfc867/tcp/printable-ascii",
    "daytime/rfc867/tcp/closes-after-sending",
    "daytime/rfc867/tcp/input-ignored",
    "daytime/rfc867/udp/any-datagram-answered",
    "daytime/rfc867/udp/reply-from-target-address",
    "daytime/rfc867/udp/printable-ascii",
]
SHOULD = ["daytime/rfc867/tcp/concurrent-clients"]
MAY = ["daytime/rfc867/tcp/syntax"]
ALL = MUST + SHOULD + MAY


def fault_of(rid: str) -> str:
    """The server fault that breaks requirement ``rid``."""
    return rid.removeprefix("daytime/rfc867/")


@pytest.fixture(scope="module")
def daytime_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server that breaks requirement ``rid`` (None: unbroken).

    Each (rid, strict, variant) runs once per module, however many tests read the run.
    """
    run = cached_runner("daytime", DaytimeServer, tmp_path_factory)

    def by_rid(rid: str | None, *, strict: bool = False, variant: str = "") -> SuiteRun:
        fault = fault_of(rid) + (f":{variant}" if variant else "") if rid else None
        return run(fault, strict_rid=rid if strict else None)

    return by_rid


def test_unbroken_server_is_conformant(daytime_run: Runner) -> None:
    run = daytime_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    for rid, outcome in run.outcomes().items():
        assert outcome == ("info" if rid in MAY else "pass"), run.summary()


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(daytime_run: Runner, rid: str) -> None:
    run = daytime_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    daytime_run: Runner, rid: str, strict: bool
) -> None:
    run = daytime_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


@pytest.mark.parametrize("rid", MAY)
def test_unrecognised_syntax_is_info(daytime_run: Runner, rid: str) -> None:
    run = daytime_run(rid)
    assert_detected(run, rid, outcome="info", returncode=0)
    actual = run.record(rid)["actual"]
    assert "unrecognised" in actual, actual
    assert "the time is now" in actual, actual
    assert run.certificate["verdict"] == "CONFORMANT"


def test_a_server_that_answers_input_with_an_error_breaks_input_ignored(
    daytime_run: Runner,
) -> None:
    """A second fault for input-ignored: the date to quiet clients, an error otherwise."""
    run = daytime_run("daytime/rfc867/tcp/input-ignored", variant="answers")
    assert_detected(run, "daytime/rfc867/tcp/input-ignored", outcome="fail", returncode=1)
    assert "ERROR unknown command" in run.record("daytime/rfc867/tcp/input-ignored")["actual"]

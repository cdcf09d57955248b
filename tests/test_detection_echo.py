"""The echo suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenservers.EchoServer` whose fault breaks one
requirement, runs ``suites/echo`` against it in a subprocess (``--timeout 1 --profile
quick``, a fixed Hypothesis seed) and reads the certificate: the broken requirement
fails (MUST) or warns (SHOULD; fails with ``--strict-spec``), with its wire log and
expected/actual text, and nothing else is failed or warned. Every run streams the
suite's 16 MiB case, so each takes a few seconds.
"""

from __future__ import annotations

import pytest
from brokenservers import EchoServer, Runner, SuiteRun, assert_detected, cached_runner

MUST = [
    "echo/rfc862/tcp/data-returned",
    "echo/rfc862/tcp/connection-stays-open",
    "echo/rfc862/tcp/survives-client-reset",
    "echo/rfc862/udp/datagram-returned",
    "echo/rfc862/udp/reply-from-target-address",
]
SHOULD = [
    "echo/rfc862/tcp/close-after-client-close",
    "echo/rfc862/tcp/concurrent-clients",
]
ALL = MUST + SHOULD

#: A server that dies of a client's reset leaves later TCP checks nothing to check:
#: they may be ``error`` (none follow it in the suite's order today).
AFTER_DEATH = {rid: {"error"} for rid in ALL if rid.startswith("echo/rfc862/tcp/")}
TOLERATED: dict[str, dict[str, set[str]]] = {"echo/rfc862/tcp/survives-client-reset": AFTER_DEATH}

#: The fuzz check draws from this seed, so every run sends the same payloads.
SEED = "--hypothesis-seed=862"


def fault_of(rid: str) -> str:
    """The server fault that breaks requirement ``rid``."""
    return rid.removeprefix("echo/rfc862/")


@pytest.fixture(scope="module")
def echo_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server that breaks requirement ``rid`` (None: unbroken).

    Each (rid, strict) runs once per module, however many tests read the run.
    """
    run = cached_runner("echo", EchoServer, tmp_path_factory, SEED)

    def by_rid(rid: str | None, *, strict: bool = False) -> SuiteRun:
        return run(fault_of(rid) if rid else None, strict_rid=rid if strict else None)

    return by_rid


def test_unbroken_server_is_conformant(echo_run: Runner) -> None:
    run = echo_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(echo_run: Runner, rid: str) -> None:
    run = echo_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1, tolerated=TOLERATED.get(rid))
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    echo_run: Runner, rid: str, strict: bool
) -> None:
    run = echo_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict

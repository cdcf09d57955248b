"""The proxy suite blames the right requirement: one broken proxy per requirement.

Each case starts a :class:`brokenproxy.BrokenProxy` whose fault breaks one
requirement, runs ``suites/proxy`` against it in a subprocess (``--timeout 1``) and
reads the certificate: the broken requirement fails (MUST) or warns (SHOULD; fails
with ``--strict-spec``), with its wire log and expected/actual text, and nothing else
is failed or warned (checks that depend on the broken behaviour may skip).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import pytest
from brokenproxy import BrokenProxy
from brokenservers import Runner, SuiteRun, assert_detected, cached_runner

MUST = [
    "proxy/rfc9110/11.7.2/right-credentials-pass",
    "proxy/rfc7617/2/missing-credentials-refused",
    "proxy/rfc7617/2/wrong-credentials-refused",
    "proxy/rfc9110/15.5.8/407-has-challenge",
    "proxy/rfc7617/2/basic-realm",
    "proxy/rfc9110/11.7.2/credentials-not-forwarded",
    "proxy/rfc9110/7.6.1/connection-options-removed",
    "proxy/rfc9110/7.6.3/via-added",
    "proxy/rfc9110/7.6.2/max-forwards-zero",
    "proxy/rfc9110/7.6.2/max-forwards-decremented",
    "proxy/rfc9110/9.3.6/connect-tunnel",
    "proxy/rfc9110/9.3.6/connect-2xx-no-framing",
    "proxy/rfc7617/2/connect-requires-credentials",
    "proxy/rfc9112/3.2.1/origin-form-forwarded",
    "proxy/rfc9112/3.2.2/host-from-absolute-form",
]
SHOULD = [
    "proxy/rfc9110/11.4/refusal-is-407",
    "proxy/rfc9110/7.6.1/hop-by-hop-removed",
]
ALL = MUST + SHOULD
#: Suite runs in flight at once while the module's runs are made.
PARALLEL_RUNS = 3


class _Locked:
    """``mktemp`` of a TempPathFactory, one thread at a time (it is not thread-safe)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        with self._lock:
            return self._factory.mktemp(basename, numbered)


@pytest.fixture(scope="module")
def proxy_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The suite against a proxy that breaks requirement ``rid`` (None: unbroken)."""
    factory = cast(pytest.TempPathFactory, _Locked(tmp_path_factory))
    run = cached_runner("proxy", BrokenProxy, factory)

    def by_rid(rid: str | None, *, strict: bool = False) -> SuiteRun:
        fault = rid.removeprefix("proxy/") if rid else None
        return run(fault, strict_rid=rid if strict else None)

    # Every run is a subprocess that mostly waits on its own start-up: a few at once
    # keep the file fast (each run has its own proxy and report directory).
    wanted = [(None, False), *((rid, False) for rid in ALL), *((rid, True) for rid in SHOULD)]
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        for future in [pool.submit(by_rid, rid, strict=strict) for rid, strict in wanted]:
            future.result()
    return by_rid


def test_unbroken_proxy_is_conformant(proxy_run: Runner) -> None:
    run = proxy_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_every_requirement_has_a_fault() -> None:
    assert sorted(f"proxy/{fault}" for fault in BrokenProxy.FAULTS) == sorted(ALL)


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(proxy_run: Runner, rid: str) -> None:
    run = proxy_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    proxy_run: Runner, rid: str, strict: bool
) -> None:
    run = proxy_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


def test_refusing_every_credential_skips_the_forwarding_checks(proxy_run: Runner) -> None:
    """A proxy that refuses the suite's credentials fails one requirement; the checks
    that need a forwarded request say why they could not run."""
    run = proxy_run("proxy/rfc9110/11.7.2/right-credentials-pass")
    via = run.record("proxy/rfc9110/7.6.3/via-added")
    assert via["outcome"] == "skip", run.summary()
    assert "--proxy-credentials" in via["actual"], via["actual"]
    # The skip names the check that failed, by its id.
    assert "proxy/rfc9110/11.7.2/right-credentials-pass" in via["actual"], via["actual"]


def test_tinyproxy_style_401_is_named(proxy_run: Runner) -> None:
    run = proxy_run("proxy/rfc9110/11.4/refusal-is-407")
    actual = run.record("proxy/rfc9110/11.4/refusal-is-407")["actual"]
    assert "wrong password: 401" in actual, actual

"""The http suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenhttp.HttpServer` whose fault breaks one requirement,
runs ``suites/http`` against it in a subprocess (``--timeout 1``, ``--http-path
/hello.txt``, ``--spec`` the one requirement) and reads the certificate: the broken
requirement fails (MUST) or warns (SHOULD; fails with ``--strict-spec``), with its
wire log and expected/actual text, and nothing else is failed or warned. The
unbroken server runs the whole suite and is CONFORMANT.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from brokenhttp import HTTP_FAULTS, HttpServer
from brokenservers import Runner, SuiteRun, assert_detected, cached_runner

SHOULD = [
    "http/rfc9110/9.3.2/head-same-fields",
    "http/rfc9112/9.3/persistent-connections",
    "http/rfc9112/7.1/invalid-chunk-size",
    "http/rfc9110/9.1/unknown-method-501",
    "http/rfc9110/15.6.6/major-version-505",
    "http/rfc9112/2.3/malformed-version",
    "http/rfc9112/9.5/slow-client-timeout",
]
ALL = [f"http/{fault}" for fault in HTTP_FAULTS]
#: The suite has no fuzz checks: leave out the plugins that only cost start-up time.
FAST_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark")
PATH = ("--http-path", "/hello.txt")
#: Suite runs at a time.
PARALLEL_RUNS = 3
#: The SHOULD whose --strict-spec run is in the default test run; the others are slow.
STRICT_IN_DEFAULT = "http/rfc9110/9.1/unknown-method-501"
MUST = [rid for rid in ALL if rid not in SHOULD]


@pytest.fixture(scope="module")
def http_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server that breaks requirement ``rid`` (None: unbroken)."""
    run = cached_runner("http", HttpServer, tmp_path_factory, *FAST_PLUGINS, *PATH)

    def by_rid(rid: str | None, *, strict: bool = False) -> SuiteRun:
        if rid is None:
            return run(None)
        if strict:
            return run(rid.removeprefix("http/"), strict_rid=rid)
        return run(rid.removeprefix("http/"), "--spec", rid)

    # The runs are subprocesses that mostly wait on the network: start them side by side.
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        for future in [pool.submit(by_rid, rid) for rid in (None, *ALL)]:
            future.result()
    return by_rid


def test_unbroken_server_is_conformant(http_run: Runner) -> None:
    run = http_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(http_run: Runner, rid: str) -> None:
    run = http_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns(http_run: Runner, rid: str) -> None:
    run = http_run(rid)
    assert_detected(run, rid, outcome="warn", returncode=0)
    assert run.certificate["verdict"] == "CONFORMANT_WITH_WARNINGS"


@pytest.mark.parametrize(
    "rid",
    [
        rid if rid == STRICT_IN_DEFAULT else pytest.param(rid, marks=pytest.mark.slow)
        for rid in SHOULD
    ],
)
def test_should_violation_fails_when_strict(http_run: Runner, rid: str) -> None:
    run = http_run(rid, strict=True)
    assert_detected(run, rid, outcome="fail", returncode=1)


def test_traversal_evidence_names_the_leak(http_run: Runner) -> None:
    rid = "http/rfc9110/17.3/no-path-traversal"
    actual = http_run(rid).record(rid)["actual"]
    assert "a system file served" in actual and "root:" in actual, actual

"""The JSON-RPC suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenjsonrpc.JSONRPCServer` whose fault breaks one
requirement, runs ``suites/jsonrpc`` against it in a subprocess (``--timeout 1
--profile quick``, with the profile the fault belongs to) and reads the certificate:
the broken requirement fails (MUST) or warns (SHOULD; fails with ``--strict-spec``),
with its wire log and expected/actual text, and nothing else is failed or warned.
Each run takes one to three seconds.
"""

from __future__ import annotations

import pytest
from brokenjsonrpc import JSONRPCServer
from brokenservers import Runner, assert_detected, cached_runner

#: The checks of both profiles (the stream), run in the 1.0 runs.
STREAM = [
    "jsonrpc/go-encoding-json/stream/pipelined-calls-matched",
    "jsonrpc/go-encoding-json/stream/any-write-pattern",
]
MUST_10 = [
    "jsonrpc/go-net-rpc-jsonrpc/arith/multiply-and-divide",
    "jsonrpc/go-net-rpc-jsonrpc/arith/error-text",
    "jsonrpc/go-net-rpc-jsonrpc/response/id-echoed",
    "jsonrpc/go-net-rpc-jsonrpc/response/id-result-error-present",
    "jsonrpc/go-net-rpc-jsonrpc/response/id-null-without-id",
    "jsonrpc/go-net-rpc-jsonrpc/request/unknown-method-answered",
    "jsonrpc/go-net-rpc-jsonrpc/request/wrong-params-answered",
    "jsonrpc/go-net-rpc-jsonrpc/stream/malformed-closes",
    *STREAM,
]
MUST_20 = [
    "jsonrpc/jsonrpc-2.0/5/result-on-success",
    "jsonrpc/jsonrpc-2.0/5.1/error-on-failure",
    "jsonrpc/jsonrpc-2.0/5/id-echoed",
    "jsonrpc/jsonrpc-2.0/5/jsonrpc-member",
    "jsonrpc/jsonrpc-2.0/5/result-xor-error",
    "jsonrpc/jsonrpc-2.0/5.1/method-not-found",
    "jsonrpc/jsonrpc-2.0/5.1/invalid-params",
    "jsonrpc/jsonrpc-2.0/5/parse-error-id-null",
    "jsonrpc/jsonrpc-2.0/4.1/notification-no-reply",
    "jsonrpc/jsonrpc-2.0/6/empty-batch",
]
SHOULD_20 = ["jsonrpc/jsonrpc-2.0/6/batch-mixed"]
ALL = {"1.0": MUST_10, "2.0": [*MUST_20, *STREAM, *SHOULD_20]}
BASIC = {
    "1.0": "jsonrpc/go-net-rpc-jsonrpc/arith/multiply-and-divide",
    "2.0": "jsonrpc/jsonrpc-2.0/5/result-on-success",
}

#: A fault that breaks Multiply, which every other check leans on.
DEAD = ":dead-multiply"
#: Each requirement's fault is its id without ``jsonrpc/``; the basic ones have a second.
CASES = [(rid, rid.removeprefix("jsonrpc/")) for rid in [*MUST_10, *MUST_20]] + [
    (rid, rid.removeprefix("jsonrpc/") + DEAD) for rid in BASIC.values()
]


@pytest.fixture(scope="module")
def rpc_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server with ``fault`` (None: unbroken 1.0), once each."""
    return cached_runner("jsonrpc", JSONRPCServer, tmp_path_factory)


@pytest.fixture(scope="module")
def rpc2_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The same with a 2.0 server even when ``fault`` is None."""
    return cached_runner(
        "jsonrpc", lambda fault: JSONRPCServer(fault, profile="2.0"), tmp_path_factory
    )


@pytest.mark.parametrize("profile", ["1.0", "2.0"])
def test_unbroken_server_is_conformant(rpc_run: Runner, rpc2_run: Runner, profile: str) -> None:
    run = (rpc_run if profile == "1.0" else rpc2_run)(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL[profile]), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_every_requirement_has_a_fault() -> None:
    faults = [fault for _, fault in CASES] + [r.removeprefix("jsonrpc/") for r in SHOULD_20]
    assert sorted(faults) == sorted(JSONRPCServer.FAULTS)


@pytest.mark.parametrize(("rid", "fault"), CASES, ids=[f for _, f in CASES])
def test_must_violation_fails(rpc_run: Runner, rid: str, fault: str) -> None:
    run = rpc_run(fault)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD_20)
def test_should_violation_warns_and_fails_when_strict(
    rpc_run: Runner, rid: str, strict: bool
) -> None:
    run = rpc_run(rid.removeprefix("jsonrpc/"), strict_rid=rid if strict else None)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict, run.summary()


@pytest.mark.parametrize("profile", ["1.0", "2.0"])
def test_a_dead_arith_is_reported_once(rpc_run: Runner, profile: str) -> None:
    """Every other check leans on Arith.Multiply: against a server whose products are
    wrong, they skip with a pointer to the basic check instead of failing again."""
    rid = BASIC[profile]
    run = rpc_run(rid.removeprefix("jsonrpc/") + DEAD)
    assert run.outcomes()[rid] == "fail", run.summary()
    others = {other: got for other, got in run.outcomes().items() if other != rid}
    assert set(others.values()) == {"skip"}, run.summary()
    assert all(rid in run.record(other)["actual"] for other in others), run.summary()


@pytest.mark.parametrize("profile", ["1.0", "2.0"])
def test_a_wrong_divide_is_reported_alone(rpc_run: Runner, profile: str) -> None:
    """A server whose Divide is wrong but whose Multiply works: only the basic check
    fails; every other check runs and passes."""
    rid = BASIC[profile]
    run = rpc_run(rid.removeprefix("jsonrpc/"))
    others = {other: got for other, got in run.outcomes().items() if other != rid}
    assert set(others.values()) == {"pass"}, run.summary()

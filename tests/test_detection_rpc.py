"""The rpc suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenrpc.RpcServer` whose fault breaks one requirement,
runs ``suites/rpc`` against it (raw and HTTP targets on one port) in a subprocess
(``--timeout 1 --profile quick``) and reads the certificate: the broken requirement
fails (MUST) or warns (SHOULD; fails with ``--strict-spec``), with its wire log and
expected/actual text, and nothing else is failed or warned.
"""

from __future__ import annotations

import pytest
from brokenrpc import RpcServer
from brokenservers import Runner, assert_detected, cached_runner

MUST = [
    "rpc/go-net-rpc/overview/arith-multiply",
    "rpc/go-net-rpc/overview/arith-divide",
    "rpc/go-net-rpc/overview/method-error-returned",
    "rpc/go-net-rpc/overview/pipelined-calls",
    "rpc/go-net-rpc/overview/any-write-pattern",
    "rpc/go-net-rpc/overview/http-connect",
    "rpc/go-net-rpc/request-response/seq-echoed",
    "rpc/go-net-rpc/request-response/unknown-service-reported",
    "rpc/go-net-rpc/request-response/unknown-method-reported",
    "rpc/go-net-rpc/request-response/ill-formed-name-reported",
    "rpc/go-net-rpc/request-response/wrong-body-type-reported",
    "rpc/go-net-rpc/request-response/malformed-header-closes",
    "rpc/go-net-rpc/gob-stream/types-defined-once",
    "rpc/go-net-rpc/gob-stream/types-defined-before-use",
    "rpc/go-net-rpc/gob-stream/message-lengths-exact",
]
SHOULD = [
    "rpc/go-net-rpc/overview/http-non-connect-refused",
]
ALL = MUST + SHOULD

#: One fault per requirement, named by the requirement's id without ``rpc/``.
FAULTS: dict[str, str] = {rid: rid.removeprefix("rpc/") for rid in ALL}


@pytest.fixture(scope="module")
def rpc_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server with ``fault`` (None: unbroken), once per module."""
    return cached_runner("rpc", RpcServer, tmp_path_factory)


def test_unbroken_server_is_conformant(rpc_run: Runner) -> None:
    run = rpc_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_every_requirement_has_a_fault() -> None:
    assert sorted(FAULTS.values()) == sorted(RpcServer.FAULTS)


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(rpc_run: Runner, rid: str) -> None:
    run = rpc_run(FAULTS[rid])
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    rpc_run: Runner, rid: str, strict: bool
) -> None:
    run = rpc_run(FAULTS[rid], strict_rid=rid if strict else None)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict, run.summary()


def test_a_broken_multiply_is_reported_once(rpc_run: Runner) -> None:
    """Every other call check leans on Arith.Multiply: against a server that gets it
    wrong, they skip with a pointer instead of failing again."""
    rid = "rpc/go-net-rpc/overview/arith-multiply"
    run = rpc_run(FAULTS[rid])
    leaning = {
        other: got
        for other, got in run.outcomes().items()
        if other != rid and "/overview/http-" not in other
    }
    assert set(leaning.values()) == {"skip"}, run.summary()
    assert all(rid in run.record(other)["actual"] for other in leaning), run.summary()

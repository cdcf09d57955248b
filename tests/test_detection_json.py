"""The JSON suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenjson.JSONEchoServer` whose fault breaks one
requirement, runs ``suites/json`` against it in a subprocess (``--timeout 1 --profile
quick``, a fixed Hypothesis seed) and reads the certificate: the broken requirement
fails (MUST) or warns (SHOULD; fails with ``--strict-spec``), with its wire log and
expected/actual text, and nothing else is failed or warned. Each run takes about two
seconds.
"""

from __future__ import annotations

import pytest
from brokenjson import JSONEchoServer
from brokenservers import Runner, assert_detected, cached_runner

MUST = [
    "json/go-encoding-json/stream/book-person-echoed",
    "json/go-encoding-json/stream/generated-persons-echoed",
    "json/go-encoding-json/stream/values-on-one-connection",
    "json/go-encoding-json/stream/any-write-pattern",
    "json/go-encoding-json/marshal/field-names-exact",
    "json/rfc8259/2/replies-are-json-text",
    "json/rfc8259/8.1/invalid-utf8-replaced",
    "json/rfc8259/9/malformed-input-survived",
]
SHOULD = [
    "json/go-encoding-json/marshal/html-escaped",
    "json/go-encoding-json/unmarshal/keys-case-insensitive",
    "json/go-encoding-json/unmarshal/unknown-keys-dropped",
]
ALL = MUST + SHOULD

#: Faults, by the requirement they break; a requirement may have several.
FAULTS: dict[str, list[str]] = {rid: [rid.removeprefix("json/")] for rid in ALL}
FAULTS["json/go-encoding-json/stream/values-on-one-connection"].append(
    "go-encoding-json/stream/values-on-one-connection:pipelined"
)
CASES = [(rid, fault) for rid in MUST for fault in FAULTS[rid]]

#: A server that dies of malformed input leaves later checks nothing to check: they
#: may be ``error`` (none follow it in the suite's order today).
TOLERATED: dict[str, dict[str, set[str]]] = {
    "json/rfc8259/9/malformed-input-survived": {rid: {"error"} for rid in ALL}
}

#: The fuzz check draws from this seed, so every run sends the same Persons.
SEED = "--hypothesis-seed=8259"


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server with ``fault`` (None: unbroken), once per module."""
    return cached_runner("json", JSONEchoServer, tmp_path_factory, SEED)


def test_unbroken_server_is_conformant(json_run: Runner) -> None:
    run = json_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_every_requirement_has_a_fault() -> None:
    assert sorted(f for faults in FAULTS.values() for f in faults) == sorted(JSONEchoServer.FAULTS)


@pytest.mark.parametrize(("rid", "fault"), CASES, ids=[f for _, f in CASES])
def test_must_violation_fails(json_run: Runner, rid: str, fault: str) -> None:
    run = json_run(fault)
    assert_detected(run, rid, outcome="fail", returncode=1, tolerated=TOLERATED.get(rid))
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    json_run: Runner, rid: str, strict: bool
) -> None:
    run = json_run(FAULTS[rid][0], strict_rid=rid if strict else None)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict, run.summary()


def test_a_dead_book_echo_is_reported_once(json_run: Runner) -> None:
    """Every other check leans on the book's Person coming back: against a server that
    never sends a whole reply, they skip with a pointer instead of failing again."""
    rid = "json/go-encoding-json/stream/book-person-echoed"
    run = json_run(FAULTS[rid][0])
    others = {other: got for other, got in run.outcomes().items() if other != rid}
    assert set(others.values()) == {"skip"}, run.summary()
    assert all(rid in run.record(other)["actual"] for other in others), run.summary()

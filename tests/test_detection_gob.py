"""The gob suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokengob.GobEchoServer` whose fault breaks one
requirement, runs ``suites/gob`` against it in a subprocess (``--timeout 1 --profile
quick``, a fixed Hypothesis seed) and reads the certificate: the broken requirement
fails (MUST) or warns (SHOULD; fails with ``--strict-spec``), with its wire log and
expected/actual text, and nothing else is failed or warned. Each run takes a few
seconds.

The end of the module checks the suite's reply reader (:class:`suites.gob.persons.
Replies`) on its own: each flaw the faults put in a reply stream is noted in its one
list, and the Person is still read.
"""

from __future__ import annotations

from typing import Any

import pytest
from brokengob import GobEchoServer, frame, messages, person_body_with_zeros, renumber
from brokenservers import Runner, assert_detected, cached_runner
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.wire import End, Observation
from reference_impls.gob import Encoder
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person
from reference_impls.gob.primitives import Reader
from suites.gob.persons import Replies

MUST = [
    "gob/go-encoding-gob/basics/book-person-echoed",
    "gob/go-encoding-gob/basics/generated-persons-echoed",
    "gob/go-encoding-gob/basics/values-on-one-connection",
    "gob/go-encoding-gob/basics/any-write-pattern",
    "gob/go-encoding-gob/basics/malformed-input-survived",
    "gob/go-encoding-gob/encoding-details/types-defined-once",
    "gob/go-encoding-gob/encoding-details/types-defined-before-use",
    "gob/go-encoding-gob/encoding-details/user-type-ids-64-and-up",
    "gob/go-encoding-gob/encoding-details/message-lengths-exact",
]
SHOULD = [
    "gob/go-encoding-gob/types-and-values/zero-fields-omitted",
]
ALL = MUST + SHOULD

#: Faults, by the requirement they break; a requirement may have several.
FAULTS: dict[str, list[str]] = {rid: [rid.removeprefix("gob/")] for rid in ALL}
FAULTS["gob/go-encoding-gob/basics/values-on-one-connection"].append(
    "go-encoding-gob/basics/values-on-one-connection:pipelined"
)
FAULTS["gob/go-encoding-gob/encoding-details/message-lengths-exact"].append(
    "go-encoding-gob/encoding-details/message-lengths-exact:short"
)
CASES = [(rid, fault) for rid in MUST for fault in FAULTS[rid]]

#: A server that dies of malformed input leaves later checks nothing to check: they
#: may be ``error``.
TOLERATED: dict[str, dict[str, set[str]]] = {
    "gob/go-encoding-gob/basics/malformed-input-survived": {rid: {"error"} for rid in ALL}
}

#: The fuzz check draws from this seed, so every run sends the same Persons.
SEED = "--hypothesis-seed=1200"


@pytest.fixture(scope="module")
def gob_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a server with ``fault`` (None: unbroken), once per module."""
    return cached_runner("gob", GobEchoServer, tmp_path_factory, SEED)


def test_unbroken_server_is_conformant(gob_run: Runner) -> None:
    run = gob_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_every_requirement_has_a_fault() -> None:
    assert sorted(f for faults in FAULTS.values() for f in faults) == sorted(GobEchoServer.FAULTS)


@pytest.mark.parametrize(("rid", "fault"), CASES, ids=[f for _, f in CASES])
def test_must_violation_fails(gob_run: Runner, rid: str, fault: str) -> None:
    run = gob_run(fault)
    assert_detected(run, rid, outcome="fail", returncode=1, tolerated=TOLERATED.get(rid))
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    gob_run: Runner, rid: str, strict: bool
) -> None:
    run = gob_run(FAULTS[rid][0], strict_rid=rid if strict else None)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict, run.summary()


def test_a_dead_book_echo_is_reported_once(gob_run: Runner) -> None:
    """Every other check leans on the book's Person coming back: against a server that
    never sends a whole reply, they skip with a pointer instead of failing again."""
    rid = "gob/go-encoding-gob/basics/book-person-echoed"
    run = gob_run(FAULTS[rid][0])
    others = {other: got for other, got in run.outcomes().items() if other != rid}
    assert set(others.values()) == {"skip"}, run.summary()
    assert all(rid in run.record(other)["actual"] for other in others), run.summary()


# -- the suite's reply reader, without a server ------------------------------------------


def _replies(data: bytes, count: int) -> Replies:
    return Replies(Observation(data, End.OPEN, 0.0), count)


def _stream(*persons: Person) -> bytes:
    encoder = Encoder()
    return b"".join(encoder.encode(p) for p in persons)


PERSONS = [SAMPLE_PERSON, Person(), Person(Name("", "x"), [Email(), Email("k", "")])]


def test_reader_finds_nothing_wrong_with_gos_bytes() -> None:
    replies = _replies(_stream(*PERSONS), len(PERSONS))
    assert replies.persons("") == PERSONS
    assert not replies.incomplete and replies.error is None
    assert not (replies.length_errors or replies.redefined or replies.low_ids)
    assert not (replies.used_before_definition or replies.zero_fields)


@pytest.mark.parametrize(
    ("change", "noted"),
    [
        (lambda bodies: [frame(b, off_by=1) for b in bodies], "length_errors"),
        (lambda bodies: [frame(b, off_by=-1) for b in bodies], "length_errors"),
        (lambda bodies: [frame(b) for b in bodies[4:5] + bodies[:4]], "used_before_definition"),
        (lambda bodies: [frame(renumber(b, 25)) for b in bodies], "low_ids"),
        (lambda bodies: [frame(b) for b in bodies[:4] * 2 + bodies[4:]], "redefined"),
    ],
    ids=["longer", "shorter", "value-first", "low-ids", "defined-twice"],
)
def test_reader_notes_one_flaw_and_still_reads_the_person(change: Any, noted: str) -> None:
    replies = _replies(b"".join(change(messages(_stream(SAMPLE_PERSON)))), 1)
    assert replies.persons("") == [SAMPLE_PERSON]
    lists = ("length_errors", "redefined", "low_ids", "used_before_definition", "zero_fields")
    assert [name for name in lists if getattr(replies, name)] == [noted]


def test_reader_notes_zero_fields() -> None:
    bodies = messages(_stream(Person()))
    tid = Reader(bodies[-1]).read_int()
    data = b"".join(map(frame, bodies[:-1])) + frame(person_body_with_zeros(tid, Person()))
    replies = _replies(data, 1)
    assert replies.persons("") == [Person()]
    assert replies.zero_fields == ["Name.Family", "Name.Personal", "Person.Email"]


def test_reader_waits_for_the_rest_of_a_cut_stream() -> None:
    data = _stream(*PERSONS)
    for cut in range(len(data)):
        replies = _replies(data[:cut], len(PERSONS))
        assert replies.error is None, cut
        assert replies.incomplete or len(replies.values) < len(PERSONS), cut


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(1, 3))
def test_reader_takes_any_bytes_without_crashing(data: bytes, count: int) -> None:
    replies = _replies(_stream(SAMPLE_PERSON)[:60] + data, count)
    assert replies.error is None or replies.error.startswith(("the reply", "value "))

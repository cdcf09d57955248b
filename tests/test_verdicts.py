"""Unit tests for ``harness.verdicts``: results to outcomes, outcomes to a verdict."""

from __future__ import annotations

import itertools

import pytest

from harness.requirements import Level
from harness.verdicts import Outcome, Verdict, combine, outcome_of, verdict_of

MUST, SHOULD, MAY = Level.MUST, Level.SHOULD, Level.MAY
P, F, W, I, S, E = (  # noqa: E741
    Outcome.PASS,
    Outcome.FAIL,
    Outcome.WARN,
    Outcome.INFO,
    Outcome.SKIP,
    Outcome.ERROR,
)

# (level, result, strict) -> outcome: the whole table.
OUTCOMES: list[tuple[Level, str, bool, Outcome]] = [
    (MUST, "passed", False, P),
    (MUST, "passed", True, P),
    (MUST, "violated", False, F),
    (MUST, "violated", True, F),
    (MUST, "skipped", False, S),
    (MUST, "skipped", True, S),
    (MUST, "broken", False, E),
    (MUST, "broken", True, E),
    (SHOULD, "passed", False, P),
    (SHOULD, "passed", True, P),
    (SHOULD, "violated", False, W),
    (SHOULD, "violated", True, F),
    (SHOULD, "skipped", False, S),
    (SHOULD, "skipped", True, S),
    (SHOULD, "broken", False, E),
    (SHOULD, "broken", True, E),
    (MAY, "passed", False, I),
    (MAY, "passed", True, I),
    (MAY, "violated", False, I),
    (MAY, "violated", True, I),
    (MAY, "skipped", False, S),
    (MAY, "skipped", True, S),
    (MAY, "broken", False, E),
    (MAY, "broken", True, E),
]


@pytest.mark.parametrize(("level", "result", "strict", "outcome"), OUTCOMES)
def test_outcome_of(level: Level, result: str, strict: bool, outcome: Outcome) -> None:
    assert outcome_of(level, result=result, strict=strict) is outcome


def test_outcome_table_is_complete() -> None:
    covered = {(level, result, strict) for level, result, strict, _ in OUTCOMES}
    every = set(
        itertools.product(Level, ["passed", "violated", "skipped", "broken"], [False, True])
    )
    assert covered == every


@pytest.mark.parametrize("level", [MUST, SHOULD])
@pytest.mark.parametrize("result", ["failed", "", "PASSED"])
def test_outcome_of_unknown_result(level: Level, result: str) -> None:
    with pytest.raises(ValueError, match="unknown result"):
        outcome_of(level, result=result, strict=False)


def test_outcome_of_unknown_result_for_may() -> None:
    with pytest.raises(ValueError, match="unknown result"):
        outcome_of(MAY, result="failed", strict=False)


COMBINED: list[tuple[list[Outcome], Outcome]] = [
    ([P], P),
    ([S], S),
    ([S, S, S], S),
    ([P, S], P),  # a skip only shows when nothing was checked at all
    ([S, I], I),
    ([P, I], I),
    ([P, W, I], W),
    ([P, E, W], E),
    ([E, F], F),
    ([S, P, I, W, E, F], F),
    ([F, F, P], F),
    ([S, E], E),
]


@pytest.mark.parametrize(("outcomes", "gravest"), COMBINED)
def test_combine_takes_the_gravest(outcomes: list[Outcome], gravest: Outcome) -> None:
    assert combine(outcomes) is gravest
    assert combine(reversed(outcomes)) is gravest
    assert combine(iter(outcomes)) is gravest  # any iterable, consumed once


def test_combine_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no outcomes"):
        combine([])


VERDICTS: list[tuple[list[tuple[Level, Outcome]], Verdict]] = [
    ([], Verdict.INCOMPLETE),
    ([(MUST, P)], Verdict.CONFORMANT),
    ([(MUST, P), (SHOULD, P), (MAY, I)], Verdict.CONFORMANT),
    ([(MAY, I)], Verdict.CONFORMANT),
    ([(MUST, P), (SHOULD, S)], Verdict.CONFORMANT),  # a skipped SHOULD leaves it complete
    ([(MUST, P), (MAY, S)], Verdict.CONFORMANT),
    ([(MUST, P), (SHOULD, W)], Verdict.CONFORMANT_WITH_WARNINGS),
    ([(MUST, P), (SHOULD, W), (MAY, I), (SHOULD, S)], Verdict.CONFORMANT_WITH_WARNINGS),
    ([(MUST, S)], Verdict.INCOMPLETE),  # a skipped MUST
    ([(MUST, P), (MUST, S), (SHOULD, W)], Verdict.INCOMPLETE),
    ([(MUST, P), (MUST, E)], Verdict.INCOMPLETE),  # any error
    ([(SHOULD, E)], Verdict.INCOMPLETE),
    ([(MAY, E), (MUST, P)], Verdict.INCOMPLETE),
    ([(SHOULD, W), (MAY, E)], Verdict.INCOMPLETE),
    ([(MUST, F)], Verdict.NON_CONFORMANT),
    ([(SHOULD, F)], Verdict.NON_CONFORMANT),  # a SHOULD under --strict-spec
    ([(MUST, F), (MUST, E), (MUST, S)], Verdict.NON_CONFORMANT),  # fail beats incomplete
    ([(MUST, P), (SHOULD, W), (MUST, F)], Verdict.NON_CONFORMANT),
]


@pytest.mark.parametrize(("records", "verdict"), VERDICTS)
def test_verdict_of(records: list[tuple[Level, Outcome]], verdict: Verdict) -> None:
    assert verdict_of(records) is verdict
    assert verdict_of(iter(records)) is verdict  # a generator works as well as a list


@pytest.mark.parametrize("strict", [False, True])
def test_from_results_to_verdict(strict: bool) -> None:
    results = [(MUST, "passed"), (SHOULD, "violated"), (MAY, "violated"), (SHOULD, "skipped")]
    records = [(level, outcome_of(level, result=r, strict=strict)) for level, r in results]
    expected = Verdict.NON_CONFORMANT if strict else Verdict.CONFORMANT_WITH_WARNINGS
    assert verdict_of(records) is expected


def test_enum_values_are_the_certificate_strings() -> None:
    assert [o.value for o in Outcome] == ["pass", "fail", "warn", "info", "skip", "error"]
    assert [v.value for v in Verdict] == [
        "CONFORMANT",
        "CONFORMANT_WITH_WARNINGS",
        "NON_CONFORMANT",
        "INCOMPLETE",
    ]

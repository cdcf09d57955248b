"""From a check's result to an outcome, and from outcomes to the certificate's verdict.

Outcomes per requirement:

- ``pass``: the target did what the requirement asks;
- ``fail``: a MUST was broken (or a SHOULD, under ``--strict-spec``);
- ``warn``: a SHOULD was broken;
- ``info``: a MAY or implementation-defined finding, never a failure;
- ``skip``: not checked, with the reason;
- ``error``: the harness or the network broke, not the target.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from harness.requirements import Level

__all__ = ["Outcome", "Verdict", "combine", "outcome_of", "verdict_of"]


class Outcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INFO = "info"
    SKIP = "skip"
    ERROR = "error"


# When several checks serve one requirement, the requirement takes the gravest
# outcome; a skip only shows when nothing was checked at all.
_GRAVITY = [Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.INFO, Outcome.PASS, Outcome.SKIP]


class Verdict(enum.Enum):
    CONFORMANT = "CONFORMANT"
    CONFORMANT_WITH_WARNINGS = "CONFORMANT_WITH_WARNINGS"
    NON_CONFORMANT = "NON_CONFORMANT"
    INCOMPLETE = "INCOMPLETE"


def outcome_of(level: Level, *, result: str, strict: bool) -> Outcome:
    """``result`` is ``passed``, ``violated`` (an assertion), ``skipped`` or ``broken``."""
    if result not in ("passed", "violated", "skipped", "broken"):
        raise ValueError(f"unknown result {result!r}")
    if result == "skipped":
        return Outcome.SKIP
    if result == "broken":
        return Outcome.ERROR
    if level is Level.MAY:
        return Outcome.INFO
    if result == "passed":
        return Outcome.PASS
    if level is Level.SHOULD and not strict:
        return Outcome.WARN
    return Outcome.FAIL


def combine(outcomes: Iterable[Outcome]) -> Outcome:
    found = set(outcomes)
    if not found:
        raise ValueError("no outcomes to combine")
    return next(o for o in _GRAVITY if o in found)


def verdict_of(records: Iterable[tuple[Level, Outcome]]) -> Verdict:
    """The certificate's verdict from (level, outcome) per requirement."""
    items = list(records)
    outcomes = {outcome for _, outcome in items}
    if Outcome.FAIL in outcomes:
        return Verdict.NON_CONFORMANT
    if (
        not items
        or Outcome.ERROR in outcomes
        or any(level is Level.MUST and outcome is Outcome.SKIP for level, outcome in items)
    ):
        return Verdict.INCOMPLETE
    if Outcome.WARN in outcomes:
        return Verdict.CONFORMANT_WITH_WARNINGS
    return Verdict.CONFORMANT

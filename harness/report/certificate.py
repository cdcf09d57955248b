"""Build the certificate (a JSON-able dict) from per-report records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from harness.requirements import Level
from harness.settings import Settings
from harness.targets import Target
from harness.verdicts import Outcome, combine, verdict_of

__all__ = ["FORMAT", "build_certificate", "terminal_lines"]

FORMAT = "wirecert-certificate/1"

_LEVELS = [level.value for level in Level]
_OUTCOMES = [outcome.value for outcome in Outcome]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _cases(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One case per check: its phases' records merged, the call's record first in line."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_node.setdefault(record["nodeid"], []).append(record)
    cases = []
    for phases in by_node.values():
        main = next((r for r in phases if r["phase"] == "call"), phases[0])
        outcome = combine(Outcome(r["outcome"]) for r in phases)
        case = dict(main)
        if outcome is not Outcome(main["outcome"]):
            worst = next(r for r in phases if Outcome(r["outcome"]) is outcome)
            case.update(outcome=outcome.value, actual=worst["actual"], phase=worst["phase"])
        cases.append(case)
    return cases


def build_certificate(
    records: Iterable[dict[str, Any]],
    *,
    run_id: str,
    started: float,
    finished: float,
    version: str,
    command: str,
    settings: Settings,
    targets: dict[str, dict[str, Target]],
    selected: list[str],
    not_assessed: dict[str, list[Any]],
    seed: int | None,
) -> dict[str, Any]:
    records = list(records)
    requirements: dict[str, dict[str, Any]] = {}
    used_targets: dict[str, dict[str, dict[str, Any]]] = {}
    for case in sorted(_cases(records), key=lambda c: c["nodeid"]):
        req = case["requirement"]
        entry = requirements.setdefault(req["id"], {**req, "cases": []})
        entry["cases"].append(
            {
                key: case[key]
                for key in (
                    "nodeid",
                    "title",
                    "description",
                    "scheme",
                    "outcome",
                    "expected",
                    "actual",
                    "findings",
                    "notes",
                    "duration_ms",
                    "wirelog",
                    "reproduce",
                    "target",
                )
            }
        )
        tgt = case["target"]
        used_targets.setdefault(tgt["suite"], {}).setdefault(tgt["scheme"], tgt)
    for entry in requirements.values():
        cases = entry["cases"]
        outcome = combine(Outcome(c["outcome"]) for c in cases)
        decisive = next(c for c in cases if Outcome(c["outcome"]) is outcome)
        entry.update(
            outcome=outcome.value,
            title=_title(entry["id"], cases),
            expected=decisive["expected"],
            actual=decisive["actual"],
            duration_ms=round(sum(c["duration_ms"] for c in cases), 3),
            wirelog=decisive["wirelog"],
            reproduce=decisive["reproduce"],
        )
    ordered = [requirements[rid] for rid in sorted(requirements)]
    summary = {level: dict.fromkeys(_OUTCOMES, 0) for level in _LEVELS}
    for entry in ordered:
        summary[entry["level"]][entry["outcome"]] += 1
    verdict = verdict_of((Level(e["level"]), Outcome(e["outcome"])) for e in ordered)
    target_list = {
        suite: [{**per_scheme[scheme]} for scheme in sorted(per_scheme)]
        for suite, per_scheme in sorted(used_targets.items())
    }
    for suite, per_scheme in targets.items():
        for scheme, target in per_scheme.items():
            known = {t["scheme"] for t in target_list.get(suite, [])}
            if scheme not in known:
                target_list.setdefault(suite, []).append(
                    {
                        "suite": suite,
                        "scheme": scheme,
                        "host": target.host,
                        "port": target.port,
                        "path": target.path,
                        "embedded": False,
                        "url": target.url,
                    }
                )
    return {
        "format": FORMAT,
        "tool": {"name": "wirecert", "version": version},
        "run_id": run_id,
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_s": round(finished - started, 3),
        "command": command,
        "options": {
            "strict_spec": settings.strict_spec,
            "spec": list(settings.spec),
            "timeout_s": settings.timeout,
            "profile": settings.profile.name,
            "ca": str(settings.ca) if settings.ca else None,
            "insecure": settings.insecure,
            "hypothesis_seed": seed,
        },
        "suites": selected,
        "targets": target_list,
        "not_assessed": [
            {"what": what, "checks": checks, "reason": reason}
            for what, (checks, reason) in sorted(_left_out(records, not_assessed).items())
        ],
        "verdict": verdict.value,
        "summary": summary,
        "requirements": ordered,
    }


def _left_out(
    records: Iterable[dict[str, Any]], here: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """What the run left out: this process's table, or the xdist workers' (each worker
    collects every check, so they agree; the largest count is taken)."""
    merged: dict[str, list[Any]] = {what: list(entry) for what, entry in here.items()}
    for record in records:
        for what, (checks, reason) in (record.get("not_assessed") or {}).items():
            known = merged.setdefault(what, [checks, reason])
            known[0] = max(known[0], checks)
    return merged


def _title(rid: str, cases: list[dict[str, Any]]) -> str:
    """The checks' common name, or the requirement's slug when several checks serve it."""
    names = {case["title"].split("[", 1)[0] for case in cases}
    return names.pop() if len(names) == 1 else rid.rsplit("/", 1)[1].replace("-", " ")


_MARKUP: dict[str, dict[str, bool]] = {
    "pass": {"green": True},
    "fail": {"red": True, "bold": True},
    "warn": {"yellow": True},
    "info": {"cyan": True},
    "skip": {"yellow": True},
    "error": {"red": True},
}


def terminal_lines(certificate: dict[str, Any]) -> list[tuple[str, dict[str, bool]]]:
    """The requirements grouped by level, for the end of the terminal report."""
    lines: list[tuple[str, dict[str, bool]]] = []
    for level in _LEVELS:
        entries = [e for e in certificate["requirements"] if e["level"] == level]
        if not entries:
            continue
        counts = ", ".join(
            f"{n} {outcome}" for outcome, n in certificate["summary"][level].items() if n
        )
        lines.append((f"{level} ({len(entries)}): {counts}", {"bold": True}))
        for entry in entries:
            text = f"  {entry['outcome'].upper():5} {entry['id']}"
            if entry["outcome"] not in ("pass",) and entry["actual"]:
                text += f"  -- {entry['actual'].splitlines()[0][:120]}"
            lines.append((text, _MARKUP[entry["outcome"]]))
    for gap in certificate["not_assessed"]:
        lines.append(
            (
                f"not assessed: {gap['what']} ({gap['checks']} checks): {gap['reason']}",
                {"yellow": True},
            )
        )
    return lines

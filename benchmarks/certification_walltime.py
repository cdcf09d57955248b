"""Wall time of the default certification run (the daytime and echo suites, embedded
references), as a user types it:

    python -m pytest suites/daytime suites/echo -q -p no:cacheprovider --report-dir <tmp>

Each run is a fresh subprocess (interpreter start, collection, the embedded servers,
every check and the certificate). Prints the median and minimum of N runs.

    python benchmarks/certification_walltime.py [--runs 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, emit, machine, summary, table

SUITES = ["suites/daytime", "suites/echo"]


def one_run(timeout: float, suites: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wirecert-bench-") as tmp:
        argv = [sys.executable, "-m", "pytest", *suites, "-q", "-p", "no:cacheprovider"]
        argv += ["--report-dir", tmp]
        # The default run: no wirecert settings from the environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIRECERT_")}
        env.pop("PYTEST_ADDOPTS", None)
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {
                "seconds": None,
                "exit": None,
                "verdict": None,
                "cases": None,
                "timed_out": True,
            }
        seconds = time.perf_counter() - started
        cert = Path(tmp) / "latest" / "certificate.json"
        data = json.loads(cert.read_text()) if cert.is_file() else None
        last = proc.stdout.strip().splitlines()[-2:] if proc.stdout.strip() else []
        return {
            "seconds": seconds,
            "exit": proc.returncode,
            "verdict": data["verdict"] if data else None,
            # checks run (a requirement may be checked by several cases)
            "cases": sum(len(r["cases"]) for r in data["requirements"]) if data else None,
            "timed_out": False,
            "tail": last,
        }


def main(
    suites: list[str] | None = None,
    name: str = "certification_walltime",
    description: str | None = None,
) -> int:
    """Time runs of ``suites`` (default :data:`SUITES`); other benchmarks reuse this."""
    suites = suites or SUITES
    parser = argparse.ArgumentParser(description=description or __doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs to time (default 3)")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds allowed per run (default 600)"
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=1800.0,
        help="stop starting new runs after this many seconds in all (default 1800)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be 1 to 100")

    budget_end = time.monotonic() + args.time_budget
    runs: list[dict[str, Any]] = []
    for n in range(args.runs):
        if time.monotonic() >= budget_end:
            print(f"time budget spent after {n} runs", file=sys.stderr)
            break
        run = one_run(min(args.timeout, max(1.0, budget_end - time.monotonic())), suites)
        runs.append(run)
        shown = "timed out" if run["timed_out"] else f"{run['seconds']:.2f} s"
        print(f"run {n + 1}: {shown}, exit {run['exit']}, {run['verdict']}", file=sys.stderr)

    timed = [r["seconds"] for r in runs if r["seconds"] is not None]
    stats = summary(timed) if timed else None
    result = {
        "benchmark": name,
        "command": "python -m pytest " + " ".join(suites) + " -q -p no:cacheprovider "
        "--report-dir <tmp>",
        "machine": machine(),
        "runs": runs,
        "seconds": stats,
        "all_ok": bool(runs) and all(r["exit"] == 0 for r in runs),
    }
    rows: list[list[object]] = [
        [
            f"run {i + 1}",
            "-" if r["seconds"] is None else f"{r['seconds']:.2f}",
            r["exit"],
            r["verdict"],
            r["cases"],
        ]
        for i, r in enumerate(runs)
    ]
    if stats:
        rows.append(["median", f"{stats['median']:.2f}", "", "", ""])
        rows.append(["min", f"{stats['min']:.2f}", "", "", ""])
    emit(result, table(["", "wall s", "exit", "verdict", "cases"], rows), args.json)
    return 0 if result["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

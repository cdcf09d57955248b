"""gob encode and decode of Person records: our codec against Go's encoding/gob and json.

Three codecs on the same seeded records, in the same invocation, with interleaved
trials (the order rotates per trial, after one unreported warm-up of each):

* ours: ``reference_impls.gob``. All records on one Encoder (one stream), then that
  stream decoded by one ``Decoder(into=Person)``, which builds Person dataclasses;
* json: Python's json module (C accelerated), on the equivalent dicts:
  ``json.dumps`` of each record (one line each) and ``json.loads`` of each line;
* go: Go's encoding/gob (``go/gobbench/main.go``, a long-lived process that loads
  the same records from JSON lines, untimed). All records on one gob.Encoder into a
  bytes.Buffer, then one gob.Decoder reads them back. Go times its own loops
  with time.Now().

Figures are records per second; the ratios are ours / theirs (1.0: as fast). Before
the trials, each side checks the other's stream once: Go decodes our stream and
returns the records as JSON, and we decode Go's stream.

    python benchmarks/gob_codec.py [--records 10000] [--trials 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import json.encoder
import json.scanner
import os
import random
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import REPO, emit, machine, summary, table

from reference_impls.errors import ProtocolError
from reference_impls.gob import NEED_DATA, Decoder, Encoder
from reference_impls.gob.models import Email, Name, Person

sys.path.insert(0, str(REPO))
from tests.interop.peers import PeerUnavailable, build_go_program

GO_SOURCE = Path(__file__).resolve().parent / "go" / "gobbench" / "main.go"

#: ours-decode / json-loads records per second: the issue's goal.
GOAL = 1 / 3

FAMILY = [
    "Newmarch", "Smith", "Nguyen", "García", "Okafor", "Kowalski", "Müller", "Tanaka",
    "O'Brien", "Van der Berg", "Ivanova", "Haddad", "Rossi", "Johansson", "Papadopoulos",
    "Kim", "Fernández-López", "Dubois", "Abernathy-Whitcombe", "Li", "Wójcik", "Øster",
    "Brown", "Singh", "da Silva", "MacLeod", "Schmidt", "Yılmaz", "Andersen", "Cohen",
]  # fmt: skip
PERSONAL = [
    "Jan", "Alice", "Bob", "Chidi", "Mei", "José", "Zoë", "Aleksandr", "Fatima", "Hiroshi",
    "Ingrid", "Kwame", "Lucía", "Mohammed", "Niamh", "Olga", "Pieter", "Quentin", "Rania",
    "Siobhán", "Tomasz", "Uma", "Valentina", "Wei", "Xavier", "Yasmin", "Zbigniew", "Ed",
]  # fmt: skip
KINDS = ["home", "work", "mobile", "school", "other"]
DOMAINS = [
    "newmarch.name", "boxhill.edu.au", "example.com", "mail.example.org", "uni.ac.uk",
    "corp.example.net", "post.example.de", "example.co.jp",
]  # fmt: skip

SIDES = ("ours", "json", "go")
MEASURES = {
    "ours-encode": ("ours", "encode_s"),
    "ours-decode": ("ours", "decode_s"),
    "json-dumps": ("json", "encode_s"),
    "json-loads": ("json", "decode_s"),
    "go-encode": ("go", "encode_s"),
    "go-decode": ("go", "decode_s"),
}
RATIOS = {  # name: (numerator, denominator, goal)
    "ours-decode / json-loads": ("ours-decode", "json-loads", GOAL),
    "ours-encode / json-dumps": ("ours-encode", "json-dumps", None),
    "ours-decode / go-decode": ("ours-decode", "go-decode", None),
    "ours-encode / go-encode": ("ours-encode", "go-encode", None),
}


class BenchError(Exception):
    pass


# ------------------------------------------------------------------------ records


def _local_part(name: str) -> str:
    return "".join(c for c in name.lower() if c.isascii() and c.isalpha()) or "x"


def make_records(count: int, seed: int) -> list[Person]:
    """``count`` varied Person records, the same for the same seed: 0 to 5 emails each."""
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        family, personal = rng.choice(FAMILY), rng.choice(PERSONAL)
        emails = [
            Email(
                rng.choice(KINDS),
                f"{_local_part(personal)}.{_local_part(family)}{rng.randrange(1000)}"
                f"@{rng.choice(DOMAINS)}",
            )
            for _ in range(rng.randint(0, 5))
        ]
        records.append(Person(Name(family, personal), emails))
    return records


def as_dict(p: Person) -> dict[str, Any]:
    """The JSON equivalent of a Person (Go's encoding/json field names)."""
    return {
        "Name": {"Family": p.Name.Family, "Personal": p.Name.Personal},
        "Email": [{"Kind": e.Kind, "Address": e.Address} for e in p.Email],
    }


# ---------------------------------------------------------------- the Python sides


def ours_trial(records: list[Person]) -> dict[str, Any]:
    """Encode every record on one Encoder, decode the stream with one Decoder."""
    gc.collect()
    start = time.perf_counter()
    enc = Encoder()
    stream = b"".join([enc.encode(p) for p in records])
    encode_s = time.perf_counter() - start

    gc.collect()
    start = time.perf_counter()
    dec = Decoder(into=Person)
    dec.receive_data(stream)
    out = [dec.next_value() for _ in range(len(records))]
    decode_s = time.perf_counter() - start

    if out != records:
        bad = next(i for i, (a, b) in enumerate(zip(out, records, strict=True)) if a != b)
        raise BenchError(f"ours: record {bad} decoded as {out[bad]!r}, want {records[bad]!r}")
    if dec.next_value() is not NEED_DATA:
        raise BenchError("ours: a value after the last record")
    dec.end_of_data()
    return {"encode_s": encode_s, "decode_s": decode_s, "bytes": len(stream)}


def json_trial(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """json.dumps each record (one line each), then json.loads each line."""
    dumps, loads = json.dumps, json.loads
    gc.collect()
    start = time.perf_counter()
    lines = [dumps(d) for d in dicts]
    encode_s = time.perf_counter() - start

    gc.collect()
    start = time.perf_counter()
    out = [loads(s) for s in lines]
    decode_s = time.perf_counter() - start

    if out != dicts:
        raise BenchError("json: the loaded records differ from the dumped ones")
    size = sum(len(s.encode()) + 1 for s in lines)  # UTF-8, plus a newline each
    return {"encode_s": encode_s, "decode_s": decode_s, "bytes": size}


# -------------------------------------------------------------------- the Go side


class GoBench:
    """The gobbench process: one command line in, one JSON line out."""

    def __init__(self, binary: Path, records_path: Path, timeout: float) -> None:
        self.timeout = timeout
        self._buf = b""
        self._stderr = records_path.with_name("gobbench.stderr")
        with self._stderr.open("wb") as stderr:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [str(binary), str(records_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            ready = self._reply()
            if not ready.get("ready"):
                raise BenchError(f"gobbench: unexpected first line {ready!r}")
        except BaseException:
            self.close()
            raise
        self.records: int = ready["records"]

    def _stderr_text(self) -> str:
        return self._stderr.read_text(errors="replace").strip()

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.proc.kill()  # its late answer would pair with the next command
                raise BenchError(f"gobbench: no answer in {self.timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError(f"gobbench exited; stderr: {self._stderr_text()!r}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise BenchError(f"gobbench: {answer['error']}")
        return answer

    def command(self, *words: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((" ".join(words) + "\n").encode())
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()  # gobbench exits at the end of stdin
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def verify(go: GoBench, records: list[Person], tmp: Path) -> dict[str, Any]:
    """Each side decodes the other's stream once; raise BenchError on any difference.

    Run it first in a fresh gobbench: gob type ids are process-global in Go, so only
    then do both encoders hand out the same ids (and may produce the same bytes).
    """
    enc = Encoder()
    ours = b"".join(enc.encode(p) for p in records)

    go_gob = tmp / "go.gob"
    go.command("encode", str(go_gob))
    go_stream = go_gob.read_bytes()
    dec = Decoder(into=Person)
    dec.receive_data(go_stream)
    decoded = dec.values()
    dec.end_of_data()
    if decoded != records:
        raise BenchError(
            f"we decoded {len(decoded)} records from Go's stream, "
            f"not equal to the {len(records)} Go encoded"
        )

    ours_gob, go_json = tmp / "ours.gob", tmp / "go-decoded.jsonl"
    ours_gob.write_bytes(ours)
    go.command("decode", str(ours_gob), str(go_json))
    back = [json.loads(line) for line in go_json.read_text().splitlines()]
    want = [as_dict(p) for p in records]
    if back != want:
        bad = next((i for i, (a, b) in enumerate(zip(back, want, strict=False)) if a != b), None)
        raise BenchError(
            f"Go decoded {len(back)} records from our stream, want {len(want)}"
            + ("" if bad is None else f"; record {bad}: {back[bad]!r}, want {want[bad]!r}")
        )
    return {
        "go_decodes_ours": True,
        "ours_decodes_go": True,
        "identical_streams": ours == go_stream,
        "ours_bytes": len(ours),
        "go_bytes": len(go_stream),
    }


def describe_verification(v: dict[str, Any]) -> str:
    if not v:
        return "verification: not done"
    same = "yes" if v["identical_streams"] else "no (still both decode equal)"
    return (
        "verification: Go decoded our stream into equal records; we decoded Go's stream "
        f"into equal records; byte-identical streams: {same}"
    )


# ---------------------------------------------------------------------------- main


def _fmt(rate: float) -> str:
    return f"{rate:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records (default 10000)")
    parser.add_argument("--trials", type=int, default=5, help="trials per codec (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="records' random seed (default 1)")
    parser.add_argument(
        "--trial-timeout", type=float, default=60.0, help="seconds per Go command (default 60)"
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=180.0,
        help="stop starting new trials after this many seconds in all (default 180)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    if not 1 <= args.records <= 1_000_000:
        parser.error("--records must be 1 to 1000000")
    if not 1 <= args.trials <= 100:
        parser.error("--trials must be 1 to 100")

    budget_end = time.monotonic() + args.time_budget
    try:
        binary = build_go_program(GO_SOURCE)  # before the clock matters
    except PeerUnavailable as exc:
        print(f"gob_codec: {exc.reason}", file=sys.stderr)
        return 2

    go_version = subprocess.run(
        ["go", "version"], capture_output=True, text=True, timeout=60, check=False
    ).stdout.strip()
    records = make_records(args.records, args.seed)
    dicts = [as_dict(p) for p in records]
    accelerated = all(
        getattr(module, name, None) is not None
        for module, name in ((json.encoder, "c_make_encoder"), (json.scanner, "c_make_scanner"))
    )
    errors: list[str] = []
    # side -> trial number -> {"encode_s": ..., "decode_s": ...}
    timings: dict[str, dict[int, dict[str, float]]] = {s: {} for s in SIDES}
    sizes: dict[str, int] = {}
    verification: dict[str, Any] = {}

    with tempfile.TemporaryDirectory(prefix="wirecert-gobbench-") as tmpdir:
        tmp = Path(tmpdir)
        records_path = tmp / "records.jsonl"
        records_path.write_text("".join(json.dumps(d) + "\n" for d in dicts))
        go: GoBench | None = None
        try:
            go = GoBench(binary, records_path, args.trial_timeout)
            if go.records != len(records):
                raise BenchError(f"gobbench loaded {go.records} records, want {len(records)}")
            try:
                verification = verify(go, records, tmp)
            except (BenchError, ProtocolError) as exc:
                errors.append(f"verification: {exc}")
            runs: dict[str, Callable[[], dict[str, Any]]] = {
                "ours": lambda: ours_trial(records),
                "json": lambda: json_trial(dicts),
                "go": lambda: go.command("trial"),
            }
            for side in SIDES:  # warm-up, not counted
                runs[side]()
            for trial in range(args.trials):
                if time.monotonic() >= budget_end:
                    errors.append(f"time budget spent: stopped after {trial} trials")
                    break
                shift = trial % len(SIDES)
                for side in SIDES[shift:] + SIDES[:shift]:
                    try:
                        got = runs[side]()
                    except (BenchError, ProtocolError) as exc:
                        errors.append(f"trial {trial + 1} {side}: {exc}")
                        continue
                    sizes[side] = got["bytes"]
                    timings[side][trial] = {k: got[k] for k in ("encode_s", "decode_s")}
                    print(
                        f"trial {trial + 1} {side:4}  encode {got['encode_s'] * 1e3:8.2f} ms"
                        f"  decode {got['decode_s'] * 1e3:8.2f} ms",
                        file=sys.stderr,
                    )
        except (BenchError, ProtocolError) as exc:
            errors.append(str(exc))
        finally:
            if go is not None:
                go.close()

    n = len(records)
    # measure -> trial number -> records/s
    by_trial = {
        name: {t: n / got[key] for t, got in timings[side].items()}
        for name, (side, key) in MEASURES.items()
    }
    rates = {name: list(values.values()) for name, values in by_trial.items()}
    measures: dict[str, Any] = {}
    rows: list[list[object]] = []
    for name, values in rates.items():
        measures[name] = {"records_per_s": values}
        if values:
            measures[name].update(summary(values))
        m = measures[name]
        rows.append(
            [
                name,
                len(values),
                _fmt(m["median"]) if values else "-",
                _fmt(m["min"]) if values else "-",
                _fmt(m["max"]) if values else "-",
            ]
        )

    ratios: dict[str, Any] = {}
    ratio_rows: list[list[object]] = []
    for name, (num, den, goal) in RATIOS.items():
        a, b = rates[num], rates[den]
        entry: dict[str, Any] = {"of_medians": None, "per_trial": [], "goal": goal}
        if a and b:
            entry["of_medians"] = statistics.median(a) / statistics.median(b)
            # Paired within a trial (the codecs ran back to back).
            both = sorted(by_trial[num].keys() & by_trial[den].keys())
            entry["per_trial"] = [by_trial[num][t] / by_trial[den][t] for t in both]
        if goal is not None:
            entry["goal_met"] = entry["of_medians"] is not None and entry["of_medians"] >= goal
        ratios[name] = entry
        paired = entry["per_trial"]
        entry["per_trial_median"] = statistics.median(paired) if paired else None
        ratio_rows.append(
            [
                name,
                f"{entry['of_medians']:.3f}" if entry["of_medians"] is not None else "-",
                f"{entry['per_trial_median']:.3f}" if paired else "-",
                f"{min(paired):.3f}-{max(paired):.3f}" if paired else "-",
                ""
                if goal is None
                else f">= {goal:.3f}: {'met' if entry['goal_met'] else 'NOT met'}",
            ]
        )

    size_rows = [[side, f"{size:,}", f"{size / n:.1f}"] for side, size in sorted(sizes.items())]
    result = {
        "benchmark": "gob_codec",
        "unit": "records per second",
        "machine": machine(),
        "go": go_version,
        "json_c_accelerated": accelerated,
        "records": n,
        "seed": args.seed,
        "trials": args.trials,
        "measures": measures,
        "ratios": ratios,
        "stream_bytes": sizes,
        "verification": verification,
        "errors": errors,
    }
    text = "\n\n".join(
        [
            f"{n:,} Person records (seed {args.seed}); json C accelerated: {accelerated}; "
            f"{go_version}",
            table(["measure", "n", "records/s median", "min", "max"], rows),
            table(
                ["ratio (ours / theirs)", "of medians", "paired median", "paired range", "goal"],
                ratio_rows,
            ),
            table(["stream", "bytes", "bytes/record"], size_rows),
            describe_verification(verification),
        ]
    ) + "".join(f"\nerror: {e}" for e in errors)
    emit(result, text, args.json)
    goal_met = ratios["ours-decode / json-loads"].get("goal_met", False)
    return 1 if errors or not goal_met else 0


if __name__ == "__main__":
    sys.exit(main())

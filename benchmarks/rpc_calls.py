"""net/rpc calls per second: our server and our client, each against Go's.

Three pairings, the same calls (``Arith.Multiply``, pipelined on one connection with
at most ``--window`` outstanding), interleaved per trial (the order rotates):

* go->go: the book's Go client (``tests/interop/go/bookrpc``, ``-mode client``)
  against the book's Go TCP server (``-mode tcp``): the baseline;
* go->ours: the same Go client against ``python -m reference_impls serve rpc``;
* ours->go: the reference asyncio client (``reference_impls.rpc.client``) against
  the Go TCP server.

The Go client times its own loop (after dialling and the book's four calls); ours
is timed the same way, around the calls only. Figures are calls/s; each ratio is
the pairing's median over go->go's median in the same run (1.0: as fast as Go).

    python benchmarks/rpc_calls.py [--calls 20000] [--window 64] [--trials 3] \
        [--time-budget 120] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import REPO, _read_line, emit, machine, summary, table

from reference_impls.rpc import Args
from reference_impls.rpc.client import RpcClient

sys.path.insert(0, str(REPO))
from tests.interop.peers import build_go_program

GO_SOURCE = REPO / "tests" / "interop" / "go" / "bookrpc" / "main.go"
#: The longest one pairing's run may take (seconds).
RUN_TIMEOUT = 120.0


@contextlib.contextmanager
def server(command: list[str]) -> Iterator[tuple[str, int]]:
    """Run a server printing ``listening tcp HOST PORT``; yield its address; stop it."""
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO
    )
    try:
        parts = _read_line(proc, 15.0).split()
        yield parts[2], int(parts[3])
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the Go server exits at EOF
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def go_client(binary: Path, address: tuple[str, int], calls: int, window: int) -> float:
    """Calls/s of the Go client."""
    addr = f"{address[0]}:{address[1]}"
    proc = subprocess.run(
        [
            str(binary),
            "-mode",
            "client",
            "-addr",
            addr,
            "-calls",
            str(calls),
            "-window",
            str(window),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    last = proc.stdout.splitlines()[-1].split()
    if last[:2] != ["calls", str(calls)]:
        raise RuntimeError(f"unexpected Go client output: {proc.stdout!r}")
    return calls / float(last[3])


def our_client(address: tuple[str, int], calls: int, window: int) -> float:
    """Calls/s of the reference client."""

    async def main() -> float:
        client = await RpcClient.connect(*address)
        try:
            gate = asyncio.Semaphore(window)

            async def one(i: int) -> None:
                async with gate:
                    got = await client.call("Arith.Multiply", Args(i, 3), int, timeout=30)
                if got != 3 * i:
                    raise RuntimeError(f"call {i}: {got}, not {3 * i}")

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(calls)))
            return calls / (time.perf_counter() - started)
        finally:
            await client.close()

    return asyncio.run(asyncio.wait_for(main(), RUN_TIMEOUT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000, help="calls per run")
    parser.add_argument("--window", type=int, default=64, help="calls outstanding at most")
    parser.add_argument("--trials", type=int, default=3, help="trials of each pairing")
    parser.add_argument("--time-budget", type=float, default=120.0, help="stop trials after S")
    parser.add_argument("--json", default=None, help="write the results here ('-': stdout)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.window < 1 or args.trials < 1:
        parser.error("--calls, --window and --trials must be at least 1")
    binary = build_go_program(GO_SOURCE)
    figures: dict[str, list[float]] = {"go->go": [], "go->ours": [], "ours->go": []}
    started = time.monotonic()
    ours_cmd = [sys.executable, "-m", "reference_impls", "serve", "rpc"]
    with server([str(binary), "-mode", "tcp"]) as go_addr, server(ours_cmd) as our_addr:
        runs = {
            "go->go": lambda: go_client(binary, go_addr, args.calls, args.window),
            "go->ours": lambda: go_client(binary, our_addr, args.calls, args.window),
            "ours->go": lambda: our_client(go_addr, args.calls, args.window),
        }
        order = list(runs)
        for name in order:  # one unreported warm-up each
            runs[name]()
        for trial in range(args.trials):
            if time.monotonic() - started > args.time_budget:
                print(f"time budget spent after {trial} trials", file=sys.stderr)
                break
            for name in order[trial % 3 :] + order[: trial % 3]:
                figures[name].append(runs[name]())
                print(
                    f"trial {trial + 1} {name}: {figures[name][-1]:,.0f} calls/s", file=sys.stderr
                )
    base = statistics.median(figures["go->go"])
    result: dict[str, Any] = {
        "machine": machine(),
        "calls": args.calls,
        "window": args.window,
        "calls_per_second": {name: summary(values) for name, values in figures.items()},
        "ratio_to_go": {name: statistics.median(values) / base for name, values in figures.items()},
    }
    rows = [
        [
            name,
            f"{statistics.median(values):,.0f}",
            f"{min(values):,.0f}",
            f"{max(values):,.0f}",
            f"{statistics.median(values) / base:.2f}",
        ]
        for name, values in figures.items()
    ]
    text = table(["pairing", "median calls/s", "min", "max", "ratio to go->go"], rows)
    emit(result, text, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""TCP echo throughput over loopback: the reference echo server against the Go peer.

Both servers run in the same invocation and the trials are interleaved (the order
alternates per trial), so a busy machine slows both alike. Two workloads:

* single: one connection streams 64 MiB while the same client reads the echo
  concurrently (non-blocking, one selector loop);
* parallel: 8 connections of 16 MiB each, all at once.

Throughput is payload bytes echoed per second of wall time (MB = 10^6 bytes), from
the first byte sent to the last byte back; every byte is checked after the clock
stops. The ratio is reference median / Go median (1.0: as fast as Go).

    python benchmarks/echo_throughput.py [--trials 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import selectors
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import REPO, Endpoint, emit, machine, reference_echo_server, summary, table

sys.path.insert(0, str(REPO))
from tests.interop.peers import build_go_peer, start_go_peer

MIB = 1024 * 1024
CHUNK = 256 * 1024


class TrialError(Exception):
    pass


def _pattern(size: int) -> bytes:
    block = bytes(range(256)) * (MIB // 256)
    return (block * (size // MIB + 1))[:size]


def pump(address: Endpoint, sizes: list[int], payload: bytes, timeout: float) -> float:
    """Echo ``sizes[i]`` bytes on connection i, all at once; return the seconds taken.

    Raises TrialError if the trial exceeds ``timeout`` or any byte comes back wrong.
    """
    socks: list[socket.socket] = []
    sel = selectors.DefaultSelector()
    try:
        for _ in sizes:
            sock = socket.create_connection(address, timeout=10)
            sock.setblocking(False)
            socks.append(sock)
        views = [memoryview(payload)[:size] for size in sizes]
        bufs = [bytearray(size) for size in sizes]
        sent = [0] * len(sizes)
        got = [0] * len(sizes)
        for i, sock in enumerate(socks):
            sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
        pending = len(sizes)
        started = time.perf_counter()
        deadline = started + timeout
        while pending:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TrialError(f"not done in {timeout} s: {sum(got)} of {sum(sizes)} bytes back")
            for key, events in sel.select(min(left, 1.0)):
                i, sock = key.data, key.fileobj
                assert isinstance(sock, socket.socket)
                if events & selectors.EVENT_WRITE and sent[i] < sizes[i]:
                    with contextlib.suppress(BlockingIOError):
                        sent[i] += sock.send(views[i][sent[i] : sent[i] + CHUNK])
                    if sent[i] == sizes[i]:
                        sock.shutdown(socket.SHUT_WR)
                        sel.modify(sock, selectors.EVENT_READ, i)
                if events & selectors.EVENT_READ:
                    try:
                        n = sock.recv_into(
                            memoryview(bufs[i])[got[i] :], min(CHUNK, sizes[i] - got[i])
                        )
                    except BlockingIOError:
                        continue
                    if n == 0:
                        raise TrialError(f"connection {i} closed after {got[i]} bytes")
                    got[i] += n
                    if got[i] == sizes[i]:
                        sel.unregister(sock)
                        pending -= 1
        elapsed = time.perf_counter() - started
        for i in range(len(sizes)):
            if bufs[i] != views[i]:
                raise TrialError(f"connection {i}: the echo differs from what was sent")
        return elapsed
    finally:
        sel.close()
        for sock in socks:
            sock.close()


WORKLOADS: dict[str, Callable[[argparse.Namespace], list[int]]] = {
    "single": lambda a: [a.single_mib * MIB],
    "parallel": lambda a: [a.parallel_mib * MIB] * a.connections,
}


def describe(name: str, args: argparse.Namespace) -> str:
    if name == "single":
        return f"1 x {args.single_mib} MiB"
    return f"{args.connections} x {args.parallel_mib} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5, help="trials per server (default 5)")
    parser.add_argument("--single-mib", type=int, default=64, help="single: MiB (default 64)")
    parser.add_argument(
        "--parallel-mib", type=int, default=16, help="parallel: MiB per connection (default 16)"
    )
    parser.add_argument(
        "--connections", type=int, default=8, help="parallel: connections (default 8)"
    )
    parser.add_argument(
        "--trial-timeout", type=float, default=60.0, help="seconds per trial (default 60)"
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=600.0,
        help="stop starting new trials after this many seconds in all (default 600)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    if not 1 <= args.trials <= 50:
        parser.error("--trials must be 1 to 50")
    if not (1 <= args.single_mib <= 1024 and 1 <= args.parallel_mib <= 1024):
        parser.error("sizes must be 1 to 1024 MiB")
    if not 1 <= args.connections <= 64:
        parser.error("--connections must be 1 to 64")

    budget_end = time.monotonic() + args.time_budget
    build_go_peer()  # before the clock matters: a first build can take a while
    biggest = max(args.single_mib, args.parallel_mib) * MIB
    payload = _pattern(biggest)
    servers = ("reference", "go")
    mbps: dict[str, dict[str, list[float]]] = {w: {s: [] for s in servers} for w in WORKLOADS}
    errors: list[str] = []
    with reference_echo_server() as (ref_address, _), start_go_peer() as go:
        addresses = {"reference": ref_address, "go": go["echo", "tcp"]}
        for name, sizes_of in WORKLOADS.items():
            sizes = sizes_of(args)
            for server in servers:  # warm-up, not counted
                pump(addresses[server], [min(s, 4 * MIB) for s in sizes], payload, 30)
            for trial in range(args.trials):
                if time.monotonic() >= budget_end:
                    errors.append(f"time budget spent: {name} stopped after {trial} trials")
                    break
                order = servers if trial % 2 == 0 else servers[::-1]
                for server in order:
                    try:
                        seconds = pump(addresses[server], sizes, payload, args.trial_timeout)
                    except (TrialError, OSError) as exc:
                        errors.append(f"{name} {server} trial {trial + 1}: {exc}")
                        continue
                    rate = sum(sizes) / seconds / 1e6
                    mbps[name][server].append(rate)
                    print(
                        f"{name:8} trial {trial + 1} {server:9} {rate:8.0f} MB/s", file=sys.stderr
                    )

    rows = []
    results: dict[str, Any] = {}
    for name in WORKLOADS:
        entry: dict[str, Any] = {"workload": describe(name, args)}
        for server in servers:
            entry[server] = {"mb_per_s": mbps[name][server]}
            if mbps[name][server]:
                entry[server].update(summary(mbps[name][server]))
        ref, go_ = entry["reference"].get("median"), entry["go"].get("median")
        entry["ratio_reference_to_go"] = ref / go_ if ref and go_ else None
        results[name] = entry
        for server in servers:
            s = entry[server]
            rows.append(
                [
                    f"{name} ({entry['workload']})",
                    server,
                    len(s["mb_per_s"]),
                    f"{s['median']:.0f}" if "median" in s else "-",
                    f"{s['min']:.0f}" if "min" in s else "-",
                    f"{s['max']:.0f}" if "max" in s else "-",
                    f"{entry['ratio_reference_to_go']:.2f}"
                    if server == "go" and entry["ratio_reference_to_go"]
                    else "",
                ]
            )
    result = {
        "benchmark": "echo_throughput",
        "unit": "MB/s (10^6 payload bytes echoed per second)",
        "machine": machine(),
        "trials": args.trials,
        "workloads": results,
        "errors": errors,
    }
    header = ["workload", "server", "n", "median", "min", "max", "ref/go"]
    text = table(header, rows) + "".join(f"\nerror: {e}" for e in errors)
    emit(result, text, args.json)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

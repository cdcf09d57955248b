"""How many concurrent clients the reference echo server holds.

For each N (500, 1000, 2000, 4000, 8000 by default): open N TCP connections to
``python -m reference_impls serve echo`` and keep them all open; then send one small
message on every connection and wait for every echo. A level passes when every
connection was established, the server holds them all (its open descriptors are
counted from /proc), and every echo came back intact within the timeout. It stops
at the first failing level, or when the time budget is spent, and reports the
largest N that passed.

Both processes get RLIMIT_NOFILE raised (soft limit to the hard limit): this one
directly, the server through preexec_fn before it execs. Connections are closed with
RST (SO_LINGER 0) after each level, so the client's ports do not sit in TIME_WAIT.

    python benchmarks/echo_concurrency.py [--levels 500,1000,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import selectors
import socket
import struct
import sys
import time
from typing import Any

from _common import (
    Endpoint,
    emit,
    machine,
    open_fds,
    process_nofile_limit,
    raise_nofile_limit,
    reference_echo_server,
    table,
)

LINGER_RST = struct.pack("ii", 1, 0)


def _abort_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
        sock.close()


def open_connections(
    address: Endpoint, n: int, in_flight: int, timeout: float
) -> tuple[list[socket.socket], str | None]:
    """Open ``n`` non-blocking connections, at most ``in_flight`` handshakes at a time.

    Returns the established sockets and, if not all ``n`` could be opened, why.
    """
    sel = selectors.DefaultSelector()
    done: list[socket.socket] = []
    connecting = 0
    started = 0
    deadline = time.monotonic() + timeout
    try:
        while len(done) < n:
            while started < n and connecting < in_flight:
                try:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                except OSError as exc:
                    return done, f"client socket() #{started + 1}: {exc}"
                sock.setblocking(False)
                err = sock.connect_ex(address)
                if err not in (0, errno.EINPROGRESS):
                    sock.close()
                    return done, f"connect #{started + 1}: {errno.errorcode.get(err, err)}"
                sel.register(sock, selectors.EVENT_WRITE)
                started += 1
                connecting += 1
            left = deadline - time.monotonic()
            if left <= 0:
                return done, f"only {len(done)} of {n} connected within {timeout:g} s"
            for key, _ in sel.select(min(left, 1.0)):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                sel.unregister(sock)
                connecting -= 1
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    sock.close()
                    return done, f"connect #{len(done) + 1}: {errno.errorcode.get(err, err)}"
                done.append(sock)
        return done, None
    finally:
        for key in list(sel.get_map().values()):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            sel.unregister(sock)
            sock.close()
        sel.close()


def exchange_all(socks: list[socket.socket], timeout: float) -> tuple[int, list[str]]:
    """Send one small message on every socket; return (echoes intact, problems)."""
    sel = selectors.DefaultSelector()
    messages = [f"wirecert client {i:06d}\n".encode() for i in range(len(socks))]
    received = [b""] * len(socks)
    problems: list[str] = []
    answered = 0
    try:
        for i, sock in enumerate(socks):
            try:
                sent = sock.send(messages[i])
            except OSError as exc:
                problems.append(f"send on connection {i}: {exc}")
                continue
            if sent != len(messages[i]):
                problems.append(f"connection {i}: only {sent} bytes of a small message sent")
                continue
            sel.register(sock, selectors.EVENT_READ, i)
        deadline = time.monotonic() + timeout
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                problems.append(f"{len(sel.get_map())} connections unanswered after {timeout:g} s")
                break
            for key, _ in sel.select(min(left, 1.0)):
                i, sock = key.data, key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    problems.append(f"connection {i}: {exc}")
                    sel.unregister(sock)
                    continue
                if not chunk:
                    problems.append(f"connection {i} closed by the server before its echo")
                    sel.unregister(sock)
                    continue
                received[i] += chunk
                if len(received[i]) >= len(messages[i]):
                    sel.unregister(sock)
                    if received[i] == messages[i]:
                        answered += 1
                    else:
                        problems.append(f"connection {i}: echo {received[i]!r} differs")
        return answered, problems
    finally:
        sel.close()


def wait_for_fds(pid: int, at_most: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (count := open_fds(pid)) > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


def run_level(
    address: Endpoint, pid: int, baseline_fds: int, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    level: dict[str, Any] = {"clients": n, "ok": False}
    t0 = time.perf_counter()
    socks, problem = open_connections(address, n, args.in_flight, args.connect_timeout)
    level["connected"] = len(socks)
    level["connect_s"] = round(time.perf_counter() - t0, 3)
    try:
        if problem:
            level["problem"] = problem
            return level
        # Keep them all open for --hold seconds; meanwhile the server must accept every
        # one (one descriptor per client) within --accept-timeout.
        now = time.monotonic()
        hold_until, accept_until = now + args.hold, now + args.accept_timeout
        while True:
            held = open_fds(pid) - baseline_fds
            now = time.monotonic()
            if now >= hold_until and (held >= n or now >= accept_until):
                break
            time.sleep(0.05)
        level["server_fds_held"] = held
        t1 = time.perf_counter()
        answered, problems = exchange_all(socks, args.exchange_timeout)
        level["exchange_s"] = round(time.perf_counter() - t1, 3)
        level["answered"] = answered
        if problems:
            level["problem"] = "; ".join(problems[:5]) + (
                f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
            )
        elif held < n:
            level["problem"] = f"the server holds {held} client descriptors, expected {n}"
        else:
            level["ok"] = answered == n
        return level
    finally:
        _abort_all(socks)
        level["server_fds_after_close"] = wait_for_fds(pid, baseline_fds, 15.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--levels",
        default="500,1000,2000,4000,8000",
        help="client counts to try, in order (default 500,1000,2000,4000,8000)",
    )
    parser.add_argument(
        "--in-flight", type=int, default=256, help="handshakes in progress at once (default 256)"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=30.0, help="seconds to open a level (default 30)"
    )
    parser.add_argument(
        "--accept-timeout",
        type=float,
        default=10.0,
        help="seconds for the server to accept them all (default 10)",
    )
    parser.add_argument(
        "--hold", type=float, default=1.0, help="seconds all stay open before the exchange"
    )
    parser.add_argument(
        "--exchange-timeout",
        type=float,
        default=15.0,
        help="seconds for every echo of a level to come back (default 15)",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=240.0,
        help="start no new level after this many seconds in all (default 240)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args()
    try:
        levels = [int(x) for x in args.levels.split(",")]
    except ValueError:
        parser.error("--levels: comma-separated integers")
    if not all(1 <= n <= 100_000 for n in levels):
        parser.error("--levels: each from 1 to 100000")

    client_limit = raise_nofile_limit()
    budget_end = time.monotonic() + args.time_budget
    results: list[dict[str, Any]] = []
    stopped = None
    with reference_echo_server(raise_nofile=True) as (address, pid):
        server_limit = process_nofile_limit(pid)
        baseline = open_fds(pid)
        for n in levels:
            if time.monotonic() >= budget_end:
                stopped = f"time budget spent before {n}"
                break
            if n + 16 > client_limit[0]:
                stopped = f"{n} clients exceed this process's open-file limit {client_limit[0]}"
                break
            level = run_level(address, pid, baseline, n, args)
            results.append(level)
            state = "ok" if level["ok"] else f"FAILED: {level.get('problem')}"
            print(f"{n:6} clients: {state}", file=sys.stderr)
            if not level["ok"]:
                stopped = f"first failure at {n}"
                break
    best = max((r["clients"] for r in results if r["ok"]), default=0)
    result = {
        "benchmark": "echo_concurrency",
        "machine": machine(),
        "client_nofile_limit": f"{client_limit[0]}/{client_limit[1]}",
        "server_nofile_limit": server_limit,
        "levels": results,
        "stopped": stopped,
        "max_clients_ok": best,
        "goal": 1000,
        "goal_met": best >= 1000,
    }
    rows = [
        [
            r["clients"],
            r["connected"],
            r.get("server_fds_held", "-"),
            r.get("answered", "-"),
            r["connect_s"],
            r.get("exchange_s", "-"),
            "ok" if r["ok"] else "FAIL",
        ]
        for r in results
    ]
    header = ["clients", "connected", "server held", "answered", "connect s", "echo s", ""]
    text = table(header, rows)
    text += f"\nlargest N with every client served: {best} (goal 1000)"
    text += f"\nnofile limits: client {result['client_nofile_limit']}, server {server_limit}"
    if stopped:
        text += f"\nstopped: {stopped}"
    emit(result, text, args.json)
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

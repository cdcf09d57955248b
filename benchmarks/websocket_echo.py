"""WebSocket echo round trips per second: our server against the ``websockets`` server.

Two servers, each in its own process, echo every message back:

* ours: ``python -m reference_impls serve websocket --listen ws://127.0.0.1:0``;
* websockets: the ``websockets`` library's asyncio server (``websockets.asyncio.server.
  serve``) with an echo handler, ``compression=None`` and ``max_size=None``.

One client (a blocking socket in this process, no WebSocket library, so both servers
face exactly the same bytes) does the opening handshake without extensions, then
``--messages`` sequential round trips per workload: send one masked message, read its
echo whole, compare it. Workloads: ``small`` (32-byte text), ``medium`` (1 KiB
binary) and ``large`` (65,536-byte binary: the 64-bit length form).
After one unreported warm-up of each server, trials are interleaved, the order
alternating. Figures are round trips/s; ``ours/websockets`` is the ratio of medians
(1.0: as fast).

    python benchmarks/websocket_echo.py [--messages 5000] [--trials 5] \
        [--time-budget 120] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from _common import REPO, _read_line, emit, machine, summary, table

from reference_impls.websocket.frames import encode_frame

#: name -> (opcode, payload size)
WORKLOADS = {"small": (1, 32), "medium": (2, 1024), "large": (2, 65536)}
#: Fewer round trips for the large workload, so a trial takes about as long.
LARGE_DIVISOR = 10

WEBSOCKETS_SERVER = """
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(connection):
    async for message in connection:
        await connection.send(message)

async def main():
    async with serve(echo, "127.0.0.1", 0, compression=None, max_size=None,
                     ping_interval=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening ws {host} {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""


@contextlib.contextmanager
def server(command: list[str]) -> Iterator[tuple[str, int]]:
    """Run a server printing ``listening ws HOST PORT``; yield its address; stop it."""
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO
    )
    try:
        parts = _read_line(proc, 15.0).split()
        yield parts[2], int(parts[3])
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    view = bytearray(n)
    got = 0
    while got < n:
        k = sock.recv_into(memoryview(view)[got:], n - got)
        if not k:
            raise ConnectionError(f"EOF after {got} of {n} bytes")
        got += k
    return bytes(view)


def _handshake(address: tuple[str, int], timeout: float) -> socket.socket:
    sock = socket.create_connection(address, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET / HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("EOF during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(f"handshake refused: {head[:40]!r}")
    if head.split(b"\r\n\r\n", 1)[1]:
        raise ConnectionError("data after the 101 response")
    return sock


def run(address: tuple[str, int], workload: str, messages: int, timeout: float) -> float:
    """Round trips per second of one connection; every echo is checked."""
    opcode, size = WORKLOADS[workload]
    payload = (b"websocket echo! " * (size // 16 + 1))[:size]
    request = encode_frame(opcode, payload, mask=b"\x01\x02\x03\x04")
    if size <= 125:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size <= 0xFFFF:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    expected = head + payload
    sock = _handshake(address, timeout)
    try:
        started = time.perf_counter()
        for _ in range(messages):
            sock.sendall(request)
            if _read_exactly(sock, len(expected)) != expected:
                raise AssertionError("the echo differs from the message")
        elapsed = time.perf_counter() - started
        sock.sendall(encode_frame(8, b"\x03\xe8", mask=b"\x01\x02\x03\x04"))
    finally:
        sock.close()
    return messages / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="round trips per trial")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0, help="per socket call (s)")
    parser.add_argument("--time-budget", type=float, default=120.0, help="whole run (s)")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.trials < 1:
        parser.error("--messages and --trials must be at least 1")
    deadline = time.monotonic() + args.time_budget
    ours_cmd = [sys.executable, "-m", "reference_impls", "serve", "websocket"]
    ours_cmd += ["--listen", "ws://127.0.0.1:0"]
    theirs_cmd = [sys.executable, "-c", WEBSOCKETS_SERVER]
    figures: dict[str, dict[str, list[float]]] = {
        w: {"ours": [], "websockets": []} for w in WORKLOADS
    }
    with server(ours_cmd) as ours, server(theirs_cmd) as theirs:
        addresses = {"ours": ours, "websockets": theirs}
        for name, address in addresses.items():  # warm-up, not reported
            for workload in WORKLOADS:
                run(address, workload, 200, args.timeout)
            print(f"warmed up {name}", file=sys.stderr)
        for trial in range(args.trials):
            order = list(addresses) if trial % 2 == 0 else list(reversed(addresses))
            for workload in WORKLOADS:
                count = args.messages // (LARGE_DIVISOR if workload == "large" else 1)
                for name in order:
                    if time.monotonic() > deadline:
                        print("time budget spent", file=sys.stderr)
                        return 1
                    figures[workload][name].append(
                        run(addresses[name], workload, max(count, 1), args.timeout)
                    )
            print(f"trial {trial + 1}/{args.trials} done", file=sys.stderr)
    rows = []
    result: dict[str, Any] = {"machine": machine(), "messages": args.messages, "workloads": {}}
    for workload, by_server in figures.items():
        ours_s, theirs_s = summary(by_server["ours"]), summary(by_server["websockets"])
        ratio = ours_s["median"] / theirs_s["median"]
        result["workloads"][workload] = {
            "ours": ours_s,
            "websockets": theirs_s,
            "ratio": ratio,
            "payload_bytes": WORKLOADS[workload][1],
        }
        rows.append(
            [
                f"{workload} ({WORKLOADS[workload][1]} B)",
                f"{ours_s['median']:,.0f}",
                f"{theirs_s['median']:,.0f}",
                f"{ratio:.2f}",
            ]
        )
    text = table(["workload", "ours rt/s", "websockets rt/s", "ours/websockets"], rows)
    emit(result, text, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

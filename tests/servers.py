"""Helpers of the reference tests: a reference server in a thread, and blocking clients.

::

    with running(lambda: echo_server.start(Listen("tcp", "127.0.0.1", 0))) as server:
        with connect(server) as sock:
            sock.sendall(b"hi")
            assert read_exactly(sock, 2) == b"hi"

Every wait is bounded by :data:`TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from reference_impls._shell import Server

__all__ = [
    "TIMEOUT",
    "Starting",
    "connect",
    "feeds",
    "read_exactly",
    "read_until_eof",
    "running",
]

#: The bound on every wait (seconds).
TIMEOUT = 5.0
#: What a reference's ``start(listen, ...)`` returns.
Starting = Coroutine[Any, Any, Server]


@contextmanager
def running(start: Callable[[], Starting]) -> Iterator[Server]:
    """A server on an event loop in a thread, so tests use plain blocking sockets."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(start(), loop).result(TIMEOUT)
        try:
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server.close(), loop).result(TIMEOUT)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


def connect(server: Server | tuple[str, int]) -> socket.socket:
    """A TCP connection to ``server`` (or an address), with :data:`TIMEOUT` on each call."""
    address = server if isinstance(server, tuple) else server.sockname
    return socket.create_connection(address, timeout=TIMEOUT)


def read_until_eof(sock: socket.socket) -> bytes:
    """Everything until the server's FIN."""
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while chunk := sock.recv(65536):
        data += chunk
        assert time.monotonic() < deadline, "no EOF in time"
    return bytes(data)


def read_exactly(sock: socket.socket, n: int) -> bytes:
    """``n`` bytes; an EOF before them fails the test."""
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while len(data) < n:
        assert time.monotonic() < deadline, "reply too slow"
        chunk = sock.recv(n - len(data))
        assert chunk, f"EOF after {len(data)} of {n} bytes"
        data += chunk
    return bytes(data)


def feeds(data: bytes, *, seed: int, cuts: int) -> dict[str, list[bytes]]:
    """``data`` whole, one byte at a time, and split at ``cuts`` random points."""
    rng = random.Random(seed)
    points = sorted(rng.sample(range(1, len(data)), k=min(cuts, max(len(data) - 1, 0))))
    edges = [0, *points, len(data)]
    return {
        "whole": [data],
        "bytewise": [data[i : i + 1] for i in range(len(data))],
        "random": [data[a:b] for a, b in itertools.pairwise(edges)],
    }

"""Go's net/rpc and ours, both ways: the book's chapter 13 Arith programs (Go) against
the reference client and server (Python), and the rpc suite against Go's servers.

``go/bookrpc/main.go`` is the book's TCPArithServer (one client at a time: it calls
``rpc.ServeConn`` without ``go``), its HTTP ArithServer (``rpc.HandleHTTP``) and its
ArithClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokenservers import GOOD_VERDICTS, PLAIN, run_suite_against

from reference_impls._shell import Listen
from reference_impls.rpc import Args, Quotient, ServerError
from reference_impls.rpc import server as rpc_server
from reference_impls.rpc.client import RpcClient

from .peers import GoServer, build_go_program

pytestmark = pytest.mark.interop

BOOKRPC = Path(__file__).resolve().parent / "go" / "bookrpc" / "main.go"
#: The longest a Go client run may take (seconds).
CLIENT_TIMEOUT = 60.0

BOOK_LINES = [
    "Arith: 17*8=136",
    "Arith: 17/8=2 remainder 1",
    "error: divide by zero",
    "error: rpc: can't find method Arith.Nope",
]


@contextlib.contextmanager
def our_server() -> Iterator[tuple[str, int]]:
    """The reference server on 127.0.0.1, in a thread of its own; yields its address."""
    ready: queue.Queue[tuple[str, int] | BaseException] = queue.Queue()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            server = await rpc_server.start(Listen("tcp", "127.0.0.1", 0))
        except BaseException as exc:
            ready.put(exc)
            raise
        ready.put(server.sockname)
        try:
            await stop.wait()
        finally:
            await server.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    got = ready.get(timeout=10)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def run_go_client(address: tuple[str, int], *args: str) -> list[str]:
    binary = build_go_program(BOOKRPC)
    proc = subprocess.run(
        [str(binary), "-mode", "client", "-addr", f"{address[0]}:{address[1]}", *args],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.splitlines()


def _our_client(address: tuple[str, int], http: bool) -> None:
    async def main() -> None:
        async with await RpcClient.connect(*address, http=http) as client:
            assert await client.call("Arith.Multiply", Args(7, 8), int, timeout=5) == 56
            quo = await client.call("Arith.Divide", Args(17, 8), Quotient, timeout=5)
            assert quo == Quotient(2, 1)
            with pytest.raises(ServerError, match=r"^divide by zero$"):
                await client.call("Arith.Divide", Args(1, 0), Quotient, timeout=5)
            with pytest.raises(ServerError, match=r"^rpc: can't find method Arith\.Nope$"):
                await client.call("Arith.Nope", Args(1, 0), int, timeout=5)
            calls = [client.call("Arith.Multiply", Args(i, 3), int, timeout=10) for i in range(100)]
            assert await asyncio.gather(*calls) == [3 * i for i in range(100)]

    asyncio.run(main())


@pytest.mark.parametrize("mode", ["tcp", "http"])
def test_our_client_against_gos_server(go_server: Callable[..., GoServer], mode: str) -> None:
    server = go_server(BOOKRPC, "-mode", mode)
    _our_client((server.host, server.port), http=mode == "http")


@pytest.mark.parametrize("http", [False, True], ids=["tcp", "http"])
def test_gos_client_against_our_server(http: bool) -> None:
    with our_server() as address:
        lines = run_go_client(address, *(["-http"] if http else []), "-calls", "200")
    assert lines[: len(BOOK_LINES)] == BOOK_LINES
    assert lines[-1].startswith("calls 200 seconds ")


@pytest.mark.parametrize("mode", ["tcp", "http"])
def test_suite_certifies_gos_server(
    go_server: Callable[..., GoServer], mode: str, tmp_path: Path
) -> None:
    server = go_server(BOOKRPC, "-mode", mode)
    run = run_suite_against(
        "rpc", [f"{mode}://{server.host}:{server.port}"], tmp_path, options=PLAIN
    )
    assert run.returncode == 0, run.summary()
    # The checks of the other scheme are deselected (no target for it), not skipped.
    assert set(run.outcomes().values()) == {"pass"}, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()

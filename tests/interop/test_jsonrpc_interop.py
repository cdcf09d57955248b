"""JSON-RPC interop with Go's net/rpc/jsonrpc: the book's Arith server and a Go client.

``go/bookjsonrpc/server/main.go`` is the book's JSONArithServer (Newmarch, ch. 13):
``jsonrpc.ServeConn`` per connection, one client at a time. ``go/bookjsonrpc/client/
main.go`` calls Multiply and Divide (including its error) and pipelines 100 calls
with ``client.Go``. Three directions: our client against Go's server, Go's client
against our reference server (``jsonrpc``), and the suite (profile 1.0) against Go's
server, exactly as a user runs it. Skips when Go is missing.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from brokenservers import GOOD_VERDICTS, PLAIN, run_suite_against
from servers import running

from reference_impls._shell import Listen
from reference_impls.jsonrpc import server as jsonrpc_server
from reference_impls.jsonrpc.client import Client, RPCError

from .peers import GoServer, PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

GO = Path(__file__).resolve().parent / "go" / "bookjsonrpc"
SERVER = GO / "server" / "main.go"
CLIENT = GO / "client" / "main.go"
#: Seconds any one call, or the Go client as a whole, may take.
TIMEOUT = 10.0


def test_our_client_against_gos_server(go_server: Callable[..., GoServer]) -> None:
    server = go_server(SERVER)

    async def calls() -> None:
        client = await Client.connect(server.host, server.port, profile="1.0", timeout=TIMEOUT)
        try:
            assert await client.call("Arith.Multiply", {"A": 7, "B": 8}, timeout=TIMEOUT) == 56
            quotient = await client.call("Arith.Divide", {"A": -17, "B": 5}, timeout=TIMEOUT)
            assert quotient == {"Quo": -3, "Rem": -2}
            with pytest.raises(RPCError, match=r"^divide by zero$"):
                await client.call("Arith.Divide", {"A": 1, "B": 0}, timeout=TIMEOUT)
            with pytest.raises(RPCError, match=r"^rpc: can't find method Arith\.Nope$"):
                await client.call("Arith.Nope", {}, timeout=TIMEOUT)
            results = await asyncio.gather(
                *(
                    client.call("Arith.Multiply", {"A": i, "B": 3}, timeout=TIMEOUT)
                    for i in range(100)
                )
            )
            assert results == [3 * i for i in range(100)]
        finally:
            await client.close()

    asyncio.run(calls())


def test_gos_client_against_our_server() -> None:
    try:
        binary = build_go_program(CLIENT)
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)
    listen = Listen("tcp", "127.0.0.1", 0)
    with running(lambda: jsonrpc_server.start(listen, profile="1.0")) as server:
        host, port = server.sockname[:2]
        proc = subprocess.run(
            [str(binary), f"{host}:{port}"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Arith: 7*8=56" in proc.stdout
    assert "Arith: -17/5=-3 remainder -2" in proc.stdout
    assert "Arith: 1/0 error divide by zero" in proc.stdout
    assert "Arith: 100 of 100 pipelined calls right" in proc.stdout


def test_suite_certifies_gos_server(go_server: Callable[..., GoServer], tmp_path: Path) -> None:
    url = go_server(SERVER).url
    run = run_suite_against("jsonrpc", [url], tmp_path, "--jsonrpc-profile", "1.0", options=PLAIN)
    not_passed = [
        f"  {r['outcome'].upper():5} {r['level']:6} {r['id']}: {r['actual']}"
        for r in run.certificate["requirements"]
        if r["outcome"] != "pass"
    ]
    message = "\n".join(not_passed) + "\n" + run.summary()
    assert run.returncode == 0, message
    assert run.certificate["verdict"] in GOOD_VERDICTS, message
    assert not_passed == [], message
    (target,) = run.certificate["targets"]["jsonrpc"]
    assert not target["embedded"]

"""JSON-RPC reference (the book's Arith): the sans-IO cores, the server and the client."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from brokenservers import run_suite_against
from servers import TIMEOUT, connect, feeds, read_until_eof, running

from reference_impls._shell import Listen, parse_ready_line
from reference_impls.jsonrpc import ClientConnection, ServerConnection
from reference_impls.jsonrpc import server as jsonrpc_server
from reference_impls.jsonrpc.client import Client, RPCError
from reference_impls.jsonrpc.protocol import Profile

ROOT = Path(__file__).resolve().parents[1]


def answers(profile: Profile, *requests: bytes) -> list[Any]:
    core = ServerConnection(profile)
    for request in requests:
        core.receive_data(request)
    return [json.loads(line) for line in core.data_to_send().splitlines()]


def call1(method: str, params: bytes, rid: bytes = b"0") -> bytes:
    return b'{"method":"' + method.encode() + b'","params":' + params + b',"id":' + rid + b"}\n"


# -- the 1.0 (Go) core ------------------------------------------------------------------


def test_go_multiply_and_divide_bytes() -> None:
    core = ServerConnection("1.0")
    core.receive_data(call1("Arith.Multiply", b'[{"A":7,"B":8}]'))
    core.receive_data(call1("Arith.Divide", b'[{"A":-7,"B":2}]', b'"x"'))
    core.receive_data(call1("Arith.Divide", b'[{"A":1,"B":0}]', b"1.50"))
    assert core.data_to_send() == (
        b'{"id":0,"result":56,"error":null}\n'
        b'{"id":"x","result":{"Quo":-3,"Rem":-1},"error":null}\n'
        b'{"id":1.50,"result":null,"error":"divide by zero"}\n'
    )
    assert not core.should_close


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (call1("Nope.Multiply", b"[{}]"), "rpc: can't find service Nope.Multiply"),
        (call1("Arith.Nope", b"[{}]"), "rpc: can't find method Arith.Nope"),
        (call1("Multiply", b"[{}]"), "rpc: service/method request ill-formed: Multiply"),
        (b'{"method":"Arith.Multiply","id":0}', "jsonrpc: request body missing params"),
        (call1("Arith.Multiply", b"null"), "jsonrpc: request body missing params"),
        (
            call1("Arith.Multiply", b'{"A":1}'),
            "json: cannot unmarshal object into Go value of type [1]interface {}",
        ),
        (
            call1("Arith.Multiply", b'["s"]'),
            "json: cannot unmarshal string into Go value of type main.Args",
        ),
    ],
)
def test_go_errors_keep_the_connection(request_: bytes, error: str) -> None:
    (got,) = answers("1.0", request_)
    assert got["error"] == error and got["result"] is None
    core = ServerConnection("1.0")
    core.receive_data(request_ + call1("Arith.Multiply", b'[{"A":2,"B":3}]', b"9"))
    assert not core.should_close


def test_go_keys_fold_and_empty_params_are_zero() -> None:
    (got,) = answers("1.0", b'{"METHOD":"Arith.Multiply","Params":[],"ID":5}')
    assert got == {"id": 5, "result": 0, "error": None}


def test_go_malformed_closes_without_response() -> None:
    core = ServerConnection("1.0")
    core.receive_data(call1("Arith.Multiply", b'[{"A":1,"B":1}]') + b"{oops")
    assert core.data_to_send() == b'{"id":0,"result":1,"error":null}\n'
    assert core.should_close and core.error is not None


# -- the 2.0 core -----------------------------------------------------------------------


def test_v2_rules() -> None:
    call = b'{"jsonrpc":"2.0","method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":1}'
    note = b'{"jsonrpc":"2.0","method":"Arith.Multiply","params":[{"A":7,"B":8}]}'
    got = answers("2.0", call, note, b"[]", b"[" + call + b",1," + note + b"]", b"[" + note + b"]")
    assert got[0] == {"jsonrpc": "2.0", "result": 56, "id": 1}
    assert got[1]["error"]["code"] == -32600 and got[1]["id"] is None
    assert [r.get("result", r.get("error")) for r in got[2]] == [
        56,
        {"code": -32600, "message": "Invalid Request"},
    ]
    assert len(got) == 3  # the notification and the all-notification batch: nothing
    (parse,) = answers("2.0", b'{"jsonrpc":}')
    assert parse == answers("2.0", b"{]")[0]
    assert parse == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }
    (unknown,) = answers("2.0", b'{"jsonrpc":"2.0","method":"x","id":"a"}')
    assert unknown["error"]["code"] == -32601 and unknown["id"] == "a"
    (bad,) = answers("2.0", b'{"jsonrpc":"2.0","method":"Arith.Divide","params":"x","id":2}')
    assert bad["error"]["code"] == -32600
    (bad,) = answers("2.0", b'{"jsonrpc":"2.0","method":"Arith.Divide","params":["x"],"id":2}')
    assert bad["error"]["code"] == -32602


def test_client_core_matches_both_profiles() -> None:
    for profile in ("1.0", "2.0"):
        client = ClientConnection(profile)
        server = ServerConnection(profile)
        a = client.call("Arith.Multiply", {"A": 6, "B": 7})
        b = client.call("Arith.Divide", {"A": 1, "B": 0})
        sent = client.data_to_send()
        if profile == "1.0":
            assert sent.startswith(b'{"method":"Arith.Multiply","params":[{"A":6,"B":7}],"id":0}\n')
        for name, chunks in feeds(sent, seed=1, cuts=5).items():
            fresh = ServerConnection(profile)
            for chunk in chunks:
                fresh.receive_data(chunk)
            assert fresh.answered == 2, name
        server.receive_data(sent)
        responses = client.receive_data(server.data_to_send())
        assert (responses[0].id, responses[0].result) == (a, 42)
        assert responses[1].id == b and responses[1].error is not None
        assert responses[1].error.message == "divide by zero"
        assert not client.pending


# -- the server and the client ----------------------------------------------------------


@pytest.mark.parametrize("profile", ["1.0", "2.0"])
def test_client_pipelines_against_the_server(profile: Profile) -> None:
    listen = Listen("tcp", "127.0.0.1", 0)
    with running(lambda: jsonrpc_server.start(listen, profile=profile)) as server:
        host, port = server.sockname[:2]

        async def go() -> None:
            client = await Client.connect(host, port, profile=profile, timeout=TIMEOUT)
            try:
                results = await asyncio.gather(
                    *(
                        client.call("Arith.Multiply", {"A": i, "B": 3}, timeout=TIMEOUT)
                        for i in range(100)
                    )
                )
                assert results == [3 * i for i in range(100)]
                with pytest.raises(RPCError, match="divide by zero"):
                    await client.call("Arith.Divide", {"A": 1, "B": 0}, timeout=TIMEOUT)
                quotient = await client.call("Arith.Divide", {"A": 17, "B": 5}, timeout=TIMEOUT)
                assert quotient == {"Quo": 3, "Rem": 2}
            finally:
                await client.close()

        asyncio.run(go())


def test_client_call_times_out() -> None:
    async def go() -> None:
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        host, port = silent.sockets[0].getsockname()[:2]
        try:
            client = await Client.connect(host, port, timeout=TIMEOUT)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await client.call("Arith.Multiply", {"A": 1, "B": 1}, timeout=0.2)
            assert time.monotonic() - started < 2
            await client.close()
        finally:
            silent.close()

    asyncio.run(go())


def test_server_closes_after_malformed_go_request() -> None:
    listen = Listen("tcp", "127.0.0.1", 0)
    start = lambda: jsonrpc_server.start(listen, profile="1.0")  # noqa: E731
    with running(start) as server, connect(server) as sock:
        sock.sendall(call1("Arith.Multiply", b'[{"A":2,"B":2}]') + b"}")
        assert read_until_eof(sock) == b'{"id":0,"result":4,"error":null}\n'


def test_serve_command_runs_both_protocols() -> None:
    # A 1.0 request lacks the "jsonrpc" member: the 2.0 server calls it invalid.
    for protocol, want in (("jsonrpc", b'"result":10'), ("jsonrpc2", b'"code":-32600')):
        proc = subprocess.Popen(
            [sys.executable, "-m", "reference_impls", "serve", protocol],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            ready = parse_ready_line(proc.stdout.readline())
            with socket.create_connection((ready.host, ready.port), timeout=TIMEOUT) as sock:
                sock.sendall(call1("Arith.Multiply", b'[{"A":2,"B":5}]'))
                data = sock.recv(4096)
            assert want in data
        finally:
            proc.terminate()
            assert proc.wait(TIMEOUT) == 0


def test_go_id_is_echoed_raw_and_compacted() -> None:
    """As Go's json.RawMessage: escapes kept, HTML escaped, whitespace dropped."""
    core = ServerConnection("1.0")
    core.receive_data(call1("Arith.Multiply", b"[{}]", b'"\\u0041<&>"'))
    core.receive_data(call1("Arith.Multiply", b"[{}]", b'{"x": [1, 2]}'))
    core.receive_data(b'{"Id":1,"params":[{}],"method":"Arith.Multiply","iD":2e0}')
    assert core.data_to_send() == (
        b'{"id":"\\u0041\\u003c\\u0026\\u003e","result":0,"error":null}\n'
        b'{"id":{"x":[1,2]},"result":0,"error":null}\n'
        b'{"id":2e0,"result":0,"error":null}\n'
    )


@pytest.mark.parametrize("profile", ["1.0", "2.0"])
def test_suite_certifies_the_embedded_reference(profile: str, tmp_path: Path) -> None:
    """With no --target, the suite starts the reference the profile names."""
    run = run_suite_against("jsonrpc", [], tmp_path, "--jsonrpc-profile", profile)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    (target,) = run.certificate["targets"]["jsonrpc"]
    assert target["embedded"], run.summary()


def test_client_core_matches_out_of_order_and_batch_responses() -> None:
    client = ClientConnection("1.0")
    first, second = client.call("Arith.Multiply", {}), client.call("Arith.Multiply", {})
    got = client.receive_data(b'{"id":1,"result":2,"error":null}\n{"id":0,"result":1,"err')
    assert [(r.id, r.result) for r in got] == [(second, 2)]
    got = client.receive_data(b'or":null}\n')
    assert [(r.id, r.result) for r in got] == [(first, 1)] and not client.pending
    v2 = ClientConnection("2.0")
    v2.call("Arith.Multiply", {})
    got = v2.receive_data(
        b'[{"jsonrpc":"2.0","result":5,"id":0},'
        b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]'
    )
    assert got[0].result == 5 and got[1].error is not None and got[1].error.code == -32600

"""The net/rpc reference: its sans-IO cores, its asyncio server and client, over loopback.

The suite's embedded mode (``pytest suites/rpc`` with no target) starts ``serve rpc
--listen tcp://... --listen http://...``, which needs ``reference_impls._shell`` to take
an http:// listen address; until it does, the suite is run here with its targets given.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from brokenservers import run_suite_against

from reference_impls._shell import Listen, Server
from reference_impls.gob import NEED_DATA, Decoder, Encoder
from reference_impls.rpc import (
    HTTP_CONNECTED,
    Args,
    Empty,
    Quotient,
    Request,
    Response,
    RpcClientConnection,
    RpcServerConnection,
    ServerError,
    connect_request,
)
from reference_impls.rpc import server as rpc_server
from reference_impls.rpc.client import RpcClient, ShutdownError

LOOPBACK = Listen("tcp", "127.0.0.1", 0)


def _request(encoder: Encoder, name: str, seq: int, body: object) -> bytes:
    return encoder.encode(Request(name, seq)) + encoder.encode(body)


def _responses(data: bytes) -> list[tuple[Response, object]]:
    decoder = Decoder()
    decoder.receive_data(data)
    out: list[tuple[Response, object]] = []
    while (header := decoder.next_value(Response)) is not NEED_DATA:
        body = decoder.next_value(None)
        assert body is not NEED_DATA
        out.append((header, body))
    return out


def _serve_all(core: RpcServerConnection) -> None:
    for call in core.next_calls():
        core.respond(call, *core.run(call))


# -- the server core ---------------------------------------------------------------------


def test_core_answers_multiply_and_divide_with_seq() -> None:
    core, enc = RpcServerConnection(), Encoder()
    core.receive_data(_request(enc, "Arith.Multiply", 0, Args(7, 8)))
    core.receive_data(_request(enc, "Arith.Divide", 1, Args(-7, 2)))
    core.receive_data(_request(enc, "Arith.Divide", 2, Args(7, 0)))
    _serve_all(core)
    got = _responses(core.data_to_send())
    assert got == [
        (Response("Arith.Multiply", 0, ""), 56),
        (Response("Arith.Divide", 1, ""), {"Quo": -3, "Rem": -1}),
        (Response("Arith.Divide", 2, "divide by zero"), {}),
    ]
    assert not core.should_close


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Multiply", "rpc: service/method request ill-formed: Multiply"),
        ("Nope.Multiply", "rpc: can't find service Nope.Multiply"),
        ("Arith.Nope", "rpc: can't find method Arith.Nope"),
        ("a.b.Arith.Multiply", "rpc: can't find service a.b.Arith.Multiply"),
    ],
)
def test_core_reports_bad_names_and_reads_on(name: str, error: str) -> None:
    core, enc = RpcServerConnection(), Encoder()
    core.receive_data(_request(enc, name, 5, Args(1, 2)))
    core.receive_data(_request(enc, "Arith.Multiply", 6, Args(3, 4)))
    _serve_all(core)
    assert _responses(core.data_to_send()) == [
        (Response(name, 5, error), {}),
        (Response("Arith.Multiply", 6, ""), 12),
    ]


def test_core_reports_a_body_of_the_wrong_type_and_reads_on() -> None:
    core, enc = RpcServerConnection(), Encoder()
    core.receive_data(_request(enc, "Arith.Multiply", 1, "not Args"))
    core.receive_data(_request(enc, "Arith.Multiply", 2, Args(2, 3)))
    _serve_all(core)
    (first, body), second = _responses(core.data_to_send())
    assert first.Seq == 1 and first.Error.startswith("gob: ") and body == {}
    assert second == (Response("Arith.Multiply", 2, ""), 6)


def test_core_stops_reading_after_a_bad_header_and_closes_after_calls_in_flight() -> None:
    core, enc = RpcServerConnection(), Encoder()
    core.receive_data(_request(enc, "Arith.Multiply", 1, Args(2, 3)))
    calls = core.next_calls()
    core.receive_data(bytes.fromhex("03 04 00 06"))  # an int where a Request belongs
    assert core.error is not None and not core.should_close
    core.receive_data(_request(enc, "Arith.Multiply", 2, Args(2, 3)))
    assert core.next_calls() == []
    core.respond(calls[0], *core.run(calls[0]))
    assert [h.Seq for h, _ in _responses(core.data_to_send())] == [1]
    assert core.should_close


def test_core_takes_any_write_pattern() -> None:
    core, enc = RpcServerConnection(), Encoder()
    data = _request(enc, "Arith.Multiply", 3, Args(6, 7))
    for i in range(len(data)):
        core.receive_data(data[i : i + 1])
    _serve_all(core)
    assert _responses(core.data_to_send()) == [(Response("Arith.Multiply", 3, ""), 42)]


def test_client_core_matches_by_seq_and_drops_forgotten_calls() -> None:
    client = RpcClientConnection()
    seqs = [client.send_request("Arith.Multiply", Args(i, i), int)[0] for i in range(3)]
    assert seqs == [0, 1, 2]
    client.forget(1)
    enc = Encoder()
    data = b"".join(
        enc.encode(Response("Arith.Multiply", seq, "")) + enc.encode(seq * seq) for seq in (2, 1, 0)
    )
    results = client.receive_data(data)
    assert [(r.seq, r.reply, r.error) for r in results] == [(2, 4, ""), (0, 0, "")]
    assert client.pending == {}


# -- the asyncio server and client -------------------------------------------------------


def _with_server(body: Callable[[Server], Awaitable[None]]) -> None:
    async def main() -> None:
        srv = await rpc_server.start(LOOPBACK)
        try:
            await asyncio.wait_for(body(srv), 20)
        finally:
            await srv.close()

    asyncio.run(main())


def _with_silent(body: Callable[[tuple[str, int]], Awaitable[None]]) -> None:
    """``body`` gets a loopback server that accepts, reads, and never answers."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    async def main() -> None:
        srv = await asyncio.start_server(swallow, "127.0.0.1", 0)
        try:
            host, port = srv.sockets[0].getsockname()[:2]
            await asyncio.wait_for(body((host, port)), 20)
        finally:
            srv.close()

    asyncio.run(main())


@pytest.mark.parametrize("http", [False, True], ids=["raw", "http"])
def test_client_and_server_calls(http: bool) -> None:
    async def body(server: Server) -> None:
        host, port = server.sockname
        async with await RpcClient.connect(host, port, http=http) as client:
            assert await client.call("Arith.Multiply", Args(7, 8), int, timeout=5) == 56
            quo = await client.call("Arith.Divide", Args(17, 8), Quotient, timeout=5)
            assert quo == Quotient(2, 1)
            with pytest.raises(ServerError, match=r"^divide by zero$"):
                await client.call("Arith.Divide", Args(1, 0), Quotient, timeout=5)
            with pytest.raises(ServerError, match=r"^rpc: can.t find method Arith\.Add$"):
                await client.call("Arith.Add", Args(1, 0), int, timeout=5)

    _with_server(body)


def test_a_hundred_pipelined_calls() -> None:
    async def body(server: Server) -> None:
        host, port = server.sockname
        async with await RpcClient.connect(host, port) as client:
            calls = [client.call("Arith.Multiply", Args(i, 3), int, timeout=5) for i in range(100)]
            assert await asyncio.gather(*calls) == [3 * i for i in range(100)]

    _with_server(body)


def test_a_call_to_a_server_that_never_answers_times_out_in_the_time_asked() -> None:
    async def body(address: tuple[str, int]) -> None:
        client = await RpcClient.connect(*address)
        try:
            for asked in (0.2, 0.5):
                started = time.monotonic()
                with pytest.raises(TimeoutError):
                    await client.call("Arith.Multiply", Args(1, 2), int, timeout=asked)
                took = time.monotonic() - started
                assert asked <= took < asked + 0.25, took
        finally:
            await client.close()

    _with_silent(body)


def test_a_cancelled_call_is_forgotten_and_others_go_on() -> None:
    async def body(server: Server) -> None:
        host, port = server.sockname
        async with await RpcClient.connect(host, port) as client:
            task = asyncio.ensure_future(client.call("Arith.Multiply", Args(2, 2), int))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client._core.pending == {}
            assert await client.call("Arith.Multiply", Args(3, 3), int, timeout=5) == 9

    _with_server(body)


def test_pending_calls_fail_when_the_connection_goes() -> None:
    async def body(address: tuple[str, int]) -> None:
        client = await RpcClient.connect(*address)
        call = asyncio.ensure_future(client.call("Arith.Multiply", Args(1, 2), int, timeout=5))
        await asyncio.sleep(0.05)
        client._writer.transport.abort()  # the connection goes away under the call
        with pytest.raises(ShutdownError):
            await call
        await client.close()

    _with_silent(body)


def _exchange(address: tuple[str, int], data: bytes, until: bytes) -> bytes:
    with socket.create_connection(address, timeout=3) as sock:
        sock.sendall(data)
        got = b""
        while until not in got and (chunk := sock.recv(4096)):
            got += chunk
        return got


def test_http_connect_line_and_405() -> None:
    async def body(server: Server) -> None:
        address = server.sockname
        got = await asyncio.to_thread(_exchange, address, connect_request(), b"\n\n")
        assert got == HTTP_CONNECTED
        get = b"GET /_goRPC_ HTTP/1.0\r\n\r\n"
        got = await asyncio.to_thread(_exchange, address, get, b"\n405")
        assert got.startswith(b"HTTP/1.0 405 Method Not Allowed\r\n")
        assert b"Content-Type: text/plain; charset=utf-8\r\n" in got

    _with_server(body)


def test_bad_header_closes_with_no_response() -> None:
    async def body(server: Server) -> None:
        bad = bytes.fromhex("03 04 00 06")
        assert await asyncio.to_thread(_exchange, server.sockname, bad, b"x") == b""

    _with_server(body)


def test_empty_struct_is_gos() -> None:
    # Go: gob.NewEncoder(w).Encode(struct{}{}) after a Response on the same Encoder.
    enc = Encoder()
    enc.encode(Response())
    assert enc.encode(Empty()).hex(" ").endswith("03 ff 84 00")


def test_registered_for_serve_and_takes_an_http_listen_address() -> None:
    from reference_impls.__main__ import PROTOCOLS

    assert "rpc" in PROTOCOLS

    async def main() -> None:
        # One port serves raw and HTTP CONNECT, so an http:// listen address is TCP too.
        srv = await rpc_server.start(Listen(cast(Any, "http"), "127.0.0.1", 0))
        try:
            got = await asyncio.to_thread(_exchange, srv.sockname, connect_request(), b"\n\n")
            assert got == HTTP_CONNECTED
        finally:
            await srv.close()

    asyncio.run(main())


def test_go_http_error_layout() -> None:
    got = rpc_server.http_error("HTTP/1.0", "405 Method Not Allowed", b"405 must CONNECT\n")
    head, body = got.split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.0 405 Method Not Allowed"
    assert [line.split(b":")[0] for line in lines[1:]] == [
        b"Content-Type",
        b"Date",
        b"Content-Length",
    ]
    assert body == b"405 must CONNECT\n" and lines[3] == b"Content-Length: 17"


def test_the_suite_certifies_the_reference(tmp_path: Path) -> None:
    """The rpc suite against the reference server, raw and HTTP targets on one port
    (given explicitly: see the module's note on the embedded reference)."""
    ready: queue.Queue[tuple[str, int]] = queue.Queue()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        srv = await rpc_server.start(LOOPBACK)
        ready.put(srv.sockname)
        try:
            await stop.wait()
        finally:
            await srv.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        host, port = ready.get(timeout=10)
        urls = [f"tcp://{host}:{port}", f"http://{host}:{port}"]
        run = run_suite_against("rpc", urls, tmp_path)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert set(run.outcomes().values()) == {"pass"}, run.summary()

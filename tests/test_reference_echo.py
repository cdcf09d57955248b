"""Echo reference implementation (RFC 862), the shared shell, and the serve command."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import random
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import TIMEOUT, Starting, connect, feeds, read_exactly, running

from reference_impls.__main__ import main
from reference_impls._shell import (
    Listen,
    ListenError,
    StreamServer,
    format_ready_line,
    parse_listen,
    parse_ready_line,
    serve_until_signal,
)
from reference_impls.echo import server as echo_server
from reference_impls.echo.protocol import (
    MAX_UDP_PAYLOAD,
    EchoConnection,
    EchoState,
    echo_datagram,
)
from reference_impls.echo.server import WRITE_BUFFER_HIGH, EchoStats

ROOT = Path(__file__).resolve().parents[1]
#: asyncio reads at most this much per recv() (selector_events max_size).
ASYNCIO_READ = 256 * 1024


# -- helpers ---------------------------------------------------------------------------


def echo(
    scheme: str = "tcp",
    *,
    idle_timeout: float | None = None,
    stats: EchoStats | None = None,
) -> Callable[[], Starting]:
    listen = Listen("tcp" if scheme == "tcp" else "udp", "127.0.0.1", 0)
    return lambda: echo_server.start(listen, idle_timeout=idle_timeout, stats=stats)


def exchange(sock: socket.socket, data: bytes) -> bytes:
    """Send ``data`` while reading (so neither side stalls), SHUT_WR, read until FIN."""
    sock.setblocking(False)
    view = memoryview(data)
    sent, received, eof = 0, bytearray(), False
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        writing = True
        while not eof:
            if writing and sent == len(data):
                sock.shutdown(socket.SHUT_WR)
                selector.modify(sock, selectors.EVENT_READ)
                writing = False
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"stalled: sent {sent}, received {len(received)}"
            for _key, events in selector.select(remaining):
                if events & selectors.EVENT_WRITE and writing:
                    with suppress(BlockingIOError):
                        sent += sock.send(view[sent : sent + 65536])
                if events & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    if chunk:
                        received += chunk
                    else:
                        eof = True
    sock.settimeout(TIMEOUT)
    return bytes(received)


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return sock


# -- sans-IO core ----------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 3 + b"\r\n.\r\n" + bytes(range(255, -1, -1))


@pytest.mark.parametrize("way", ["whole", "bytewise", "random"])
def test_core_sends_back_what_arrives_as_it_arrives(way: str) -> None:
    conn = EchoConnection()
    out = bytearray()
    for chunk in feeds(PAYLOAD, seed=862, cuts=7)[way]:
        conn.receive_data(chunk)
        assert conn.state is EchoState.OPEN
        sent = conn.data_to_send()
        assert sent == chunk
        out += sent
    assert bytes(out) == PAYLOAD
    conn.receive_eof()
    assert conn.state is EchoState.CLOSED
    assert conn.should_close


@pytest.mark.parametrize("way", ["whole", "bytewise", "random"])
def test_core_closes_only_after_everything_received_is_handed_out(way: str) -> None:
    conn = EchoConnection()
    for chunk in feeds(PAYLOAD, seed=862, cuts=7)[way]:
        conn.receive_data(chunk)
    conn.receive_eof()
    before = (conn.state, conn.should_close, conn.pending)
    assert before == (EchoState.CLOSING, False, len(PAYLOAD))
    assert conn.data_to_send() == PAYLOAD
    after = (conn.state, conn.should_close, conn.pending)
    assert after == (EchoState.CLOSED, True, 0)
    assert conn.data_to_send() == b""


def test_core_eof_without_data_closes_at_once() -> None:
    conn = EchoConnection()
    assert conn.data_to_send() == b""
    assert conn.state is EchoState.OPEN
    conn.receive_eof()
    assert conn.should_close


def test_core_data_after_eof_is_a_shell_bug() -> None:
    conn = EchoConnection()
    conn.receive_eof()
    with pytest.raises(RuntimeError, match="after receive_eof"):
        conn.receive_data(b"x")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048), st.lists(st.integers(0, 2048)), st.lists(st.booleans()))
def test_core_any_split_and_any_drain_schedule_echo_the_stream(
    data: bytes, cuts: list[int], drains: list[bool]
) -> None:
    edges = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    conn = EchoConnection()
    out = bytearray()
    for (a, b), drain in zip(itertools.pairwise(edges), itertools.cycle(drains or [True])):
        conn.receive_data(data[a:b])
        if drain:
            out += conn.data_to_send()
    conn.receive_eof()
    out += conn.data_to_send()
    assert bytes(out) == data
    assert conn.should_close


@pytest.mark.parametrize("data", [b"", b"\x00", bytes(range(256)), bytes(MAX_UDP_PAYLOAD)])
def test_core_datagram_comes_back_whole(data: bytes) -> None:
    assert echo_datagram(data) == data


# -- TCP -------------------------------------------------------------------------------


def test_tcp_echoes_all_256_octet_values() -> None:
    with running(echo()) as server, connect(server) as sock:
        octets = bytes(range(256))
        sock.sendall(octets)
        assert read_exactly(sock, 256) == octets


def test_tcp_one_mib_round_trip_then_close_after_shut_wr() -> None:
    data = random.Random(1).randbytes(1 << 20)
    with running(echo()) as server, connect(server) as sock:
        assert exchange(sock, data) == data  # and the server closed: FIN came


def test_tcp_closes_after_client_shut_wr_once_all_is_echoed() -> None:
    with running(echo()) as server:
        assert isinstance(server, StreamServer)
        with connect(server) as sock:
            sock.sendall(b"last words")
            sock.shutdown(socket.SHUT_WR)
            assert read_exactly(sock, 10) == b"last words"
            assert sock.recv(1) == b""
        wait_until(lambda: len(server.connections) == 0)


def test_tcp_nodelay_is_set_on_server_side() -> None:
    # Small echoes come back at once (no Nagle wait behind an unacknowledged segment).
    with running(echo()) as server, connect(server) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.monotonic()
        for i in range(50):
            sock.sendall(bytes([i]))
            assert read_exactly(sock, 1) == bytes([i])
        assert time.monotonic() - started < 2.0


def test_tcp_200_concurrent_clients() -> None:
    stats = EchoStats()
    with running(echo(stats=stats)) as server:
        socks = [connect(server) for _ in range(200)]
        try:
            for i, sock in enumerate(socks):
                sock.sendall(f"client {i}\n".encode())
            wait_until(lambda: stats.connections_opened == 200)
            for i, sock in enumerate(socks):
                expected = f"client {i}\n".encode()
                assert read_exactly(sock, len(expected)) == expected
            for sock in socks:
                sock.shutdown(socket.SHUT_WR)
            for sock in socks:
                assert sock.recv(1) == b""
        finally:
            for sock in socks:
                sock.close()
        wait_until(lambda: stats.connections_closed == 200)
    assert stats.errors == 0


def test_tcp_client_that_never_reads_cannot_grow_server_memory() -> None:
    stats = EchoStats()
    payload = random.Random(2).randbytes(32 << 20)
    view = memoryview(payload)
    with running(echo(stats=stats)) as server, connect(server) as hog:
        hog.settimeout(0.2)
        sent = 0
        deadline = time.monotonic() + TIMEOUT
        while sent < len(payload) and time.monotonic() < deadline:
            try:
                sent += hog.send(view[sent : sent + ASYNCIO_READ])
            except TimeoutError:
                if stats.paused:
                    break  # the kernel buffers are full both ways: the server stopped reading
        wait_until(lambda: stats.paused == 1)
        # The server holds at most the high-water mark plus one read per connection.
        assert stats.max_write_buffer <= WRITE_BUFFER_HIGH + ASYNCIO_READ
        # Others are served meanwhile.
        with connect(server) as other:
            assert exchange(other, b"still here" * 1000) == b"still here" * 1000
        assert stats.paused == 1
        # Once the hog reads, it gets back every byte it sent, in order.
        hog.settimeout(TIMEOUT)
        assert exchange(hog, b"") == payload[:sent]
    assert stats.pauses >= 1
    assert stats.max_write_buffer <= WRITE_BUFFER_HIGH + ASYNCIO_READ
    assert stats.errors == 0


def test_tcp_a_client_reset_mid_stream_does_not_stop_others() -> None:
    stats = EchoStats()
    with running(echo(stats=stats)) as server, connect(server) as other:
        other.sendall(b"before")
        assert read_exactly(other, 6) == b"before"
        rude = connect(server)
        rude.sendall(bytes(200_000))
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.close()  # RST, with echoes unread
        wait_until(lambda: stats.connections_closed == 1)
        assert exchange(other, b"after" * 1000) == b"after" * 1000
        with connect(server) as new:
            assert exchange(new, b"new") == b"new"
    assert stats.errors == 0


def test_tcp_idle_timeout_closes_a_silent_connection() -> None:
    stats = EchoStats()
    with running(echo(idle_timeout=0.2, stats=stats)) as server, connect(server) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
        assert 0.15 <= time.monotonic() - started < 2.0
    assert stats.idle_closes == 1


def test_tcp_idle_timeout_spares_a_connection_with_traffic() -> None:
    with running(echo(idle_timeout=0.3)) as server, connect(server) as sock:
        for i in range(8):  # 0.8 s in all, more than twice the timeout
            sock.sendall(bytes([i]))
            assert read_exactly(sock, 1) == bytes([i])
            time.sleep(0.1)
        assert exchange(sock, b"end") == b"end"


def test_tcp_idle_timeout_aborts_a_client_that_stopped_reading() -> None:
    stats = EchoStats()
    with running(echo(idle_timeout=0.3, stats=stats)) as server, connect(server) as hog:
        assert isinstance(server, StreamServer)
        hog.settimeout(0.2)
        block = bytes(ASYNCIO_READ)
        deadline = time.monotonic() + TIMEOUT
        while not stats.paused and time.monotonic() < deadline:
            with suppress(TimeoutError):
                hog.send(block)
        wait_until(lambda: stats.idle_closes == 1)
        wait_until(lambda: len(server.connections) == 0)


def test_tcp_close_ends_open_connections() -> None:
    async def scenario() -> None:
        server = await echo_server.start(Listen("tcp", "127.0.0.1", 0))
        reader, writer = await asyncio.open_connection(*server.sockname)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), TIMEOUT) == b"ping"
        await asyncio.wait_for(server.close(), TIMEOUT)
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()
        await server.close()  # twice is fine

    asyncio.run(scenario())


def test_idle_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        asyncio.run(echo_server.start(Listen("tcp", "127.0.0.1", 0), idle_timeout=0))


# -- UDP -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 512, 8192, MAX_UDP_PAYLOAD])
def test_udp_datagram_comes_back_whole_once_from_the_bound_address(size: int) -> None:
    data = random.Random(size).randbytes(size)
    with running(echo("udp")) as server, udp_socket() as sock:
        sock.sendto(data, server.sockname)
        reply, source = sock.recvfrom(1 << 17)
        assert reply == data
        assert source == server.sockname
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recvfrom(1 << 17)


def test_udp_each_datagram_is_answered_separately() -> None:
    with running(echo("udp")) as server, udp_socket() as sock:
        datagrams = [bytes([i]) * i for i in range(30)]
        for datagram in datagrams:
            sock.sendto(datagram, server.sockname)
        replies = [sock.recvfrom(1 << 16)[0] for _ in datagrams]
        assert sorted(replies) == sorted(datagrams)  # loopback keeps order; boundaries matter


def test_udp_and_tcp_listeners_can_share_a_port_number() -> None:
    with running(echo()) as tcp:
        port = tcp.sockname[1]
        listen = Listen("udp", "127.0.0.1", port)
        with running(lambda: echo_server.start(listen)) as udp, udp_socket() as sock:
            assert udp.sockname == tcp.sockname
            sock.sendto(b"same port", udp.sockname)
            assert sock.recvfrom(64)[0] == b"same port"


# -- listen addresses and ready lines --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("127.0.0.1:7007", "tcp", Listen("tcp", "127.0.0.1", 7007)),
        ("127.0.0.1:7007", "udp", Listen("udp", "127.0.0.1", 7007)),
        ("tcp://127.0.0.1:0", "udp", Listen("tcp", "127.0.0.1", 0)),
        ("udp://localhost:7", "tcp", Listen("udp", "localhost", 7)),
        ("[::1]:7007", "tcp", Listen("tcp", "::1", 7007)),
        ("UDP://[::1]:65535", "tcp", Listen("udp", "::1", 65535)),
        ("0.0.0.0:7", "tcp", Listen("tcp", "0.0.0.0", 7)),
    ],
)
def test_parse_listen_accepts(text: str, default: str, expected: Listen) -> None:
    assert parse_listen(text, default_scheme=default) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("x", "expected [scheme://]HOST:PORT, e.g. 127.0.0.1:7007"),
        ("", "expected"),
        ("127.0.0.1", "expected"),
        ("127.0.0.1:", "expected"),
        ("127.0.0.1:http", "expected"),
        ("127.0.0.1:70000", "0 to 65535"),
        ("ftp://127.0.0.1:21", "tcp, udp, http, tls, https, ws, wss"),
        ("::1:7007", "brackets"),
        ("[nonsense]:7", "IPv6"),
        ("bad host:7", "host name"),
        ("tcp://127.0.0.1:7/path", "expected"),
    ],
)
def test_parse_listen_says_what_to_type(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid --listen ") as caught:
        parse_listen(text, default_scheme="tcp")
    message = str(caught.value)
    assert hint in message
    assert "\n" not in message
    assert "e.g." in message


def test_ready_line_format_round_trips() -> None:
    assert format_ready_line("tcp", "127.0.0.1", 7007) == "listening tcp 127.0.0.1 7007"
    assert format_ready_line("udp", "::1", 7) == "listening udp ::1 7"
    assert parse_ready_line("listening udp ::1 7\n") == Listen("udp", "::1", 7)
    with pytest.raises(ValueError, match="not a ready line"):
        parse_ready_line("listening echo tcp 127.0.0.1 7")


def test_serve_until_signal_prints_ready_lines_and_stops() -> None:
    async def scenario() -> None:
        out, stop = io.StringIO(), asyncio.Event()
        listens = [Listen("tcp", "127.0.0.1", 0), Listen("udp", "127.0.0.1", 0)]
        task = asyncio.create_task(
            serve_until_signal(listens, echo_server.start, out=out, stop=stop)
        )
        for _ in range(500):
            if out.getvalue().count("\n") == 2:
                break
            await asyncio.sleep(0.01)
        tcp, udp = (parse_ready_line(line) for line in out.getvalue().splitlines())
        assert (tcp.scheme, udp.scheme) == ("tcp", "udp")
        assert tcp.port != 0 and udp.port != 0
        reader, writer = await asyncio.open_connection(tcp.host, tcp.port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), TIMEOUT) == b"ping"
        stop.set()
        await asyncio.wait_for(task, TIMEOUT)
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()

    asyncio.run(scenario())


def test_serve_until_signal_prints_nothing_unless_every_listener_binds() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = io.StringIO()
        listens = [Listen("tcp", "127.0.0.1", 0), Listen("tcp", "127.0.0.1", port)]
        with pytest.raises(ListenError, match=f"cannot listen on tcp://127.0.0.1:{port}"):
            asyncio.run(serve_until_signal(listens, echo_server.start, out=out))
        assert out.getvalue() == ""


# -- the serve command -----------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "reference_impls", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_lines(proc: subprocess.Popen[bytes], count: int) -> list[str]:
    """``count`` lines of stdout, or fail after TIMEOUT (never block on a silent child)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while data.count(b"\n") < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no ready lines in time; got {data!r}"
            if selector.select(remaining):
                chunk = os.read(fd, 4096)
                assert chunk, f"stdout closed; got {data!r}, exit {proc.wait(TIMEOUT)}"
                data += chunk
    return data.decode("ascii").splitlines()


@contextmanager
def serving(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = spawn(*args)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=TIMEOUT)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_echo_end_to_end(signum: signal.Signals) -> None:
    args = ["serve", "echo", "--listen", "tcp://127.0.0.1:0", "--listen", "udp://127.0.0.1:0"]
    with serving(*args) as proc:
        tcp, udp = (parse_ready_line(line) for line in read_lines(proc, 2))
        assert (tcp.scheme, tcp.host, udp.scheme, udp.host) == (
            "tcp",
            "127.0.0.1",
            "udp",
            "127.0.0.1",
        )
        with connect((tcp.host, tcp.port)) as sock:
            assert exchange(sock, bytes(range(256)) * 64) == bytes(range(256)) * 64
        with udp_socket() as sock:
            sock.sendto(b"datagram", (udp.host, udp.port))
            assert sock.recvfrom(64) == (b"datagram", (udp.host, udp.port))
        held = connect((tcp.host, tcp.port))  # still open at shutdown: must not delay it
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=TIMEOUT)
        held.close()
        assert proc.returncode == 0
        assert out == b""
        assert err == b""


def test_serve_daytime_with_udp_flag_defaults_to_udp() -> None:
    with serving("serve", "daytime", "--udp") as proc:
        (line,) = read_lines(proc, 1)
        listen = parse_ready_line(line)
        assert (listen.scheme, listen.host) == ("udp", "127.0.0.1")
        with udp_socket() as sock:
            sock.sendto(b"", (listen.host, listen.port))
            reply, _ = sock.recvfrom(128)
            assert reply.endswith(b"-UTC\r\n")
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0


def test_serve_bad_protocol_in_a_subprocess_is_one_line_and_status_2() -> None:
    with serving("serve", "gopher") as proc:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 2
        assert out == b""
        assert err.count(b"\n") == 1
        assert b"Traceback" not in err
        assert b"invalid choice: 'gopher'" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve"],
        ["serve", "gopher"],
        ["serve", "echo", "--listen", "x"],
        ["serve", "echo", "--listen", "127.0.0.1:99999"],
        ["serve", "echo", "--listen", "ftp://127.0.0.1:7"],
        ["serve", "echo", "--idle-timeout", "0"],
        ["serve", "echo", "--idle-timeout", "soon"],
        ["serve", "echo", "--bogus"],
    ],
)
def test_serve_usage_errors_are_one_line_and_status_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("python -m reference_impls: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("scheme", ["tcp", "udp"])
def test_serve_port_in_use_is_one_line_and_status_1(
    scheme: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = socket.SOCK_STREAM if scheme == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as taken:
        taken.bind(("127.0.0.1", 0))
        if scheme == "tcp":
            taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "echo", "--listen", f"{scheme}://127.0.0.1:{port}"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"python -m reference_impls: error: cannot listen on {scheme}://127.0.0.1:{port}: "
        "Address already in use\n"
    )


def test_serve_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    assert "--listen" in capsys.readouterr().out

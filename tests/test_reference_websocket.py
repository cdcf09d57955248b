"""The WebSocket reference server and client, against independent implementations.

Our echo server is driven by the ``websockets`` library's client and by
``websocket-client``; our client talks to a ``websockets`` echo server; both over
ws:// and wss:// (certificates from trustme). Raw sockets check what those clients
never do (refused handshakes, unmasked frames, the order of the closing handshake).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import websocket as websocket_client
from servers import TIMEOUT, Starting, connect, read_exactly, read_until_eof, running
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect as ws_connect

from reference_impls._shell import Listen, Server
from reference_impls.errors import RemoteProtocolError
from reference_impls.websocket import server as ws_server
from reference_impls.websocket.client import ConnectionClosed, WebSocketClient
from reference_impls.websocket.frames import Opcode, encode_frame
from reference_impls.websocket.handshake import UpgradeRequest, accept_key
from reference_impls.websocket.server import WebSocketStats

ROOT = Path(__file__).resolve().parents[1]
#: Payload sizes at every length-form boundary (RFC 6455 §5.2).
SIZES = [0, 125, 126, 65535, 65536]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the CA file that verifies it."""
    ca = trustme.CA()
    cafile = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context, cafile


def client_context(cafile: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cafile))


def reference(
    scheme: str = "ws",
    *,
    server_ssl: ssl.SSLContext | None = None,
    stats: WebSocketStats | None = None,
    **options: float,
) -> Callable[[], Starting]:
    listen = Listen("wss" if scheme == "wss" else "ws", "127.0.0.1", 0)
    return lambda: ws_server.start(listen, ssl=server_ssl, stats=stats, **options)  # type: ignore[arg-type]


def url(server: Server, scheme: str = "ws") -> str:
    host, port = server.sockname
    return f"{scheme}://{host}:{port}/echo"


@pytest.fixture(scope="module")
def plain() -> Iterator[Server]:
    with running(reference()) as server:
        yield server


# -- the websockets library's client --------------------------------------------------


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_websockets_client_gets_every_message_back(plain: Server, compression: str | None) -> None:
    with ws_connect(url(plain), compression=compression, max_size=None, open_timeout=TIMEOUT) as ws:
        assert ws.response is not None
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
        assert extensions == ("permessage-deflate" if compression else None)
        for size in SIZES:
            text = "é" * (size // 2) + "x" * (size % 2)
            ws.send(text)
            assert ws.recv(timeout=TIMEOUT) == text
            data = bytes(range(256)) * (size // 256) + bytes(size % 256)
            ws.send(data)
            assert ws.recv(timeout=TIMEOUT) == data
        ws.send(["frag", "mented ", "text"])  # one message in three frames
        assert ws.recv(timeout=TIMEOUT) == "fragmented text"
        assert ws.ping(b"payload").wait(TIMEOUT), "no Pong"
        ws.close(code=3000, reason="done")
    # §5.5.1: the server echoes the code it received.
    assert ws.close_code == 3000


@pytest.mark.parametrize(
    "params",
    [
        {"server_no_context_takeover": True, "client_no_context_takeover": True},
        {"server_max_window_bits": 9, "client_max_window_bits": 9},
        {"server_max_window_bits": 15, "client_max_window_bits": 10},
    ],
)
def test_websockets_client_deflate_parameters(plain: Server, params: dict[str, Any]) -> None:
    factory = ClientPerMessageDeflateFactory(**params)
    with ws_connect(url(plain), extensions=[factory], compression=None) as ws:
        assert ws.response is not None
        agreed = ws.response.headers["Sec-WebSocket-Extensions"]
        for name, value in params.items():
            assert (name if value is True else f"{name}={value}") in agreed
        text = "compressible text, " * 2000
        for _ in range(3):  # later messages use (or must not use) the earlier context
            ws.send(text)
            assert ws.recv(timeout=TIMEOUT) == text
        ws.send(bytes(range(256)) * 100)
        assert ws.recv(timeout=TIMEOUT) == bytes(range(256)) * 100


def test_stopping_the_server_says_going_away() -> None:
    with contextlib.ExitStack() as client:
        with running(reference()) as server:
            ws = client.enter_context(ws_connect(url(server), open_timeout=TIMEOUT))
            ws.send("still here")
            assert ws.recv(timeout=TIMEOUT) == "still here"
        # Leaving ``running`` closed the server: §7.4.1 1001, "a server going down".
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=TIMEOUT)
        assert ws.close_code == 1001


def test_websockets_client_over_wss(certificates: tuple[ssl.SSLContext, Path]) -> None:
    context, cafile = certificates
    with running(reference("wss", server_ssl=context)) as server:
        with ws_connect(url(server, "wss"), ssl=client_context(cafile)) as ws:
            ws.send("secure")
            assert ws.recv(timeout=TIMEOUT) == "secure"
        assert ws.close_code == 1000


# -- websocket-client -----------------------------------------------------------------


def test_websocket_client_library_echo_ping_close(plain: Server) -> None:
    ws = websocket_client.create_connection(url(plain), timeout=TIMEOUT)
    try:
        ws.send("hello")
        opcode, data = ws.recv_data()
        assert (opcode, data) == (websocket_client.ABNF.OPCODE_TEXT, b"hello")
        ws.send_binary(b"\x00\x01\x02")
        opcode, data = ws.recv_data()
        assert (opcode, data) == (websocket_client.ABNF.OPCODE_BINARY, b"\x00\x01\x02")
        ws.ping(b"are you there")
        opcode, data = ws.recv_data(control_frame=True)
        assert (opcode, data) == (websocket_client.ABNF.OPCODE_PONG, b"are you there")
        ws.send_close(1000, b"bye")
        frame = ws.recv_frame()  # type: ignore[no-untyped-call]
        assert frame.opcode == websocket_client.ABNF.OPCODE_CLOSE
        assert frame.data[:2] == b"\x03\xe8"
    finally:
        ws.close()


def test_websocket_client_library_over_wss(certificates: tuple[ssl.SSLContext, Path]) -> None:
    context, cafile = certificates
    with running(reference("wss", server_ssl=context)) as server:
        ws = websocket_client.create_connection(
            url(server, "wss"), timeout=TIMEOUT, sslopt={"ca_certs": str(cafile)}
        )
        try:
            ws.send("über TLS")
            assert ws.recv() == "über TLS"
        finally:
            ws.close()


# -- our client against a websockets server, and against ours --------------------------


async def _websockets_echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def _talk(address: str, *, deflate: bool, cafile: Path | None = None) -> None:
    context = client_context(cafile) if cafile else None
    client = await WebSocketClient.connect(address, ssl=context, deflate=deflate, timeout=TIMEOUT)
    async with client:
        assert (client.handshake.deflate is not None) is deflate
        for size in SIZES:
            await client.send("t" * size)
            assert await client.receive() == "t" * size
        await client.send(b"\xff" * 1000, fragment_size=100)
        assert await client.receive() == b"\xff" * 1000
    received = client.connection.close_received
    assert received is not None and received.code == 1000
    assert client.connection.closed_cleanly


@pytest.mark.parametrize("deflate", [False, True])
def test_our_client_against_a_websockets_server(deflate: bool) -> None:
    async def run() -> None:
        async with serve(_websockets_echo, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            await _talk(f"ws://127.0.0.1:{port}/", deflate=deflate)

    asyncio.run(run())


def test_our_client_against_our_server_over_wss(
    certificates: tuple[ssl.SSLContext, Path],
) -> None:
    context, cafile = certificates
    with running(reference("wss", server_ssl=context)) as server:
        asyncio.run(_talk(url(server, "wss"), deflate=True, cafile=cafile))


def test_our_client_reports_a_refused_handshake(plain: Server) -> None:
    async def run() -> None:
        with pytest.raises(RemoteProtocolError) as excinfo:
            await WebSocketClient.connect(
                url(plain), extra_headers=[("Sec-WebSocket-Version", "8")], timeout=TIMEOUT
            )
        assert excinfo.value.code == 426  # 13 and 8: not a version we speak

    asyncio.run(run())


# -- raw sockets: what those libraries never send -------------------------------------

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def upgrade(sock: socket.socket, *, extra: str = "", version: str = "13") -> bytes:
    request = (
        "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
        f"Sec-WebSocket-Version: {version}\r\n{extra}\r\n"
    )
    sock.sendall(request.encode())
    head = bytearray()
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, f"EOF in the response head: {bytes(head)!r}"
        head += chunk
    return bytes(head)


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b0, b1 = read_exactly(sock, 2)
    assert not b1 & 0x80, "a server must not mask"
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read_exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read_exactly(sock, 8))
    return b0, read_exactly(sock, length)


def test_handshake_answers_accept_key_and_refusals(plain: Server) -> None:
    with connect(plain) as sock:
        head = upgrade(sock)
        assert head.startswith(b"HTTP/1.1 101 ")
        assert f"Sec-WebSocket-Accept: {accept_key(KEY)}\r\n".encode() in head
    with connect(plain) as sock:
        head = upgrade(sock, version="8")
        assert head.startswith(b"HTTP/1.1 426 ")
        assert b"\r\nSec-WebSocket-Version: 13\r\n" in head
        read_until_eof(sock)
    with connect(plain) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
        assert read_until_eof(sock).startswith(b"HTTP/1.1 400 ")


def test_unmasked_frame_fails_with_1002_then_server_closes_after_our_close(
    plain: Server,
) -> None:
    with connect(plain) as sock:
        upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"unmasked"))
        opcode, payload = read_frame(sock)
        assert (opcode, payload[:2]) == (0x88, b"\x03\xea")
        sock.sendall(encode_frame(Opcode.CLOSE, b"\x03\xea", mask=True))
        # §7.1.1: the server closes TCP first, once both Close frames are through.
        assert read_until_eof(sock) == b""


def test_invalid_utf8_fails_fast_before_the_message_ends(plain: Server) -> None:
    with connect(plain) as sock:
        upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"ok \xf4\x90\x80\x80", fin=False, mask=True))
        opcode, payload = read_frame(sock)  # no continuation was sent
        assert (opcode, payload[:2]) == (0x88, b"\x03\xef")


def test_ping_between_fragments_is_answered_first(plain: Server) -> None:
    with connect(plain) as sock:
        upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"he", fin=False, mask=True))
        sock.sendall(encode_frame(Opcode.PING, b"p1", mask=True))
        assert read_frame(sock) == (0x8A, b"p1")
        sock.sendall(encode_frame(Opcode.CONTINUATION, b"llo", mask=True))
        assert read_frame(sock) == (0x81, b"hello")
        # One octet per write: the decoder must not care where TCP splits.
        for byte in encode_frame(Opcode.BINARY, b"slow", mask=True):
            sock.sendall(bytes([byte]))
        assert read_frame(sock) == (0x82, b"slow")


def test_oversize_message_is_1009() -> None:
    with running(reference(max_message=1000)) as server, connect(server) as sock:
        upgrade(sock)
        sock.sendall(encode_frame(Opcode.BINARY, bytes(1001), mask=True))
        opcode, payload = read_frame(sock)
        assert (opcode, payload[:2]) == (0x88, b"\x03\xf1")


def test_idle_timeout_closes_with_1001_and_handshake_timeout_drops() -> None:
    start = reference(idle_timeout=0.3, handshake_timeout=0.3, close_timeout=0.3)
    with running(start) as server:
        with connect(server) as sock:
            upgrade(sock)
            started = time.monotonic()
            opcode, payload = read_frame(sock)
            assert (opcode, payload[:2]) == (0x88, b"\x03\xe9")
            assert read_until_eof(sock) == b"", "closed after the close timeout"
            assert time.monotonic() - started < TIMEOUT
        with connect(server) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
            assert read_until_eof(sock) == b""


def test_memory_stays_bounded_when_the_client_does_not_read() -> None:
    stats = WebSocketStats()
    high = 64 * 1024
    limit = 64 * 1024 * 1024
    with running(reference(stats=stats, write_buffer_high=high)) as server, connect(server) as sock:
        upgrade(sock)
        sock.settimeout(0.5)
        message = encode_frame(Opcode.BINARY, bytes(16 * 1024), mask=True)
        sent, deadline = 0, time.monotonic() + TIMEOUT
        with contextlib.suppress(TimeoutError):
            while time.monotonic() < deadline and sent < limit:
                sent += sock.send(message)
        # Blocked for 0.5 s: the server stopped reading, everything backs up to us.
        assert sent < limit, "the server kept reading what it could not send"
    # One read (256 KiB in asyncio) of echoes on top of the high-water mark at most.
    assert 0 < stats.max_write_buffer <= high + 300 * 1024


def test_subprotocol_and_origin_check() -> None:
    def only_example(request: UpgradeRequest) -> int | None:
        return None if request.origin == "https://example.com" else 403

    listen = Listen("ws", "127.0.0.1", 0)
    start = lambda: ws_server.start(listen, subprotocols=("chat",), check=only_example)  # noqa: E731
    with running(start) as server:
        with connect(server) as sock:
            head = upgrade(
                sock, extra="Origin: https://example.com\r\nSec-WebSocket-Protocol: x, chat\r\n"
            )
            assert b"\r\nSec-WebSocket-Protocol: chat\r\n" in head
        with connect(server) as sock:
            head = upgrade(sock, extra="Origin: https://evil.example\r\n")
            assert head.startswith(b"HTTP/1.1 403 ")


def test_closed_connection_raises_connection_closed(plain: Server) -> None:
    async def run() -> None:
        client = await WebSocketClient.connect(url(plain), timeout=TIMEOUT)
        await client.close(4000, "bye")
        received = client.connection.close_received
        assert received is not None and received.code == 4000
        with pytest.raises(ConnectionClosed):
            await client.receive()

    asyncio.run(run())


def test_serve_command_over_wss_with_a_message_limit() -> None:
    """``python -m reference_impls serve websocket``: wss with a certificate made at start."""
    command = [sys.executable, "-m", "reference_impls", "serve", "websocket"]
    command += ["--listen", "wss://127.0.0.1:0", "--max-message", "10"]
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().split() for _ in range(2)]
        cafile = next(line[1] for line in lines if line[0] == "ca")
        ready = next(line for line in lines if line[0] == "listening")
        assert ready[:3] == ["listening", "wss", "127.0.0.1"]
        address = f"wss://127.0.0.1:{ready[3]}/"
        with ws_connect(address, ssl=client_context(Path(cafile))) as ws:
            ws.send("ten bytes!")
            assert ws.recv(timeout=TIMEOUT) == "ten bytes!"
            ws.send("eleven byte")
            with pytest.raises(ConnectionClosedError):
                ws.recv(timeout=TIMEOUT)
        assert ws.close_code == 1009
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0


def test_over_tls_the_server_closes_tcp_even_without_our_close_notify(
    certificates: tuple[ssl.SSLContext, Path],
) -> None:
    context, cafile = certificates
    with running(reference("wss", server_ssl=context)) as server:
        raw = connect(server)
        with client_context(cafile).wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            upgrade(sock)
            sock.sendall(encode_frame(Opcode.CLOSE, b"\x03\xe8", mask=True))
            assert read_frame(sock) == (0x88, b"\x03\xe8")
            assert sock.recv(1) == b"", "close_notify after the Close"
            # We never answer the close_notify: TCP must still end (§7.1.1), soon.
            started = time.monotonic()
            with socket.socket(fileno=os.dup(sock.fileno())) as plain_view:
                plain_view.settimeout(TIMEOUT)
                assert plain_view.recv(1) == b"", "FIN"
            assert time.monotonic() - started < ws_server.TLS_CLOSE_GRACE + 1


CHROMIUM_PAGE = """<!doctype html><meta charset="utf-8"><script>
const log = [];
const ws = new WebSocket("ws://127.0.0.1:%(ws)d/echo");
ws.binaryType = "arraybuffer";
const sent = ["h\\u00e9llo", new Uint8Array([1, 2, 3]), "x".repeat(70000),
              String.fromCodePoint(0x1F600).repeat(5000)];
ws.onopen = () => { log.push("open " + ws.extensions); sent.forEach((m) => ws.send(m)); };
ws.onmessage = (e) => {
  const i = log.length - 1, want = sent[i];
  const same = typeof e.data === "string" ? e.data === want
    : new Uint8Array(e.data).join() === want.join();
  log.push(same ? "same" : "different");
  if (log.length === sent.length + 1) ws.close(4000, "bye");
};
ws.onclose = (e) => {
  log.push("close " + e.code + " " + e.wasClean);
  fetch("/done?" + encodeURIComponent(log.join(";")));
};
</script>"""


@pytest.mark.slow
def test_chromium_echo_with_permessage_deflate_and_clean_close(tmp_path: Path) -> None:
    """Chromium's own WebSocket client (it offers permessage-deflate) against our server."""
    import http.server
    import shutil
    import signal
    import threading
    import urllib.parse

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    stats = WebSocketStats()
    reports: list[str] = []
    with running(reference(stats=stats)) as server:
        page = (CHROMIUM_PAGE % {"ws": server.sockname[1]}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/done?"):
                    reports.append(urllib.parse.unquote(self.path[6:]))
                    body = b""
                else:
                    body = page
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        browser = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-port=0", f"--user-data-dir={tmp_path}",
             f"http://127.0.0.1:{httpd.server_address[1]}/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not reports and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(TIMEOUT)
            httpd.shutdown()
            httpd.server_close()
    assert reports == ["open permessage-deflate;same;same;same;same;close 4000 true"]
    assert stats.clean_closes == 1 and stats.failures == 0


def test_the_suite_certifies_the_reference_against_its_stated_message_limit(
    tmp_path: Path,
) -> None:
    """The stated-limit checks, left out of the default certification run (they need the
    limit stated), pass against ``serve websocket --max-message 4096``."""
    from brokenservers import run_suite_against

    command = [sys.executable, "-m", "reference_impls", "serve", "websocket"]
    command += ["--listen", "ws://127.0.0.1:0", "--max-message", "4096"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        run = run_suite_against(
            "websocket",
            [f"ws://127.0.0.1:{ready[3]}/"],
            tmp_path,
            "--websocket-max-message",
            "4096",
            "--spec",
            "websocket/rfc6455/10.4/",
            "--spec",
            "websocket/rfc6455/7.4.1/",
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert set(run.outcomes()) == {
        "websocket/rfc6455/10.4/stated-limit",
        "websocket/rfc6455/7.4.1/message-too-big-1009",
    }, run.summary()


def test_the_suite_knows_the_references_message_limit() -> None:
    """The suite checks the embedded reference against the limit it serves with."""
    from suites.websocket.cases import REFERENCE_MAX_MESSAGE

    assert REFERENCE_MAX_MESSAGE == ws_server.DEFAULT_MAX_MESSAGE

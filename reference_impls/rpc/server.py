"""asyncio shell of Go's net/rpc server (gob codec), serving the Arith example.

One TCP port serves both of Go's ways in: a raw connection (``rpc.Accept`` /
``ServeConn``, dialled with ``rpc.Dial``) and HTTP CONNECT (``rpc.HandleHTTP``, dialled
with ``rpc.DialHTTP``). The first byte tells them apart: an HTTP request starts with
an upper-case letter, a gob stream with a message count, and the count of the first
message a Go client sends (its Request type) is 0x2f. After ``CONNECT /_goRPC_`` the
server answers Go's exact line and speaks gob RPC on the same socket; any other
method gets Go's ``405 must CONNECT``, another path ``404 page not found``.

Each call runs as its own task; responses go out in the order calls complete, as
Go's server writes them.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import re
import socket
from collections.abc import Mapping
from typing import cast

from reference_impls._shell import Connections, Listen, Server, start_stream
from reference_impls.rpc.protocol import (
    DEFAULT_RPC_PATH,
    HTTP_CONNECTED,
    MAX_MESSAGE_SIZE,
    Call,
    Method,
    RpcServerConnection,
)

__all__ = ["MAX_HTTP_HEAD", "MAX_IN_FLIGHT", "http_error", "start"]

log = logging.getLogger(__name__)

#: The longest HTTP request head read before giving up (bytes).
MAX_HTTP_HEAD = 8192
#: Reading pauses while this many calls of one connection are running.
MAX_IN_FLIGHT = 1024
#: Reading pauses while more than this waits to be sent.
WRITE_BUFFER_HIGH = 256 * 1024

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_HTTP_FIRST = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def http_error(version: str, status: str, body: bytes, *, extra: str = "") -> bytes:
    """A small plain-text error response, header for header as Go's net/http writes it
    (``extra``: more header lines, each ending in CRLF)."""
    date = email.utils.formatdate(usegmt=True)
    return (
        f"{version} {status}\r\nContent-Type: text/plain; charset=utf-8\r\n{extra}"
        f"Date: {date}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class RpcStreamProtocol(asyncio.Protocol):
    """One TCP connection: HTTP CONNECT or raw, then gob RPC."""

    def __init__(
        self,
        connections: Connections,
        services: Mapping[str, Mapping[str, Method]] | None,
        path: str,
    ) -> None:
        self._connections = connections
        self._core = RpcServerConnection(services, max_message_size=MAX_MESSAGE_SIZE)
        self._path = path
        self._transport: asyncio.Transport | None = None
        self._mode: str | None = None  # None: undecided; "http": reading the head; "rpc"
        self._head = bytearray()
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)

    def data_received(self, data: bytes) -> None:
        try:
            if self._mode is None:
                self._mode = "http" if data[0] in _HTTP_FIRST else "rpc"
            if self._mode == "http":
                self._http(data)
                return
            self._core.receive_data(data)
            self._after_input()
        except Exception:
            log.exception("rpc: connection failed")
            if self._transport is not None:
                self._transport.abort()

    def eof_received(self) -> bool:
        self._core.receive_eof()
        self._flush()
        return True  # closed by _flush once the calls in flight have answered

    def pause_writing(self) -> None:
        self._set_paused(True)

    def resume_writing(self) -> None:
        self._set_paused(False)

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self._tasks:
            task.cancel()
        if self._transport is not None:
            self._connections.closed(self._transport)

    # -- HTTP ---------------------------------------------------------------------

    def _http(self, data: bytes) -> None:
        transport = self._transport
        assert transport is not None
        self._head += data
        match = _HEAD_END.search(self._head)
        if match is None:
            if len(self._head) > MAX_HTTP_HEAD:
                transport.write(http_error("HTTP/1.1", "431 Request Header Fields Too Large", b""))
                transport.close()
            return
        head, rest = bytes(self._head[: match.start()]), bytes(self._head[match.end() :])
        self._head.clear()
        parts = head.split(b"\r\n" if b"\r\n" in head else b"\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            transport.write(http_error("HTTP/1.1", "400 Bad Request", b"400 Bad Request"))
            transport.close()
            return
        method, target, version = parts
        if target != self._path:
            nosniff = "X-Content-Type-Options: nosniff\r\n"
            transport.write(
                http_error(version, "404 Not Found", b"404 page not found\n", extra=nosniff)
            )
            transport.close()
        elif method != "CONNECT":
            transport.write(http_error(version, "405 Method Not Allowed", b"405 must CONNECT\n"))
            transport.close()
        else:
            transport.write(HTTP_CONNECTED)
            self._mode = "rpc"
            if rest:
                self._core.receive_data(rest)
                self._after_input()

    # -- RPC ----------------------------------------------------------------------

    def _after_input(self) -> None:
        loop = asyncio.get_running_loop()
        for call in self._core.next_calls():
            task = loop.create_task(self._run(call))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._flush()
        if self._core.in_flight >= MAX_IN_FLIGHT:
            self._set_paused(True)

    async def _run(self, call: Call) -> None:
        reply, error = self._core.run(call)
        if inspect.isawaitable(reply):
            reply = await reply
        self._core.respond(call, reply, error)
        self._flush()
        if self._core.in_flight < MAX_IN_FLIGHT // 2 and not self._write_full():
            self._set_paused(False)

    def _write_full(self) -> bool:
        transport = self._transport
        return transport is not None and transport.get_write_buffer_size() > WRITE_BUFFER_HIGH

    def _set_paused(self, paused: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing() or paused == self._paused:
            return
        self._paused = paused
        if paused:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def _flush(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        out = self._core.data_to_send()
        if out:
            transport.write(out)
        if self._core.should_close:
            if self._core.error is not None:
                log.info("rpc: closing after a header that did not decode: %s", self._core.error)
            transport.close()


async def start(
    listen: Listen,
    *,
    services: Mapping[str, Mapping[str, Method]] | None = None,
    path: str = DEFAULT_RPC_PATH,
) -> Server:
    """Serve Go's net/rpc (Arith, unless ``services``) on ``listen``: raw and HTTP CONNECT.

    The listener is TCP; an ``http`` listen address (should the shell pass one) is
    served the same way, since one port takes both.
    """
    if str(listen.scheme) not in ("tcp", "http"):
        raise ValueError(f"net/rpc runs over TCP, not {listen.scheme}")
    tcp = Listen("tcp", listen.host, listen.port)
    server = await start_stream(
        tcp, lambda connections: RpcStreamProtocol(connections, services, path)
    )
    server.listen = listen  # announced as asked (tcp or http)
    return server

"""Echo (RFC 862) asyncio shell over :mod:`reference_impls.echo.protocol`."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from ssl import SSLContext
from typing import cast

from reference_impls._shell import (
    Connections,
    Listen,
    ReplyingDatagramProtocol,
    Server,
    start_datagram,
    start_stream,
)
from reference_impls.echo.protocol import EchoConnection, echo_datagram

__all__ = ["WRITE_BUFFER_HIGH", "EchoStats", "EchoStreamProtocol", "start"]

log = logging.getLogger(__name__)

#: Reading stops while more than this waits to be sent on a connection. A client that
#: sends but never reads then fills its own socket buffers, not the server's memory:
#: at most this plus one read (256 KiB in asyncio) is held per connection.
WRITE_BUFFER_HIGH = 256 * 1024


@dataclass
class EchoStats:
    """Counters of one TCP echo listener, shared by its connections (for tests and ops)."""

    connections_opened: int = 0
    connections_closed: int = 0
    #: The largest write buffer any connection had right after a write.
    max_write_buffer: int = 0
    #: Times a connection stopped reading because its peer was not reading.
    pauses: int = 0
    #: Connections that are paused now.
    paused: int = 0
    #: Connections ended by an exception in our code (contained to that connection).
    errors: int = 0
    #: Connections closed by the idle timeout.
    idle_closes: int = 0


class EchoStreamProtocol(asyncio.Protocol):
    """One TCP connection: everything received goes back; close after the client's EOF."""

    def __init__(
        self,
        connections: Connections,
        stats: EchoStats,
        *,
        idle_timeout: float | None,
        write_buffer_high: int,
    ) -> None:
        self._connections = connections
        self._stats = stats
        self._idle_timeout = idle_timeout
        self._write_buffer_high = write_buffer_high
        self._echo = EchoConnection()
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0
        self._last_buffer_size = 0

    # asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        self._stats.connections_opened += 1
        try:
            sock = self._transport.get_extra_info("socket")
            if sock is not None:
                # An echo is a round trip: Nagle would hold back small replies.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._transport.set_write_buffer_limits(high=self._write_buffer_high)
            if self._idle_timeout is not None:
                loop = asyncio.get_running_loop()
                self._last_activity = loop.time()
                self._idle_timer = loop.call_later(self._idle_timeout, self._check_idle)
        except Exception:
            self._fail("setting up")

    def data_received(self, data: bytes) -> None:
        try:
            self._touch()
            self._echo.receive_data(data)
            self._send()
        except Exception:
            self._fail("echoing")

    def eof_received(self) -> bool:
        try:
            self._echo.receive_eof()
            self._send()
        except Exception:
            self._fail("closing")
            return False
        # RFC 862: "This continues until the calling user terminates the connection."
        # Returning False closes the transport, which first sends what is buffered.
        return not self._echo.should_close

    def pause_writing(self) -> None:
        # The peer is not reading: stop reading too, so its data waits in the kernel
        # (and, once that is full, in the peer) instead of in our write buffer.
        if self._transport is not None and not self._paused:
            self._paused = True
            self._stats.pauses += 1
            self._stats.paused += 1
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and self._paused:
            self._paused = False
            self._stats.paused -= 1
            self._touch()
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        # exc is e.g. ConnectionResetError when the client reset: only this connection ends.
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._paused:
            self._paused = False
            self._stats.paused -= 1
        self._stats.connections_closed += 1
        if self._transport is not None:
            self._connections.closed(self._transport)

    # helpers ----------------------------------------------------------------------

    def _send(self) -> None:
        assert self._transport is not None
        out = self._echo.data_to_send()
        if out:
            self._transport.write(out)
            size = self._transport.get_write_buffer_size()
            self._stats.max_write_buffer = max(self._stats.max_write_buffer, size)

    def _touch(self) -> None:
        if self._idle_timeout is not None:
            self._last_activity = asyncio.get_running_loop().time()

    def _check_idle(self) -> None:
        transport, timeout = self._transport, self._idle_timeout
        assert transport is not None and timeout is not None
        loop = asyncio.get_running_loop()
        now = loop.time()
        size = transport.get_write_buffer_size()
        if size != self._last_buffer_size:
            # The write buffer changed: bytes went out to the peer.
            self._last_buffer_size = size
            self._last_activity = now
        remaining = self._last_activity + timeout - now
        if remaining > 0:
            self._idle_timer = loop.call_later(remaining, self._check_idle)
            return
        self._idle_timer = None
        self._stats.idle_closes += 1
        if size or transport.is_closing():
            # What is buffered would never be read: a graceful close would wait forever.
            transport.abort()
        else:
            transport.close()

    def _fail(self, doing: str) -> None:
        # Contain the failure to this connection; every other one goes on.
        log.exception("echo: connection failed while %s", doing)
        self._stats.errors += 1
        if self._transport is not None:
            self._transport.abort()


async def start(
    listen: Listen,
    *,
    idle_timeout: float | None = None,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: EchoStats | None = None,
    ssl: SSLContext | None = None,
) -> Server:
    """Serve echo on ``listen`` (TCP, UDP, or TLS with ``ssl``: the book's chapter 7).

    ``idle_timeout`` closes a TCP connection after that many seconds with no traffic
    in either direction (None: never). ``stats`` is filled in by TCP connections.
    """
    if idle_timeout is not None and idle_timeout <= 0:
        raise ValueError(f"idle_timeout must be positive seconds, got {idle_timeout}")
    if listen.scheme not in ("tcp", "udp", "tls"):
        raise ValueError(f"echo runs over TCP, UDP or TLS, not {listen.scheme}")
    if listen.scheme == "udp":
        return await start_datagram(
            listen, lambda sock: ReplyingDatagramProtocol(echo_datagram, sock)
        )
    counters = stats if stats is not None else EchoStats()
    return await start_stream(
        listen,
        lambda connections: EchoStreamProtocol(
            connections,
            counters,
            idle_timeout=idle_timeout,
            write_buffer_high=write_buffer_high,
        ),
        ssl=ssl,
    )

"""The asyncio shell of the value echo services (JSON and gob echo of the book's Person).

A sans-IO core (:class:`ValueEchoCore`) turns bytes into replies; this shell only
moves bytes. Each connection answers values until the client closes (or, with
``rounds``, after that many, as the book's servers do after ten). Malformed input
ends the connection: the replies before it are sent, then FIN; what the client still
sends is read and thrown away for up to :data:`LINGER` seconds, so the close is
orderly (closing with unread input would reset the connection and could destroy the
replies in flight).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from reference_impls._shell import Connections, Listen, Server, start_stream

__all__ = [
    "LINGER",
    "WRITE_BUFFER_HIGH",
    "ValueEchoCore",
    "ValueEchoStats",
    "ValueEchoStreamProtocol",
    "start_value_echo",
]


class ValueEchoCore(Protocol):
    """What the shell needs of a sans-IO echo core."""

    @property
    def answered(self) -> int: ...

    @property
    def should_close(self) -> bool: ...

    @property
    def error(self) -> object: ...

    def receive_data(self, data: bytes) -> None: ...

    def receive_eof(self) -> None: ...

    def data_to_send(self) -> bytes: ...


log = logging.getLogger(__name__)

#: Reading stops while more than this waits to be sent: a client that sends but never
#: reads fills its own buffers, not the server's memory.
WRITE_BUFFER_HIGH = 256 * 1024
#: After our FIN, how long the client may take to close before we abort (seconds).
LINGER = 5.0


@dataclass
class ValueEchoStats:
    """Counters of one listener, shared by its connections (for tests and ops)."""

    connections_opened: int = 0
    connections_closed: int = 0
    #: Values answered (Persons, for the book's services).
    persons: int = 0
    #: Connections ended by malformed input.
    malformed: int = 0
    #: Connections ended by an exception in our code (contained to that connection).
    errors: int = 0
    idle_closes: int = 0


class ValueEchoStreamProtocol(asyncio.Protocol):
    """One TCP connection of a value echo service, around its sans-IO core."""

    def __init__(
        self,
        connections: Connections,
        stats: ValueEchoStats,
        core: ValueEchoCore,
        *,
        name: str,
        idle_timeout: float | None,
        write_buffer_high: int,
    ) -> None:
        self._name = name
        self._connections = connections
        self._stats = stats
        self._idle_timeout = idle_timeout
        self._write_buffer_high = write_buffer_high
        self._core = core
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._finished = False  # our FIN is sent; input is now thrown away
        self._timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0

    # asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        self._stats.connections_opened += 1
        try:
            sock = self._transport.get_extra_info("socket")
            if sock is not None:
                # A round trip per value: Nagle would hold back small replies.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._transport.set_write_buffer_limits(high=self._write_buffer_high)
            if self._idle_timeout is not None:
                loop = asyncio.get_running_loop()
                self._last_activity = loop.time()
                self._timer = loop.call_later(self._idle_timeout, self._check_idle)
        except Exception:
            self._fail("setting up")

    def data_received(self, data: bytes) -> None:
        if self._finished:
            return  # after our FIN: read and thrown away until the client closes
        try:
            self._touch()
            self._core.receive_data(data)
            self._flush()
        except Exception:
            self._fail("answering")

    def eof_received(self) -> bool:
        if self._finished:
            return False  # the client closed after our FIN: close now
        try:
            self._core.receive_eof()
            self._flush()
        except Exception:
            self._fail("closing")
        # Returning False closes the transport once what is buffered has been sent.
        return False

    def pause_writing(self) -> None:
        if self._transport is not None and not self._paused:
            self._paused = True
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and self._paused:
            self._paused = False
            self._touch()
            if not self._transport.is_closing():
                self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stats.connections_closed += 1
        if self._transport is not None:
            self._connections.closed(self._transport)

    # helpers ----------------------------------------------------------------------

    def _flush(self) -> None:
        transport = self._transport
        assert transport is not None
        before = self._core.answered
        out = self._core.data_to_send()
        self._stats.persons += self._core.answered - before
        if out:
            transport.write(out)
        if self._core.should_close and not self._finished:
            self._finish()

    def _finish(self) -> None:
        """No more values: FIN after the replies, then wait (bounded) for the client."""
        transport = self._transport
        assert transport is not None
        self._finished = True
        if self._core.error is not None:
            self._stats.malformed += 1
            log.info("%s: closing after malformed input: %s", self._name, self._core.error)
        if transport.is_closing():
            return
        if self._paused:
            self._paused = False
            transport.resume_reading()  # input is only thrown away from now on
        if transport.can_write_eof():
            transport.write_eof()
        else:
            transport.close()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(LINGER, self._abort)

    def _abort(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._transport.abort()

    def _touch(self) -> None:
        if self._idle_timeout is not None:
            self._last_activity = asyncio.get_running_loop().time()

    def _check_idle(self) -> None:
        transport, timeout = self._transport, self._idle_timeout
        assert transport is not None and timeout is not None
        if self._finished:
            return  # the linger timer has taken over
        loop = asyncio.get_running_loop()
        remaining = self._last_activity + timeout - loop.time()
        if remaining > 0:
            self._timer = loop.call_later(remaining, self._check_idle)
            return
        self._timer = None
        self._stats.idle_closes += 1
        transport.abort()

    def _fail(self, doing: str) -> None:
        # Contain the failure to this connection; every other one goes on.
        log.exception("%s: connection failed while %s", self._name, doing)
        self._stats.errors += 1
        if self._transport is not None:
            self._transport.abort()


async def start_value_echo(
    listen: Listen,
    core: Callable[[], ValueEchoCore],
    *,
    name: str,
    idle_timeout: float | None = None,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: ValueEchoStats | None = None,
) -> Server:
    """Serve ``core()`` per connection on ``listen`` (TCP only).

    ``idle_timeout``: abort a connection with no input for that many seconds (None:
    never). ``name`` labels the log lines.
    """
    if listen.scheme != "tcp":
        raise ValueError(f"the {name} service runs over TCP, not {listen.scheme}")
    if idle_timeout is not None and idle_timeout <= 0:
        raise ValueError(f"idle_timeout must be positive seconds, got {idle_timeout}")
    counters = stats if stats is not None else ValueEchoStats()
    return await start_stream(
        listen,
        lambda connections: ValueEchoStreamProtocol(
            connections,
            counters,
            core(),
            name=name,
            idle_timeout=idle_timeout,
            write_buffer_high=write_buffer_high,
        ),
    )

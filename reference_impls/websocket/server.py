"""WebSocket echo server (RFC 6455), an asyncio shell over the sans-IO cores.

Every text or binary message comes back as a message of the same type (what
Autobahn|Testsuite and the wirecert websocket suite expect of a target). Per connection
at most one message (``max_message``), one read and the write buffer's high-water mark
are held: reading stops while the peer does not read our echoes.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import socket
import ssl as ssl_module
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from reference_impls._shell import Connections, Listen, Server, StreamServer, start_stream
from reference_impls.errors import RemoteProtocolError
from reference_impls.websocket.connection import (
    DEFAULT_MAX_MESSAGE,
    BytesMessage,
    ConnectionState,
    TextMessage,
    WebSocketConnection,
)
from reference_impls.websocket.frames import CloseCode
from reference_impls.websocket.handshake import ServerHandshake, UpgradeRequest, error_response

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE",
    "HANDSHAKE_TIMEOUT",
    "SHUTDOWN_GRACE",
    "TLS_CLOSE_GRACE",
    "WRITE_BUFFER_HIGH",
    "WebSocketServer",
    "WebSocketServerProtocol",
    "WebSocketStats",
    "start",
]

log = logging.getLogger(__name__)

#: A client that has not sent a whole opening handshake by then is dropped (seconds).
HANDSHAKE_TIMEOUT = 10.0
#: After our Close, wait this long for the peer's before closing TCP (seconds).
CLOSE_TIMEOUT = 5.0
#: After our TLS close_notify, the peer has this long to answer before TCP is closed.
TLS_CLOSE_GRACE = 0.25
#: On close, connections get this long to finish the closing handshake (seconds).
SHUTDOWN_GRACE = 1.0
#: Reading stops while more than this waits to be sent on a connection.
WRITE_BUFFER_HIGH = 256 * 1024

#: Decides whether to accept a handshake (e.g. by its Origin, §10.2): None accepts,
#: an HTTP status (such as 403) refuses.
Check = Callable[[UpgradeRequest], int | None]


@dataclass
class WebSocketStats:
    """Counters of one listener, shared by its connections (for tests and operators)."""

    connections_opened: int = 0
    connections_closed: int = 0
    handshakes: int = 0
    handshakes_refused: int = 0
    messages: int = 0
    #: Connections we failed because the peer broke the protocol (§7.1.7).
    failures: int = 0
    #: Closing handshakes completed in both directions.
    clean_closes: int = 0
    timeouts: int = 0
    #: Connections ended by an exception in our code (contained to that connection).
    errors: int = 0
    max_write_buffer: int = 0


class _Phase(enum.Enum):
    HANDSHAKE = "handshake"
    OPEN = "open"
    #: Our Close is out (after a failure, idle, or shutdown): reading for the peer's.
    CLOSING = "closing"
    DONE = "done"


class WebSocketServerProtocol(asyncio.Protocol):
    """One connection: the opening handshake, then echo until the closing handshake."""

    def __init__(
        self,
        connections: Connections,
        stats: WebSocketStats,
        *,
        max_message: int | None,
        idle_timeout: float | None,
        handshake_timeout: float,
        close_timeout: float,
        deflate: bool,
        subprotocols: tuple[str, ...],
        check: Check | None,
        write_buffer_high: int,
        registry: set[WebSocketServerProtocol] | None = None,
    ) -> None:
        self._connections = connections
        self._registry = registry if registry is not None else set()
        self._stats = stats
        self._max_message = max_message
        self._idle_timeout = idle_timeout
        self._handshake_timeout = handshake_timeout
        self._close_timeout = close_timeout
        self._check = check
        self._write_buffer_high = write_buffer_high
        self._handshake = ServerHandshake(subprotocols=subprotocols, deflate=deflate)
        self._ws: WebSocketConnection | None = None
        self._phase = _Phase.HANDSHAKE
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False
        self._eof_sent = False
        self._last_activity = 0.0

    # -- asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        self._registry.add(self)
        self._stats.connections_opened += 1
        try:
            sock = self._transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._transport.set_write_buffer_limits(high=self._write_buffer_high)
            self._arm(self._handshake_timeout)
        except Exception:
            self._crash("setting up")

    def data_received(self, data: bytes) -> None:
        try:
            self._touch()
            if self._phase is _Phase.HANDSHAKE:
                self._handshake_data(data)
            elif self._phase in (_Phase.OPEN, _Phase.CLOSING):
                assert self._ws is not None
                self._ws.receive_data(data)
                self._pump()
        except Exception:
            self._crash("serving")

    def eof_received(self) -> bool:
        if self._ws is not None:
            self._ws.receive_eof()
        self._phase = _Phase.DONE
        return False  # close our side too

    def pause_writing(self) -> None:
        if self._transport is not None and not self._paused:
            self._paused = True
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and self._paused:
            self._paused = False
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.discard(self)
        self._cancel()
        self._phase = _Phase.DONE
        self._stats.connections_closed += 1
        if self._ws is not None and self._ws.closed_cleanly:
            self._stats.clean_closes += 1
        if self._transport is not None:
            self._connections.closed(self._transport)

    def going_away(self) -> None:
        """The server is stopping: §7.4.1 1001 "indicates that an endpoint is "going
        away", such as a server going down"; the closing handshake then runs as usual."""
        ws = self._ws
        if self._phase is _Phase.OPEN and ws is not None and ws.state is ConnectionState.OPEN:
            try:
                ws.send_close(CloseCode.GOING_AWAY, "server shutting down")
                self._pump()
            except Exception:
                self._crash("going away")
        elif self._phase is _Phase.HANDSHAKE and self._transport is not None:
            self._phase = _Phase.DONE
            self._transport.close()

    # -- the two phases -------------------------------------------------------------

    def _handshake_data(self, data: bytes) -> None:
        assert self._transport is not None
        try:
            request = self._handshake.receive_data(data)
        except RemoteProtocolError as exc:
            self._refuse(exc.code or 400, str(exc))
            return
        if request is None:
            return
        if self._check is not None:
            status = self._check(request)
            if status is not None:
                self._refuse(status, "refused")
                return
        response, agreed = self._handshake.accept()
        self._transport.write(response)
        self._stats.handshakes += 1
        self._ws = WebSocketConnection(
            is_server=True, deflate=agreed.deflate, max_message=self._max_message
        )
        self._phase = _Phase.OPEN
        self._cancel()
        if self._idle_timeout is not None:
            self._arm(self._idle_timeout)
        if agreed.trailing_data:
            self._ws.receive_data(agreed.trailing_data)
        self._pump()

    def _refuse(self, status: int, message: str) -> None:
        assert self._transport is not None
        log.debug("websocket: handshake refused with %d: %s", status, message)
        self._stats.handshakes_refused += 1
        self._transport.write(error_response(status, message))
        self._phase = _Phase.DONE
        self._transport.close()

    def _pump(self) -> None:
        """Handle every complete event, send what is due, close when the core says so."""
        ws, transport = self._ws, self._transport
        assert ws is not None and transport is not None
        try:
            self._echo_events(ws)
        except RemoteProtocolError as exc:
            log.debug("websocket: failing the connection with %s: %s", exc.code, exc)
            self._stats.failures += 1
            self._echo_events(ws)  # failed: only looks for the peer's Close, never raises
        self._flush()
        if ws.state is ConnectionState.OPEN:
            return
        if self._phase is _Phase.OPEN:
            # Our Close is out or both are: the peer gets close_timeout to finish.
            self._phase = _Phase.CLOSING
            self._arm(self._close_timeout)
            transport.resume_reading()
        if ws.state is ConnectionState.CLOSED or ws.error is not None:
            self._finish_sending(transport)

    def _echo_events(self, ws: WebSocketConnection) -> None:
        for event in ws.events():
            if isinstance(event, TextMessage | BytesMessage) and ws.state is ConnectionState.OPEN:
                self._stats.messages += 1
                ws.send_message(event.data)
                self._flush()

    def _finish_sending(self, transport: asyncio.Transport) -> None:
        """§7.1.1: "the server ... SHOULD close the underlying TCP connection first".

        With plain TCP this is a half close: what the peer still sends (its Close, a Ping
        after its Close) is read and dropped rather than answered with a reset, which
        could destroy our Close in the peer's receive buffer; the peer's EOF or the close
        timer ends the connection. TLS cannot half close: close() at once (it sends what
        is buffered first).
        """
        if self._eof_sent:
            return
        self._eof_sent = True
        if transport.can_write_eof():
            transport.write_eof()
        else:
            # asyncio's TLS close() sends close_notify and then waits for the peer's
            # (up to 30 s) before it closes TCP; a peer waiting for our FIN would wait
            # too. So the peer gets TLS_CLOSE_GRACE to answer, then TCP is closed.
            transport.close()
            self._arm(min(self._close_timeout, TLS_CLOSE_GRACE))

    def _flush(self) -> None:
        assert self._ws is not None and self._transport is not None
        out = self._ws.data_to_send()
        if out and not self._transport.is_closing():
            self._transport.write(out)
            size = self._transport.get_write_buffer_size()
            self._stats.max_write_buffer = max(self._stats.max_write_buffer, size)

    # -- timers ---------------------------------------------------------------------

    def _touch(self) -> None:
        if self._idle_timeout is not None and self._phase is _Phase.OPEN:
            self._last_activity = asyncio.get_running_loop().time()

    def _arm(self, delay: float) -> None:
        self._cancel()
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        self._timer = loop.call_later(delay, self._expired, delay)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self, delay: float) -> None:
        self._timer = None
        transport = self._transport
        if transport is None:
            return
        loop = asyncio.get_running_loop()
        if self._phase is _Phase.OPEN and self._ws is not None and not transport.is_closing():
            remaining = self._last_activity + delay - loop.time()
            if remaining > 0:
                self._timer = loop.call_later(remaining, self._expired, delay)
                return
            # Idle: §7.4.1 1001 "indicates that an endpoint is "going away"".
            self._stats.timeouts += 1
            self._ws.send_close(CloseCode.GOING_AWAY, "idle")
            self._pump()
            return
        # The handshake or the closing handshake took too long, or a TLS peer did not
        # answer our close_notify: the connection is still here, so end it.
        if not self._eof_sent:
            self._stats.timeouts += 1
        self._phase = _Phase.DONE
        transport.abort()

    def _crash(self, doing: str) -> None:
        log.exception("websocket: connection failed while %s", doing)
        self._stats.errors += 1
        self._phase = _Phase.DONE
        if self._transport is not None:
            self._transport.abort()


class WebSocketServer(Server):
    """A listener whose close() first says Going Away (1001) on every open connection."""

    def __init__(self, inner: StreamServer, protocols: set[WebSocketServerProtocol]) -> None:
        # Not Server.__init__: the inner server holds the socket and read its address.
        self.listen = inner.listen
        self._sockname = inner.sockname
        self._inner = inner
        self._protocols = protocols

    @property
    def connections(self) -> Connections:
        return self._inner.connections

    async def close(self) -> None:
        for protocol in list(self._protocols):
            protocol.going_away()
        # Bounded: peers get SHUTDOWN_GRACE to finish their closing handshakes, then the
        # listener's own close ends whatever is left.
        for _ in range(int(SHUTDOWN_GRACE / 0.01)):
            if not self._protocols:
                break
            await asyncio.sleep(0.01)
        await self._inner.close()


async def start(
    listen: Listen,
    *,
    ssl: ssl_module.SSLContext | None = None,
    max_message: int | None = DEFAULT_MAX_MESSAGE,
    idle_timeout: float | None = None,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    close_timeout: float = CLOSE_TIMEOUT,
    deflate: bool = True,
    subprotocols: tuple[str, ...] = (),
    check: Check | None = None,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: WebSocketStats | None = None,
) -> WebSocketServer:
    """Serve the WebSocket echo on ``listen`` (``ws``/``tcp``, or ``wss`` with ``ssl``).

    ``max_message``: the largest message accepted (bytes, after inflating); larger
    ones fail the connection with 1009. ``deflate``: accept permessage-deflate.
    ``check``: see :data:`Check`.
    """
    scheme = str(listen.scheme)
    if scheme not in ("tcp", "ws", "wss"):
        raise ValueError(f"websocket runs over ws:// or wss:// (or tcp://), not {scheme}")
    for name, value in (
        ("idle_timeout", idle_timeout),
        ("handshake_timeout", handshake_timeout),
        ("close_timeout", close_timeout),
    ):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive seconds, got {value}")
    if max_message is not None and max_message < 1:
        raise ValueError(f"max_message must be at least 1 byte, got {max_message}")
    counters = stats if stats is not None else WebSocketStats()
    protocols: set[WebSocketServerProtocol] = set()
    inner = await start_stream(
        listen,
        lambda connections: WebSocketServerProtocol(
            connections,
            counters,
            max_message=max_message,
            idle_timeout=idle_timeout,
            handshake_timeout=handshake_timeout,
            close_timeout=close_timeout,
            deflate=deflate,
            subprotocols=subprotocols,
            check=check,
            write_buffer_high=write_buffer_high,
            registry=protocols,
        ),
        ssl=ssl,
    )
    return WebSocketServer(inner, protocols)

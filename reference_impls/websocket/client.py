"""WebSocket client (RFC 6455), an asyncio shell over the sans-IO cores; ws:// and wss://.

>>> client = await WebSocketClient.connect("ws://127.0.0.1:9001/", timeout=5)
>>> await client.send("hello")
>>> await client.receive()
'hello'
>>> await client.close()

Nothing runs in the background: a Ping that arrives is answered while
:meth:`~WebSocketClient.receive` or :meth:`~WebSocketClient.close` reads. Every wait is
bounded by the client's ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
from collections.abc import Sequence
from urllib.parse import urlsplit

from reference_impls.errors import RemoteProtocolError
from reference_impls.websocket.connection import (
    DEFAULT_MAX_MESSAGE,
    BytesMessage,
    CloseReceived,
    ConnectionState,
    Event,
    Pong,
    TextMessage,
    WebSocketConnection,
)
from reference_impls.websocket.frames import CloseCode
from reference_impls.websocket.handshake import ClientHandshake, Handshake

__all__ = ["ConnectionClosed", "WebSocketClient", "parse_url"]

_READ = 65536


class ConnectionClosed(ConnectionError):
    """The connection is closed; ``code`` is the peer's close code (1006: no Close)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"connection closed: {code} {reason}".rstrip())
        self.code = code
        self.reason = reason


def parse_url(url: str) -> tuple[bool, str, int, str]:
    """``ws://host[:port]/path`` -> (secure, host, port, request target); ValueError if bad."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    if parts.fragment:
        # RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket
        # URIs and MUST NOT be used on these URIs."
        raise ValueError(f"a WebSocket URL has no fragment: {url!r}")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return secure, parts.hostname, port, target


class WebSocketClient:
    """One client connection; see the module's example."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: WebSocketConnection,
        handshake: Handshake,
        timeout: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._ws = connection
        self.handshake = handshake
        self.timeout = timeout
        self.pongs: list[bytes] = []

    @property
    def subprotocol(self) -> str | None:
        return self.handshake.subprotocol

    @property
    def connection(self) -> WebSocketConnection:
        """The sans-IO core (state, close codes)."""
        return self._ws

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        ssl: ssl_module.SSLContext | None = None,
        origin: str | None = None,
        subprotocols: Sequence[str] = (),
        deflate: bool = False,
        extra_headers: Sequence[tuple[str, str]] = (),
        max_message: int | None = DEFAULT_MAX_MESSAGE,
        timeout: float = 10.0,
    ) -> WebSocketClient:
        """Open TCP (and TLS for wss://), then the opening handshake (§4.1).

        A refused handshake raises :class:`RemoteProtocolError` whose ``code`` is the
        response's HTTP status.
        """
        secure, host, port, target = parse_url(url)
        if secure and ssl is None:
            ssl = ssl_module.create_default_context()
        if not secure:
            ssl = None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl, limit=_READ), timeout
        )
        try:
            default_port = 443 if secure else 80
            host_header = host if ":" not in host else f"[{host}]"
            if port != default_port:
                host_header += f":{port}"
            handshake = ClientHandshake(
                host_header,
                target,
                origin=origin,
                subprotocols=subprotocols,
                deflate=deflate,
                extra_headers=extra_headers,
            )
            writer.write(handshake.request())
            agreed = await asyncio.wait_for(cls._read_response(reader, handshake), timeout)
        except BaseException:
            writer.close()
            raise
        connection = WebSocketConnection(
            is_server=False, deflate=agreed.deflate, max_message=max_message
        )
        connection.receive_data(agreed.trailing_data)
        return cls(reader, writer, connection, agreed, timeout)

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader, handshake: ClientHandshake) -> Handshake:
        while True:
            data = await reader.read(_READ)
            if not data:
                raise RemoteProtocolError("connection closed during the opening handshake")
            agreed = handshake.receive_data(data)
            if agreed is not None:
                return agreed

    async def send(self, data: str | bytes, *, fragment_size: int | None = None) -> None:
        """Send a text (str) or binary (bytes) message."""
        self._ws.send_message(data, fragment_size=fragment_size)
        await self._flush()

    async def ping(self, payload: bytes = b"") -> None:
        self._ws.send_ping(payload)
        await self._flush()

    async def receive(self) -> str | bytes:
        """The next message; :class:`ConnectionClosed` once the peer has closed."""
        async with asyncio.timeout(self.timeout):
            while True:
                event = await self._next_event()
                if isinstance(event, TextMessage | BytesMessage):
                    return event.data
                if isinstance(event, CloseReceived):
                    await self._finish()
                    raise ConnectionClosed(event.code, event.reason)

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> CloseReceived | None:
        """The closing handshake (§7.1.2): send Close, read up to the peer's, then TCP.

        Returns the peer's Close (None if TCP ended without one). §7.1.1: the client
        waits for the server to close TCP first, but not longer than ``timeout``.
        """
        try:
            if self._ws.state is ConnectionState.OPEN:
                self._ws.send_close(code, reason)
                await self._flush()
            async with asyncio.timeout(self.timeout):
                while self._ws.state is not ConnectionState.CLOSED:
                    await self._next_event()
        except (ConnectionClosed, RemoteProtocolError, TimeoutError, OSError):
            pass
        finally:
            await self._finish()
        return self._ws.close_received

    async def _next_event(self) -> Event:
        while True:
            try:
                event = self._ws.next_event()
            except RemoteProtocolError:
                await self._flush()  # our Close with the error's code
                raise
            if event is not None:
                if isinstance(event, Pong):
                    self.pongs.append(event.payload)
                await self._flush()  # a Pong or the reply to a Close
                return event
            if self._ws.state is ConnectionState.CLOSED:
                raise ConnectionClosed(CloseCode.ABNORMAL, "closed")
            data = await self._reader.read(_READ)
            if not data:
                self._ws.receive_eof()
                received = self._ws.close_received
                if received is not None:
                    raise ConnectionClosed(received.code, received.reason)
                raise ConnectionClosed(CloseCode.ABNORMAL, "TCP closed without a Close")
            self._ws.receive_data(data)

    async def _flush(self) -> None:
        out = self._ws.data_to_send()
        if out and not self._writer.is_closing():
            self._writer.write(out)
            await self._writer.drain()

    async def _finish(self) -> None:
        """Wait (bounded) for the server to close TCP (§7.1.1), then close our side."""
        with contextlib.suppress(TimeoutError, OSError):
            async with asyncio.timeout(self.timeout):
                while await self._reader.read(_READ):
                    pass
        self._writer.close()
        with contextlib.suppress(TimeoutError, OSError, ssl_module.SSLError):
            await asyncio.wait_for(self._writer.wait_closed(), self.timeout)

    async def __aenter__(self) -> WebSocketClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

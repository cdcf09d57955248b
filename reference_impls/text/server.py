"""asyncio shell of the chapter 6 text services over :mod:`reference_impls.text.protocol`.

* ``start_utf8``: the UTF-8 server: the UTF-8 octets of a text, then close.
* ``start_utf16_sender``: the UTF-16 server: U+FEFF, the text, then close; big-endian
  (``FE FF`` first) unless told otherwise, as RFC 2781 and the book's 2nd edition do.
* ``start_utf16_echo``: a UTF-16 document in (until the client shuts down its sending
  side), BOM and the same text back, then close; invalid input gets a close, no reply.

TCP only: a UDP listen address is a :class:`~reference_impls._shell.ListenError`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import cast

from reference_impls._shell import Connections, Listen, ListenError, Server, start_stream
from reference_impls.text.protocol import (
    BOOK_UTF8_TEXT,
    BOOK_UTF16_TEXT,
    MAX_DOCUMENT,
    Utf16EchoConnection,
    utf8_document,
    utf16_document,
)
from reference_impls.text.utf16 import ByteOrder

__all__ = [
    "DocumentProtocol",
    "Utf16EchoProtocol",
    "start_utf8",
    "start_utf16_echo",
    "start_utf16_sender",
]

log = logging.getLogger(__name__)


def _tcp_only(listen: Listen, what: str) -> None:
    if listen.scheme != "tcp":
        raise ListenError(f"cannot listen on {listen}: the {what} service is TCP only")


class DocumentProtocol(asyncio.Protocol):
    """Send a fixed document as soon as the connection is made, then close."""

    def __init__(self, connections: Connections, document: bytes) -> None:
        self._connections = connections
        self._document = document
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        self._transport.write(self._document)
        # close() sends what is buffered first, then FIN.
        self._transport.close()

    def data_received(self, data: bytes) -> None:
        pass  # nothing is asked of the client; what it sends is ignored

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.closed(self._transport)


class Utf16EchoProtocol(asyncio.Protocol):
    """One UTF-16 echo connection (see :class:`Utf16EchoConnection`)."""

    def __init__(
        self, connections: Connections, *, order: ByteOrder, idle_timeout: float | None
    ) -> None:
        self._connections = connections
        self._echo = Utf16EchoConnection(order=order, max_document=MAX_DOCUMENT)
        self._idle_timeout = idle_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._arm()

    def data_received(self, data: bytes) -> None:
        self._arm()
        self._echo.receive_data(data)
        self._after()

    def eof_received(self) -> bool:
        self._echo.receive_eof()
        self._after()
        return False  # close once the reply (if any) is written

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._connections.closed(self._transport)

    def _after(self) -> None:
        assert self._transport is not None
        out = self._echo.data_to_send()
        if out:
            self._transport.write(out)
        if self._echo.failed is not None:
            log.info("utf16echo: no reply: %s", self._echo.failed)
        if self._echo.should_close:
            self._transport.close()

    def _arm(self) -> None:
        if self._idle_timeout is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        transport = self._transport
        assert transport is not None
        self._timer = asyncio.get_running_loop().call_later(self._idle_timeout, transport.abort)


async def start_utf8(listen: Listen, *, text: str = BOOK_UTF8_TEXT) -> Server:
    """The chapter 6 UTF-8 server: ``text`` in UTF-8 on each connection, then close."""
    _tcp_only(listen, "utf8text")
    document = utf8_document(text)
    return await start_stream(listen, lambda c: DocumentProtocol(c, document))


async def start_utf16_sender(
    listen: Listen, *, text: str = BOOK_UTF16_TEXT, order: ByteOrder = "big"
) -> Server:
    """The chapter 6 UTF-16 server: U+FEFF and ``text`` in ``order``, then close."""
    _tcp_only(listen, "utf16text")
    document = utf16_document(text, order=order)
    return await start_stream(listen, lambda c: DocumentProtocol(c, document))


async def start_utf16_echo(
    listen: Listen, *, order: ByteOrder = "big", idle_timeout: float | None = None
) -> Server:
    """The UTF-16 echo: replies in ``order``; ``idle_timeout`` aborts a silent client."""
    _tcp_only(listen, "utf16echo")
    if idle_timeout is not None and idle_timeout <= 0:
        raise ValueError(f"idle_timeout must be positive seconds, got {idle_timeout}")
    return await start_stream(
        listen,
        lambda c: Utf16EchoProtocol(c, order=order, idle_timeout=idle_timeout),
    )

"""Daytime (RFC 867) asyncio shell over :mod:`reference_impls.daytime.protocol`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from reference_impls._shell import (
    Connections,
    Listen,
    ReplyingDatagramProtocol,
    Server,
    start_datagram,
    start_stream,
)
from reference_impls.daytime.protocol import DaytimeConnection, reply_to_datagram

__all__ = ["LINGER", "DaytimeStreamProtocol", "start"]

log = logging.getLogger(__name__)

#: Seconds to wait, after the quote and our FIN, for the client to close its side.
LINGER = 5.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DaytimeStreamProtocol(asyncio.Protocol):
    """One TCP connection: the quote, then FIN; input is read and thrown away."""

    def __init__(
        self, connections: Connections, clock: Callable[[], datetime], linger: float
    ) -> None:
        self._connections = connections
        self._clock = clock
        self._linger = linger
        self._transport: asyncio.Transport | None = None
        self._daytime: DaytimeConnection | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        try:
            self._daytime = DaytimeConnection(self._clock())
        except Exception:
            # E.g. a clock giving a naive datetime: this connection fails, not the server.
            log.exception("daytime: no quote for this connection")
            self._transport.abort()
            return
        self._transport.write(self._daytime.data_to_send())
        if self._daytime.should_close:
            # RFC 867: "The service closes the connection after sending the quote."
            # write_eof() sends FIN once the quote is out and reading goes on: closing
            # the socket with unread input makes the kernel send RST, and a client
            # that has not read the quote yet would lose it.
            self._transport.write_eof()
            self._timer = asyncio.get_running_loop().call_later(self._linger, self._transport.close)

    def data_received(self, data: bytes) -> None:
        if self._daytime is not None:
            self._daytime.receive_data(data)

    def eof_received(self) -> bool:
        if self._daytime is not None:
            self._daytime.receive_eof()
        return False  # both sides are done: let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._connections.closed(self._transport)


async def start(
    listen: Listen,
    *,
    clock: Callable[[], datetime] | None = None,
    linger: float = LINGER,
) -> Server:
    """Serve daytime on ``listen`` (TCP or UDP); ``clock`` returns an aware datetime."""
    now = clock if clock is not None else _utc_now
    if listen.scheme not in ("tcp", "udp"):
        raise ValueError(f"daytime runs over TCP or UDP, not {listen.scheme}")
    if listen.scheme == "udp":
        return await start_datagram(
            listen,
            lambda sock: ReplyingDatagramProtocol(
                lambda data: reply_to_datagram(data, now()), sock
            ),
        )
    return await start_stream(
        listen, lambda connections: DaytimeStreamProtocol(connections, now, linger)
    )

"""HTTP/1.1 origin server: the asyncio shell over :mod:`reference_impls.http.protocol`.

``start(listen, root=DIR)`` serves ``DIR`` over ``http://`` (or ``https://`` with
``ssl=``). Without a root it serves a small demo tree made in a new temporary
directory (no index page at the top, so ``/`` is a generated listing, sent chunked;
a text file; a subdirectory with an index page; a binary file) and removes it when
the server closes.

Timers, per connection: a client gets :data:`HEADER_TIMEOUT` seconds in all to send a
header section once it has begun one (a client that trickles a byte at a time is
still cut off: the slowloris defence), :data:`BODY_TIMEOUT` seconds of silence while
sending content, and :data:`IDLE_TIMEOUT` seconds between requests. The first two
are answered 408 before the close; an idle connection is just closed.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import ssl as ssl_module
import tempfile
from pathlib import Path
from typing import cast

from reference_impls._shell import (
    Connections,
    DirectoryServer,
    Listen,
    Server,
    StreamServer,
    start_stream,
)
from reference_impls.http.protocol import MAX_PENDING, OriginConnection, Phase
from reference_impls.http.site import Site

__all__ = [
    "BODY_TIMEOUT",
    "DEMO_TREE",
    "HEADER_TIMEOUT",
    "IDLE_TIMEOUT",
    "HttpServer",
    "OriginProtocol",
    "make_demo_tree",
    "start",
]

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 4.0
BODY_TIMEOUT = 10.0
IDLE_TIMEOUT = 15.0

#: The demo tree served when no root is given: relative path -> content.
DEMO_TREE: dict[str, bytes] = {
    "hello.txt": b"Hello, world!\n",
    "docs/index.html": b"<!DOCTYPE html>\n<html><head><title>wirecert</title></head>"
    b"<body><h1>wirecert reference origin server</h1></body></html>\n",
    "docs/guide.txt": b"a file in a directory with an index page\n",
    "data/blob.bin": bytes(range(256)) * 16,
}


def make_demo_tree(base: Path) -> None:
    """Write :data:`DEMO_TREE` under ``base``."""
    for relative, content in DEMO_TREE.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


class OriginProtocol(asyncio.Protocol):
    """One connection: moves bytes between the socket and an :class:`OriginConnection`."""

    def __init__(
        self,
        connections: Connections,
        site: Site,
        *,
        scheme: str,
        timeouts: tuple[float, float, float],
    ) -> None:
        self._connections = connections
        self._site = site
        self._scheme = scheme
        self._header_timeout, self._body_timeout, self._idle_timeout = timeouts
        self._transport: asyncio.Transport | None = None
        self._conn: OriginConnection | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_phase: Phase | None = None
        self._writable = True
        self._reading = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        sock = self._transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = self._transport.get_extra_info("peername") or ("", 0)
        local = self._transport.get_extra_info("sockname") or ("", 0)
        self._conn = OriginConnection(
            self._site,
            peer=(str(peer[0]), int(peer[1])),
            local=(str(local[0]), int(local[1])),
            scheme=self._scheme,
        )
        self._after()

    def data_received(self, data: bytes) -> None:
        if self._conn is None:
            return
        try:
            self._conn.receive_data(data)
        except Exception:
            # Contain it to this connection: one client must not end the service.
            log.exception("http: connection failed")
            self._abort()
            return
        self._after()

    def eof_received(self) -> bool:
        if self._conn is not None:
            self._conn.receive_data(b"")
            self._after()
        return True  # keep our side open until the responses are written

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self._after()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self._conn = None
        if self._transport is not None:
            self._connections.closed(self._transport)

    # -- moving bytes ----------------------------------------------------------------

    def _after(self) -> None:
        """Write what is ready, then close, pause, or arm the timer the phase calls for."""
        conn, transport = self._conn, self._transport
        if conn is None or transport is None or transport.is_closing():
            return
        try:
            while self._writable:
                out = conn.data_to_send()
                if not out:
                    break
                transport.write(out)
        except Exception:
            log.exception("http: response failed")
            self._abort()
            return
        phase = conn.phase
        if phase is Phase.CLOSED:
            self._cancel_timer()
            transport.close()
            return
        # Stop reading while responses are pending and more input waits (pipelining).
        want_reading = conn.pending < MAX_PENDING
        if want_reading != self._reading:
            self._reading = want_reading
            if want_reading:
                transport.resume_reading()
            else:
                transport.pause_reading()
        self._arm(phase)

    def _arm(self, phase: Phase) -> None:
        if phase is self._timer_phase and phase is not Phase.BODY:
            return  # the header deadline and the idle timer are not reset by more bytes
        self._cancel_timer()
        seconds = {
            Phase.IDLE: self._idle_timeout,
            Phase.HEAD: self._header_timeout,
            Phase.BODY: self._body_timeout,
            Phase.RESPONDING: self._idle_timeout + self._body_timeout,
        }.get(phase)
        if seconds is None:
            return
        self._timer_phase = phase
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_phase = None

    def _expired(self) -> None:
        self._timer = None
        self._timer_phase = None
        if self._conn is None or self._transport is None:
            return
        if self._conn.phase is Phase.RESPONDING:
            # The client stopped reading our response: nothing more to do for it.
            self._abort()
            return
        self._conn.expire()
        self._after()

    def _abort(self) -> None:
        self._cancel_timer()
        if self._transport is not None:
            self._transport.abort()


class HttpServer(DirectoryServer):
    """A listener serving a docroot; removes the demo tree (if it made one) on close."""

    def __init__(self, inner: StreamServer, site: Site, cleanup: Path | None) -> None:
        super().__init__(inner, cleanup)
        self.site = site


async def start(
    listen: Listen,
    *,
    root: str | Path | None = None,
    ssl: ssl_module.SSLContext | None = None,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    idle_timeout: float | None = None,
) -> Server:
    """Serve ``root`` (a demo tree if None) on ``listen``: ``http``, or ``https`` with ``ssl``."""
    if listen.scheme not in ("http", "https", "tcp"):
        raise ValueError("the HTTP server runs over http:// or https:// only")
    scheme = "https" if ssl is not None else "http"
    cleanup: Path | None = None
    if root is None:
        cleanup = Path(tempfile.mkdtemp(prefix="wirecert-http-"))
        make_demo_tree(cleanup)
        root = cleanup
    timeouts = (header_timeout, body_timeout, idle_timeout or IDLE_TIMEOUT)
    try:
        site = Site(root)
        inner = await start_stream(
            listen,
            lambda connections: OriginProtocol(connections, site, scheme=scheme, timeouts=timeouts),
            ssl=ssl,
        )
    except BaseException:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise
    return HttpServer(inner, site, cleanup)

"""Shared asyncio shell: listen addresses, listeners, and serving until a signal.

The protocol modules keep their rules in sans-IO cores; this module owns the sockets
that are the same for every protocol, so each protocol's shell stays a few callbacks.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import shutil
import signal
import socket
import sys
from asyncio.trsock import TransportSocket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from ssl import SSLContext
from typing import Literal, TextIO, cast

__all__ = [
    "READY_FORMAT",
    "SCHEMES",
    "TLS_SCHEMES",
    "Connections",
    "DatagramServer",
    "DirectoryServer",
    "Listen",
    "ListenError",
    "ReplyingDatagramProtocol",
    "Scheme",
    "Server",
    "StreamServer",
    "format_ready_line",
    "parse_listen",
    "parse_ready_line",
    "serve_until_signal",
    "start_datagram",
    "start_stream",
]

log = logging.getLogger(__name__)

#: ``http`` is a stream socket whose protocol begins with HTTP (net/rpc's CONNECT);
#: ``tls``, ``https`` and ``wss`` are stream sockets that speak TLS first.
Scheme = Literal["tcp", "udp", "http", "tls", "https", "ws", "wss"]
SCHEMES: tuple[Scheme, ...] = ("tcp", "udp", "http", "tls", "https", "ws", "wss")
#: The schemes whose listeners need a server certificate.
TLS_SCHEMES: frozenset[str] = frozenset({"tls", "https", "wss"})
#: A TLS client that has not finished its handshake by then is dropped.
TLS_HANDSHAKE_TIMEOUT = 10.0

#: The line printed to stdout for each listener once it is bound. Other programs parse
#: it (see :func:`parse_ready_line`), so it must not change.
READY_FORMAT = "listening {scheme} {host} {port}"

_EXPECTED = "expected [scheme://]HOST:PORT, e.g. 127.0.0.1:7007"
_SCHEME_LIST = ", ".join(SCHEMES)
_LISTEN = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?:\[(?P<ipv6>[^\]]*)\]|(?P<host>[^:\[\]/]+))"
    r":(?P<port>[0-9]+)$"
)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_-]{1,63})*\.?$"
)

#: Connections still open this long after a server is told to close are aborted.
CLOSE_GRACE = 1.0
#: A UDP reply is dropped rather than queued once this much is waiting to be sent:
#: datagrams may be lost, memory must not grow.
DATAGRAM_BUFFER_LIMIT = 1024 * 1024


class ListenError(Exception):
    """A listener could not be bound; the message is one line naming the address."""


@dataclass(frozen=True)
class Listen:
    """One address to listen on."""

    scheme: Scheme
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _scheme(text: str) -> Scheme:
    lowered = text.lower()
    for scheme in SCHEMES:
        if lowered == scheme:
            return scheme
    raise ValueError(f"unknown scheme {text!r}: use one of {_SCHEME_LIST}")


def parse_listen(text: str, *, default_scheme: str) -> Listen:
    """Parse ``[scheme://]HOST:PORT`` (IPv6 as ``[::1]:PORT``).

    Raises ValueError whose one-line message says what to type instead.
    """
    default = _scheme(default_scheme)
    prefix = f"invalid --listen {text!r}"
    match = _LISTEN.match(text.strip())
    if match is None:
        if text.count(":") > 2 and "[" not in text:
            raise ValueError(f"{prefix}: put an IPv6 address in brackets, e.g. [::1]:7007")
        raise ValueError(f"{prefix}: {_EXPECTED}")
    scheme_text = match["scheme"]
    if scheme_text is None:
        scheme = default
    elif scheme_text.lower() in SCHEMES:
        scheme = _scheme(scheme_text)
    else:
        raise ValueError(
            f"{prefix}: the scheme must be one of {_SCHEME_LIST}, e.g. udp://127.0.0.1:7007"
        )
    port = int(match["port"])
    if port > 65535:
        raise ValueError(
            f"{prefix}: the port must be 0 to 65535 (0 picks a free one), e.g. 127.0.0.1:7007"
        )
    if match["ipv6"] is not None:
        host = match["ipv6"]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(
                f"{prefix}: {host!r} is not an IPv6 address, e.g. [::1]:7007"
            ) from None
    else:
        host = match["host"]
        if _HOSTNAME.match(host) is None:
            raise ValueError(f"{prefix}: {host!r} is not a host name or address; {_EXPECTED}")
    return Listen(scheme, host, port)


def format_ready_line(scheme: Scheme, host: str, port: int) -> str:
    """The ready line for one bound listener, without the newline."""
    return READY_FORMAT.format(scheme=scheme, host=host, port=port)


def parse_ready_line(line: str) -> Listen:
    """Read back a line printed by :func:`serve_until_signal`: the address to connect to."""
    parts = line.split()
    if len(parts) != 4 or parts[0] != "listening" or not parts[3].isdigit():
        raise ValueError(f"not a ready line: {line!r}; expected {READY_FORMAT!r}")
    return Listen(_scheme(parts[1]), parts[2], int(parts[3]))


class Server(abc.ABC):
    """A bound listener; what every protocol's ``start`` returns."""

    def __init__(self, listen: Listen, sock: socket.socket | TransportSocket) -> None:
        self.listen = listen
        # Read once while the socket is open, so it can still be reported after close.
        name = sock.getsockname()
        self._sockname: tuple[str, int] = (str(name[0]), int(name[1]))

    @property
    def sockname(self) -> tuple[str, int]:
        """``(host, port)`` actually bound: the real port when port 0 was asked."""
        return self._sockname

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and end every connection; safe to call twice."""


class Connections:
    """The transports of one stream listener, so closing it can end them too.

    ``asyncio.Server.close`` leaves accepted connections open (and from Python 3.12
    ``wait_closed`` waits for them), so each protocol reports its transport here.
    """

    def __init__(self) -> None:
        self._open: set[asyncio.Transport] = set()
        self._emptied: asyncio.Event | None = None

    def __len__(self) -> int:
        return len(self._open)

    def opened(self, transport: asyncio.Transport) -> None:
        self._open.add(transport)

    def closed(self, transport: asyncio.Transport) -> None:
        self._open.discard(transport)
        if not self._open and self._emptied is not None:
            self._emptied.set()

    async def close_all(self, grace: float) -> None:
        """Close gracefully (flushing what is buffered), abort what is left after ``grace``."""
        if not self._open:
            return
        self._emptied = asyncio.Event()
        for transport in list(self._open):
            transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._emptied.wait(), grace)
        for transport in list(self._open):
            # A peer that does not read would hold a graceful close open forever.
            transport.abort()
        # abort() reports connection_lost on the next loop iteration.
        await asyncio.sleep(0)


class StreamServer(Server):
    """A TCP listener and the connections it accepted."""

    def __init__(self, listen: Listen, server: asyncio.Server, connections: Connections) -> None:
        super().__init__(listen, server.sockets[0])
        self._server = server
        self.connections = connections

    async def close(self) -> None:
        self._server.close()
        await self.connections.close_all(CLOSE_GRACE)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), CLOSE_GRACE)


class DirectoryServer(Server):
    """A stream listener serving a directory; removes it on close if it made it (a demo
    tree), so a server started without a root leaves nothing behind."""

    def __init__(self, inner: StreamServer, cleanup: Path | None) -> None:
        # Not Server.__init__: the bound socket is ``inner``'s, already read there.
        self.listen = inner.listen
        self._sockname = inner.sockname
        self.inner = inner
        self._cleanup = cleanup

    async def close(self) -> None:
        try:
            await self.inner.close()
        finally:
            if self._cleanup is not None:
                shutil.rmtree(self._cleanup, ignore_errors=True)
                self._cleanup = None


class DatagramServer(Server):
    """A UDP socket; replies leave from it, so their source is the address clients used."""

    def __init__(self, listen: Listen, transport: asyncio.DatagramTransport) -> None:
        sock = transport.get_extra_info("socket")
        super().__init__(listen, sock)
        self._transport = transport

    async def close(self) -> None:
        self._transport.close()
        await asyncio.sleep(0)


def _buffered(transport: asyncio.DatagramTransport) -> int:
    # Every asyncio datagram transport has it, but its declared interface does not.
    get_size = getattr(transport, "get_write_buffer_size", None)
    return int(get_size()) if callable(get_size) else 0


class ReplyingDatagramProtocol(asyncio.DatagramProtocol):
    """Answers each datagram with at most one datagram, sent from the same socket."""

    def __init__(self, answer: Callable[[bytes], bytes], sock: socket.socket) -> None:
        self._answer = answer
        self._sock = sock
        self._transport: asyncio.DatagramTransport | None = None
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self._transport is None:
            return
        try:
            reply = self._answer(data)
        except Exception:
            # One bad datagram must not stop the service for everyone else.
            log.exception("no reply to a datagram from %s", addr)
            return
        if _buffered(self._transport) > DATAGRAM_BUFFER_LIMIT:
            self.dropped += 1
            return
        if not reply:
            # asyncio before 3.13 silently drops an empty sendto() (CPython gh-113812),
            # but an empty datagram is a datagram and deserves its answer.
            try:
                self._sock.sendto(reply, addr)
            except OSError:
                self.dropped += 1  # e.g. the socket buffer is full: UDP may drop
            return
        self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # Typically ICMP port unreachable for an earlier reply: that client has gone,
        # which concerns nobody else.
        log.debug("datagram error: %s", exc)


async def _bind(listen: Listen) -> socket.socket:
    loop = asyncio.get_running_loop()
    kind = socket.SOCK_DGRAM if listen.scheme == "udp" else socket.SOCK_STREAM
    infos = await loop.getaddrinfo(listen.host, listen.port, type=kind, flags=socket.AI_PASSIVE)
    # Only the first address: one listener is one socket and one ready line (asyncio
    # would bind every address of a name such as localhost, each on its own port 0).
    family, type_, proto, _, address = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        if kind == socket.SOCK_STREAM and os.name == "posix":
            # Restarting must not wait for the last run's connections in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


async def start_stream(
    listen: Listen,
    protocol_factory: Callable[[Connections], asyncio.Protocol],
    *,
    backlog: int = 1024,
    ssl: SSLContext | None = None,
) -> StreamServer:
    """Listen on TCP; each connection gets ``protocol_factory(connections)``.

    With ``ssl``, connections speak TLS first; a listener of a TLS scheme needs one.
    """
    if (listen.scheme in TLS_SCHEMES) != (ssl is not None):
        need = "needs a server certificate" if ssl is None else "does not speak TLS"
        raise ValueError(f"a {listen.scheme}:// listener {need}")
    loop = asyncio.get_running_loop()
    sock = await _bind(listen)
    connections = Connections()
    try:
        server = await loop.create_server(
            lambda: protocol_factory(connections),
            sock=sock,
            backlog=backlog,
            ssl=ssl,
            ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if ssl is not None else None,
        )
    except BaseException:
        sock.close()
        raise
    return StreamServer(listen, server, connections)


async def start_datagram(
    listen: Listen, protocol_factory: Callable[[socket.socket], asyncio.DatagramProtocol]
) -> DatagramServer:
    """Bind a UDP socket served by ``protocol_factory(sock)``."""
    loop = asyncio.get_running_loop()
    sock = await _bind(listen)
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: protocol_factory(sock), sock=sock
        )
    except BaseException:
        sock.close()
        raise
    return DatagramServer(listen, transport)


def _announce(out: TextIO, server: Server) -> None:
    host, port = server.sockname
    # Whoever read the ready lines may have gone; serving does not depend on them.
    with contextlib.suppress(BrokenPipeError):
        print(format_ready_line(server.listen.scheme, host, port), file=out, flush=True)


async def serve_until_signal(
    listens: Sequence[Listen],
    start: Callable[[Listen], Awaitable[Server]],
    *,
    out: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Bind every listener, print one ready line each, serve until SIGINT or SIGTERM.

    Nothing is printed unless every listener could be bound (raises
    :class:`ListenError`). ``stop`` ends serving like a signal (for callers that run
    this off the main thread, where signal handlers cannot be installed).
    """
    loop = asyncio.get_running_loop()
    stop = stop if stop is not None else asyncio.Event()
    installed: list[signal.Signals] = []
    servers: list[Server] = []
    try:
        # Before the ready lines: a parent may signal as soon as it has read them.
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals here: ``stop`` still works
            installed.append(signum)
        for listen in listens:
            try:
                servers.append(await start(listen))
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise ListenError(f"cannot listen on {listen}: {reason}") from exc
        for server in servers:
            _announce(out if out is not None else sys.stdout, server)
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await asyncio.gather(*(server.close() for server in servers))

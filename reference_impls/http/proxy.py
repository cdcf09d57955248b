"""The reference forward proxy: an asyncio shell around h11 and :mod:`.proxycore`.

Each client connection is an h11 server connection; each forwarded request gets its
own upstream connection (an h11 client connection, ``Connection: close``), so no
state leaks between clients. ``CONNECT host:port`` switches the client connection to
a blind byte tunnel once the upstream connection is open.

Errors reaching the origin are answered by the proxy: refused, unreachable, a
malformed or missing response -> 502 (Bad Gateway, RFC 9110 §15.6.3); no answer in
time -> 504 (Gateway Timeout, §15.6.5). Every wait is bounded.

``python -m reference_impls serve httpproxy --credentials USER:PASSWORD`` (default:
the demo credentials in :mod:`.proxycore`, printed at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from ssl import SSLContext

import h11

from reference_impls._shell import Connections, Listen, StreamServer, start_stream
from reference_impls.http.proxycore import (
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    Credentials,
    Forward,
    Headers,
    ProxyConfig,
    Respond,
    Tunnel,
    decide,
    error_response,
    response_headers,
)

__all__ = ["ProxyConfig", "Timeouts", "parse_credentials", "start", "start_serving"]

log = logging.getLogger(__name__)

_READ = 65536
#: The most request body the proxy reads and drops before answering it itself.
_DRAIN_LIMIT = 1024 * 1024
_MAX_HEAD = 64 * 1024

_Next = h11.Event | type[h11.PAUSED] | type[h11.NEED_DATA]


@dataclass(frozen=True)
class Timeouts:
    """Seconds: connecting upstream, waiting for upstream bytes, an idle client."""

    connect: float = 10.0
    upstream: float = 30.0
    idle: float = 60.0
    #: a tunnel with no bytes either way for this long is closed
    tunnel_idle: float = 300.0


def parse_credentials(text: str) -> Credentials:
    """``USER:PASSWORD`` (the user-id cannot contain a colon, RFC 7617 §2)."""
    user, colon, password = text.partition(":")
    if not colon or not user:
        raise ValueError(f"expected USER:PASSWORD, e.g. wirecert:s3cret, got {text!r}")
    return Credentials(user, password)


class _Gone(Exception):
    """The client went away or broke HTTP: close without answering."""


class _ClientConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        config: ProxyConfig,
        timeouts: Timeouts,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.config = config
        self.timeouts = timeouts
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)

    async def _next(self, timeout: float) -> _Next:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await asyncio.wait_for(self.reader.read(_READ), timeout)
            except (TimeoutError, ConnectionError) as exc:
                raise _Gone from exc
            self.h11.receive_data(data)

    async def _send(self, *events: h11.Event) -> None:
        for event in events:
            data = self.h11.send(event)
            if data:
                self.writer.write(data)
        await self.writer.drain()

    async def _respond(self, answer: Respond) -> None:
        # Read what is left of the request first, so the connection can go on; a client
        # waiting for 100 (Continue) sends no body: answer and close (RFC 9110 §10.1.1).
        drained = 0
        if self.h11.they_are_waiting_for_100_continue:
            answer.headers.append((b"Connection", b"close"))
        while (
            self.h11.their_state is h11.SEND_BODY and not self.h11.they_are_waiting_for_100_continue
        ):
            event = await self._next(self.timeouts.idle)
            if isinstance(event, h11.Data):
                drained += len(event.data)
                if drained > _DRAIN_LIMIT:
                    answer.headers.append((b"Connection", b"close"))
                    break
        reason = _REASONS.get(answer.status, b"")
        await self._send(
            h11.Response(status_code=answer.status, headers=answer.headers, reason=reason),
            h11.Data(data=answer.body),
            h11.EndOfMessage(),
        )

    async def run(self) -> None:
        try:
            while True:
                try:
                    event = await self._next(self.timeouts.idle)
                except h11.RemoteProtocolError as exc:
                    await self._bad_request(exc)
                    return
                if not isinstance(event, h11.Request):
                    return  # ConnectionClosed, or the client paused us
                try:
                    again = await self._request(event)
                except h11.RemoteProtocolError as exc:
                    await self._bad_request(exc)
                    return
                if not again or self.h11.our_state is not h11.DONE:
                    return
                if self.h11.their_state is not h11.DONE:
                    return
                self.h11.start_next_cycle()
        except (_Gone, ConnectionError, h11.LocalProtocolError):
            return
        finally:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _bad_request(self, exc: h11.RemoteProtocolError) -> None:
        if self.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        answer = error_response(exc.error_status_hint, "bad request")
        with contextlib.suppress(Exception):
            await self._send(
                h11.Response(
                    status_code=answer.status,
                    headers=[*answer.headers, (b"Connection", b"close")],
                    reason=_REASONS.get(answer.status, b""),
                ),
                h11.Data(data=answer.body),
                h11.EndOfMessage(),
            )

    async def _request(self, request: h11.Request) -> bool:
        """Serve one request; False: close the client connection afterwards."""
        action = decide(
            self.config,
            request.method,
            request.target,
            list(request.headers.raw_items()),
            request.http_version,
        )
        if isinstance(action, Respond):
            await self._respond(action)
            return True
        upstream = await self._open(action.host, action.port)
        if isinstance(upstream, Respond):
            await self._respond(upstream)
            return True
        reader, writer = upstream
        try:
            if isinstance(action, Tunnel):
                await self._tunnel(reader, writer)
                return False
            return await self._forward(action, request, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _open(
        self, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | Respond:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(host, port), self.timeouts.connect
            )
        except TimeoutError:
            return error_response(504, f"no connection to {host}:{port} in time")
        except OSError as exc:
            return error_response(502, f"cannot reach {host}:{port}: {exc.strerror or exc}")

    async def _forward(
        self,
        action: Forward,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        upstream = h11.Connection(h11.CLIENT)
        headers: Headers = list(action.headers)
        framed = any(n.lower() in (b"content-length", b"transfer-encoding") for n, _ in headers)
        chunked = any(n.lower() == b"transfer-encoding" for n, _ in request.headers.raw_items())
        if chunked and not framed:
            headers.append((b"Transfer-Encoding", b"chunked"))  # re-framed for this hop
        headers.append((b"Connection", b"close"))
        out = upstream.send(
            h11.Request(method=action.method, target=action.target, headers=headers)
        )
        writer.write(out)
        if self.h11.they_are_waiting_for_100_continue:
            await self._send(h11.InformationalResponse(status_code=100, headers=[]))
        try:
            while self.h11.their_state is h11.SEND_BODY:
                event = await self._next(self.timeouts.idle)
                if isinstance(event, h11.Data | h11.EndOfMessage):
                    writer.write(upstream.send(event) or b"")
                    await writer.drain()
        except ConnectionError:  # the origin went away while the body was on its way
            await self._respond(error_response(502, "the origin closed the connection"))
            return False
        try:
            await writer.drain()
            response = await self._upstream_event(upstream, reader)
            while isinstance(response, h11.InformationalResponse):
                response = await self._upstream_event(upstream, reader)
        except TimeoutError:
            await self._respond(error_response(504, "the origin did not answer in time"))
            return True
        except (h11.RemoteProtocolError, ConnectionError):
            await self._respond(error_response(502, "the origin's response was malformed"))
            return True
        if not isinstance(response, h11.Response):
            await self._respond(error_response(502, "the origin closed without a response"))
            return True
        relayed = response_headers(response.headers.raw_items(), response.http_version, self.config)
        await self._send(
            h11.Response(status_code=response.status_code, headers=relayed, reason=response.reason)
        )
        while True:
            try:
                event = await self._upstream_event(upstream, reader)
            except (TimeoutError, h11.RemoteProtocolError, ConnectionError):
                return False  # too late for a status: cut the client connection
            if isinstance(event, h11.Data):
                await self._send(event)
            elif isinstance(event, h11.EndOfMessage):
                await self._send(h11.EndOfMessage())
                return True
            else:
                return False

    async def _upstream_event(
        self, upstream: h11.Connection, reader: asyncio.StreamReader
    ) -> _Next:
        for _ in range(1_000_000):
            event = upstream.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await asyncio.wait_for(reader.read(_READ), self.timeouts.upstream)
            upstream.receive_data(data)
        raise h11.RemoteProtocolError("too many reads for one event")

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # RFC 9110 §9.3.6: no Content-Length or Transfer-Encoding in a 2xx to CONNECT.
        await self._send(
            h11.Response(status_code=200, headers=[], reason=b"Connection established")
        )
        early, _closed = self.h11.trailing_data
        if early:
            writer.write(early)
        await asyncio.gather(self._pipe(self.reader, writer), self._pipe(reader, self.writer))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await asyncio.wait_for(source.read(_READ), self.timeouts.tunnel_idle)
                if not data:
                    break
                sink.write(data)
                await sink.drain()
        except (TimeoutError, ConnectionError):
            sink.close()
            return
        with contextlib.suppress(OSError):
            if sink.can_write_eof():
                sink.write_eof()


_REASONS = {
    200: b"OK",
    400: b"Bad Request",
    407: b"Proxy Authentication Required",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    502: b"Bad Gateway",
    504: b"Gateway Timeout",
}


class _ProxyProtocol(asyncio.StreamReaderProtocol):
    """Streams for the handler; reports its transport to the listener's connections."""

    def __init__(self, connections: Connections, config: ProxyConfig, timeouts: Timeouts) -> None:
        self._connections = connections
        self._transport: asyncio.Transport | None = None

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await _ClientConnection(reader, writer, config, timeouts).run()

        super().__init__(asyncio.StreamReader(limit=_READ), handle)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._connections.opened(self._transport)  # type: ignore[arg-type]
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.closed(self._transport)
        super().connection_lost(exc)


async def start(
    listen: Listen,
    *,
    config: ProxyConfig | None = None,
    timeouts: Timeouts | None = None,
    ssl: SSLContext | None = None,
) -> StreamServer:
    """Listen on ``listen`` (``http://``, ``tcp://``, or ``https://`` with ``ssl``: TLS
    between client and proxy) and proxy until closed."""
    if listen.scheme not in ("tcp", "http", "https"):
        raise ValueError(
            "an HTTP proxy runs over TCP: use http://HOST:PORT, or https://HOST:PORT for TLS"
        )
    chosen = config or ProxyConfig()
    times = timeouts or Timeouts()
    return await start_stream(
        listen, lambda connections: _ProxyProtocol(connections, chosen, times), ssl=ssl
    )


@functools.cache
def _announce_demo_credentials() -> None:
    """Once per process, however many listeners."""
    print(
        f"credentials {DEFAULT_USER}:{DEFAULT_PASSWORD} (demo; choose others with "
        "--credentials USER:PASSWORD)",
        flush=True,
    )


async def start_serving(
    listen: Listen,
    credentials: str | None,
    idle_timeout: float | None = None,
    ssl: SSLContext | None = None,
) -> StreamServer:
    """``serve httpproxy``: ``credentials`` USER:PASSWORD, or None for the demo ones
    (announced on stdout, so whoever started the proxy knows what to send)."""
    if credentials is None:
        _announce_demo_credentials()
        chosen = Credentials(DEFAULT_USER, DEFAULT_PASSWORD)
    else:
        chosen = parse_credentials(credentials)
    timeouts = Timeouts(idle=idle_timeout) if idle_timeout else Timeouts()
    config = ProxyConfig(credentials=chosen)
    return await start(listen, config=config, timeouts=timeouts, ssl=ssl)

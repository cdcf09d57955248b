"""The origin server's HTTP/1.1 connection, sans-IO: bytes in, bytes out; no sockets.

Theory of operation. :class:`OriginConnection` keeps its own inbox. While it waits for
a request it looks for a complete header section there, checks it strictly
(:func:`~reference_impls.http.message.parse_request_head`: the smuggling vectors h11
lets through, the limits that give 414 and 431) and hands exactly those bytes to an
h11 server connection, which makes the :class:`h11.Request`. Body bytes follow the
same way, only as many as the request's own framing says (Content-Length, or
:class:`~reference_impls.http.message.ChunkedFraming` for chunked), so a pipelined
next request stays in our inbox until its turn and is checked like the first. A
complete request goes to the handler (a :class:`~reference_impls.http.site.Site`), and
h11 turns its :class:`Reply` into bytes, file content read a piece at a time as the
shell asks for output. A refused request gets
:func:`~reference_impls.http.message.error_response` and the connection closes.

The shell feeds :meth:`OriginConnection.receive_data`, writes
:meth:`OriginConnection.data_to_send`, closes once :attr:`OriginConnection.closing`
and the output is drained, and arms the timer that :attr:`OriginConnection.phase`
calls for (calling :meth:`OriginConnection.expire` when it runs out).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h11

from reference_impls.errors import RemoteProtocolError
from reference_impls.http.message import (
    MAX_HEAD,
    ChunkedFraming,
    RequestHead,
    check_request_line_length,
    error_response,
    find_head_end,
    http_date,
    parse_request_head,
    reason,
)

__all__ = [
    "MAX_BODY",
    "MAX_PENDING",
    "FileSlice",
    "Handler",
    "OriginConnection",
    "Phase",
    "Reply",
    "Request",
]

#: Largest request content the server reads (413 above).
MAX_BODY = 1024 * 1024
#: Input kept while a response is being sent (pipelined requests); the shell stops
#: reading beyond it.
MAX_PENDING = 64 * 1024
#: File content read per :meth:`OriginConnection.data_to_send` call.
PIECE = 64 * 1024
#: Empty lines ignored before a request line (RFC 9112 §2.2: "a server that is
#: expecting to receive and parse a request-line SHOULD ignore at least one empty
#: line (CRLF) received prior to the request-line").
MAX_LEADING_EMPTY_LINES = 8
SERVER = "wirecert-reference"


class Phase(enum.Enum):
    """What the connection waits for; the shell arms the matching timer."""

    IDLE = "idle"  #: between requests, nothing received: the keep-alive timer
    HEAD = "head"  #: part of a header section: the header deadline (slow clients)
    BODY = "body"  #: request content: idle time between reads
    RESPONDING = "responding"  #: output pending: no read timer
    CLOSED = "closed"


@dataclass(frozen=True)
class Request:
    """A complete request as the handler sees it."""

    method: str
    target: str
    version: tuple[int, int]
    fields: tuple[tuple[bytes, bytes], ...]
    body: bytes = b""
    peer: tuple[str, int] = ("", 0)
    local: tuple[str, int] = ("", 0)
    scheme: str = "http"

    def header(self, name: str) -> str | None:
        """The field's values joined with ", " (RFC 9110 §5.3), or None when absent."""
        key = name.lower().encode("ascii")
        values = [value.decode("latin-1") for field_name, value in self.fields if field_name == key]
        return ", ".join(values) if values else None


@dataclass(frozen=True)
class FileSlice:
    """``length`` octets of the file at ``path`` from ``offset``: content read lazily."""

    path: Path
    offset: int
    length: int


@dataclass
class Reply:
    """What the handler answers: h11 frames it (Content-Length given, or chunked)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | FileSlice = b""
    #: close the connection after this response
    close: bool = False


Handler = Callable[[Request], Reply]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class OriginConnection:
    """One HTTP/1.1 server connection. ``receive_data(b"")`` means the client closed."""

    def __init__(
        self,
        handler: Handler,
        *,
        peer: tuple[str, int] = ("", 0),
        local: tuple[str, int] = ("", 0),
        scheme: str = "http",
        max_body: int = MAX_BODY,
    ) -> None:
        self._handler = handler
        self._peer, self._local, self._scheme = peer, local, scheme
        self._max_body = max_body
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD + 1024)
        self._inbox = bytearray()
        self._outbox = bytearray()
        self._eof = False
        self._closing = False
        self._head: RequestHead | None = None
        self._h11_request: h11.Request | None = None
        self._body = bytearray()
        self._remaining = 0  # Content-Length octets still to come
        self._chunks: ChunkedFraming | None = None
        self._file: FileSlice | None = None
        self._file_sent = 0
        self._responding = False
        #: Requests answered on this connection (for tests and logs).
        self.answered = 0

    # -- state the shell looks at ----------------------------------------------------

    @property
    def closing(self) -> bool:
        """Close once :meth:`data_to_send` has returned everything."""
        return self._closing

    @property
    def phase(self) -> Phase:
        if self._closing:
            return Phase.RESPONDING if self._outbox else Phase.CLOSED
        if self._responding or self._outbox:
            return Phase.RESPONDING
        if self._head is not None:
            return Phase.BODY
        return Phase.HEAD if self._inbox else Phase.IDLE

    @property
    def pending(self) -> int:
        """Octets received and not yet processed (the shell pauses reading above
        :data:`MAX_PENDING`)."""
        return len(self._inbox)

    # -- input -----------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if self._closing:
            return
        if data:
            self._inbox += data
        else:
            self._eof = True
        self._process()

    def expire(self) -> None:
        """The shell's timer for the current :attr:`phase` ran out."""
        if self._closing:
            return
        if self.phase in (Phase.HEAD, Phase.BODY):
            self._refuse(408, "the request did not arrive in time")
        else:
            self._closing = True

    # -- output ----------------------------------------------------------------------

    def data_to_send(self, max_bytes: int = PIECE) -> bytes:
        """The next bytes to write (b"" when there is nothing to write now)."""
        if not self._outbox and self._file is not None:
            self._next_file_piece(max_bytes)
        out = bytes(self._outbox[:max_bytes])
        del self._outbox[:max_bytes]
        if not self._outbox and self._file is None and self._responding:
            self._response_done()
        return out

    # -- the cycle -------------------------------------------------------------------

    def _process(self) -> None:
        try:
            while not self._closing and not self._responding:
                if self._head is None:
                    if not self._take_head():
                        break
                elif not self._take_body():
                    break
        except _Refused as exc:
            self._refuse(exc.status, str(exc))

    def _take_head(self) -> bool:
        for _ in range(MAX_LEADING_EMPTY_LINES):
            if self._inbox.startswith(b"\r\n"):
                del self._inbox[:2]
        end = find_head_end(self._inbox)
        try:
            if end is None:
                check_request_line_length(self._inbox)
                if len(self._inbox) > MAX_HEAD:
                    raise RemoteProtocolError("header section too large", code=431)
                if self._eof:
                    self._closing = True  # a partial request and the client has gone
                return False
            head_bytes = bytes(self._inbox[:end])
            head, (framing, length) = parse_request_head(head_bytes)
        except RemoteProtocolError as exc:
            raise _Refused(exc.code or 400, str(exc)) from None
        del self._inbox[:end]
        event = self._to_h11(head_bytes)
        if not isinstance(event, h11.Request):
            raise _Refused(400, "malformed request")
        self._head, self._h11_request = head, event
        self._body.clear()
        if framing == "length" and length > self._max_body:
            raise _Refused(413, f"request content larger than {self._max_body} octets")
        self._remaining = length if framing == "length" else 0
        self._chunks = ChunkedFraming(max_body=self._max_body) if framing == "chunked" else None
        if self._h11.they_are_waiting_for_100_continue:
            self._outbox += self._h11.send(
                h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            )
        if framing == "none":
            self._collect(self._to_h11_all(b""))
        return True

    def _take_body(self) -> bool:
        if self._chunks is not None:
            try:
                used = self._chunks.feed(self._inbox)
            except RemoteProtocolError as exc:
                raise _Refused(exc.code or 400, str(exc)) from None
            piece = bytes(self._inbox[:used])
            del self._inbox[:used]
            if piece:
                self._collect(self._to_h11_all(piece))
            if not self._chunks.done:
                if self._eof:
                    self._closing = True
                return False
        else:
            take = min(self._remaining, len(self._inbox))
            piece = bytes(self._inbox[:take])
            del self._inbox[:take]
            self._remaining -= take
            # Even with no octets: h11 then reports the EndOfMessage it is holding.
            self._collect(self._to_h11_all(piece))
            if self._remaining:
                if self._eof:
                    self._closing = True
                return False
        if not self._responding:
            # The framing said the request is complete but h11 disagrees: never spin.
            raise _Refused(400, "the request's content could not be framed")
        return True

    def _to_h11(self, data: bytes) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        self._h11.receive_data(data)
        try:
            return self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            raise _Refused(exc.error_status_hint, str(exc)) from None

    def _to_h11_all(self, data: bytes) -> list[h11.Event]:
        if data:
            self._h11.receive_data(data)
        events: list[h11.Event] = []
        for _ in range(len(data) + 4):
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise _Refused(exc.error_status_hint, str(exc)) from None
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            assert isinstance(event, h11.Event)
            events.append(event)
            if isinstance(event, h11.EndOfMessage):
                break
        return events

    def _collect(self, events: list[h11.Event]) -> None:
        for event in events:
            if isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._dispatch()

    def _dispatch(self) -> None:
        head, event = self._head, self._h11_request
        assert head is not None and event is not None
        request = Request(
            method=head.method.decode("ascii"),
            target=head.target.decode("latin-1"),
            version=head.version,
            fields=head.fields,
            body=bytes(self._body),
            peer=self._peer,
            local=self._local,
            scheme=self._scheme,
        )
        reply = self._handler(request)
        self._responding = True
        headers = [
            ("Date", http_date()),
            ("Server", SERVER),
            *reply.headers,
        ]
        if reply.close:
            headers.append(("Connection", "close"))
        try:
            self._outbox += self._h11.send(
                h11.Response(
                    status_code=reply.status, headers=headers, reason=reason(reply.status).encode()
                )
            )
        except h11.LocalProtocolError as exc:  # a handler bug: say so, and close
            self._responding = False
            raise _Refused(500, f"the response could not be framed: {exc}") from None
        head_only = request.method == "HEAD" or reply.status in (204, 304)
        if isinstance(reply.body, FileSlice):
            self._file, self._file_sent = (None if head_only else reply.body), 0
        elif reply.body and not head_only:
            self._outbox += self._h11.send(h11.Data(data=reply.body))
        if self._file is None:
            self._outbox += self._h11.send(h11.EndOfMessage())

    def _next_file_piece(self, max_bytes: int) -> None:
        file = self._file
        assert file is not None
        want = min(max_bytes, file.length - self._file_sent)
        try:
            with file.path.open("rb") as stream:
                stream.seek(file.offset + self._file_sent)
                piece = stream.read(want)
        except OSError:
            piece = b""
        if not piece:
            # The file shrank or vanished mid-response: the framing cannot be kept.
            self._file = None
            self._closing = True
            return
        self._file_sent += len(piece)
        self._outbox += self._h11.send(h11.Data(data=piece))
        if self._file_sent >= file.length:
            self._file = None
            self._outbox += self._h11.send(h11.EndOfMessage())

    def _response_done(self) -> None:
        self._responding = False
        self.answered += 1
        self._head = self._h11_request = None
        self._chunks = None
        if self._closing:
            return
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            self._process()
        else:
            # MUST_CLOSE: Connection: close from either side, or an HTTP/1.0 peer.
            self._closing = True

    def _refuse(self, status: int, message: str) -> None:
        head_only = self._head is not None and self._head.method == b"HEAD"
        self._outbox += error_response(status, message, head_only=head_only)
        self._closing = True
        self._file = None
        self._inbox.clear()

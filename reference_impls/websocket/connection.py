"""A WebSocket connection after the handshake (RFC 6455 §5-§7), sans-IO.

Theory of operation: feed received bytes to :meth:`WebSocketConnection.receive_data`
and take events from :meth:`~WebSocketConnection.events`; send what
:meth:`~WebSocketConnection.data_to_send` returns. Messages come out whole
(:class:`TextMessage`, :class:`BytesMessage`), assembled from their fragments with
control frames allowed in between (§5.4); text is checked as UTF-8 while it arrives, so
an invalid sequence fails the connection at once with 1007 (§8.1), not at the end of
the message. Pings are answered with a Pong carrying the same payload (§5.5.2), a Close
with a Close echoing its code (§5.5.1).

When the peer breaks the protocol, :meth:`~WebSocketConnection.events` raises
:class:`~reference_impls.errors.RemoteProtocolError` whose ``code`` is the close code,
after queueing a Close frame with that code (§7.1.7: "the endpoint SHOULD send a Close
frame with an appropriate status code"). The connection then only looks for the
peer's Close; once :attr:`~WebSocketConnection.state` is ``CLOSED``, a server closes
TCP (§7.1.1: "the server ... SHOULD close the underlying TCP connection first").

States::

    OPEN --send_close()--> CLOSE_SENT --Close received--> CLOSED
    OPEN --Close received (reply queued)----------------> CLOSED
    OPEN --peer broke the protocol (Close queued)--> CLOSE_SENT (failed)
    any  --receive_eof()--------------------------------> CLOSED
"""

from __future__ import annotations

import codecs
import enum
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.websocket.deflate import DeflateParams, PerMessageDeflate
from reference_impls.websocket.frames import (
    MAX_CONTROL_PAYLOAD,
    RSV1,
    CloseCode,
    FrameChunk,
    FrameDecoder,
    Opcode,
    encode_frame,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE",
    "BytesMessage",
    "CloseReceived",
    "ConnectionState",
    "Event",
    "Ping",
    "Pong",
    "TextMessage",
    "WebSocketConnection",
    "close_code_valid",
]

#: The largest message accepted by default: 16 MiB, Autobahn's largest (case 9.1.6).
DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
#: §5.5: a Close payload is at most 125 bytes, 2 of them the code.
MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2

_CODE = struct.Struct("!H")


def close_code_valid(code: int) -> bool:
    """Whether ``code`` may be sent in, or accepted from, a Close frame.

    §7.4.1 and the IANA "WebSocket Close Code Number Registry": 1000-1003 and 1007-1014
    are defined for the wire; 1004 is reserved, and 1005, 1006 and 1015 "MUST NOT be
    set as a status code in a Close control frame"; 1016-2999 are reserved for future
    definitions, 0-999 unused; 3000-3999 are registered by libraries and 4000-4999 are
    private (§7.4.2). Anything else is failed with 1002.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class ConnectionState(enum.Enum):
    OPEN = "open"
    #: We sent Close (or failed the connection) and wait for the peer's Close.
    CLOSE_SENT = "close sent"
    #: Both Close frames are through, or TCP is gone: nothing more is read or sent.
    CLOSED = "closed"


@dataclass(frozen=True)
class TextMessage:
    data: str


@dataclass(frozen=True)
class BytesMessage:
    data: bytes


@dataclass(frozen=True)
class Ping:
    payload: bytes


@dataclass(frozen=True)
class Pong:
    payload: bytes


@dataclass(frozen=True)
class CloseReceived:
    """The peer's Close: ``code`` 1005 when it had no body (§7.1.5)."""

    code: int
    reason: str


Event = TextMessage | BytesMessage | Ping | Pong | CloseReceived


def _utf8_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")("strict")


class WebSocketConnection:
    """One endpoint of an established connection (server when ``is_server``)."""

    def __init__(
        self,
        *,
        is_server: bool,
        deflate: DeflateParams | None = None,
        max_message: int | None = DEFAULT_MAX_MESSAGE,
    ) -> None:
        self.is_server = is_server
        self.max_message = max_message
        self._deflate = PerMessageDeflate(deflate, is_server=is_server) if deflate else None
        self._decoder = FrameDecoder(
            expect_masked=is_server,
            allowed_rsv=RSV1 if deflate else 0,
            max_frame=max_message if deflate is None else None,
        )
        self._out = bytearray()
        self.state = ConnectionState.OPEN
        #: The error that made us fail the connection, if any.
        self.error: RemoteProtocolError | None = None
        #: The peer's Close, once received.
        self.close_received: CloseReceived | None = None
        #: The code we sent in our Close, once sent (None: a Close with no body).
        self.close_sent: int | None = None
        self._sent_close = False
        # The message being assembled.
        self._message: Opcode | None = None
        self._compressed = False
        self._parts: list[bytes] = []
        self._text: list[str] = []
        self._size = 0
        self._utf8 = _utf8_decoder()

    # -- receiving ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if self.state is not ConnectionState.CLOSED:
            self._decoder.receive_data(data)

    def receive_eof(self) -> None:
        """TCP closed by the peer: the connection is closed, cleanly or not."""
        self.state = ConnectionState.CLOSED

    @property
    def closed_cleanly(self) -> bool:
        """Both Close frames went through (§7.1.4 "The WebSocket Closing Handshake")."""
        return self.close_received is not None and (self.close_sent is not None or self._sent_close)

    def events(self) -> Iterator[Event]:
        while (event := self.next_event()) is not None:
            yield event

    def next_event(self) -> Event | None:
        """The next event, or None when more data is needed (or nothing more comes)."""
        while self.state is not ConnectionState.CLOSED:
            try:
                chunk = self._decoder.next_chunk()
            except RemoteProtocolError as exc:
                self._fail(exc)
                raise
            if chunk is None:
                return None
            if self.error is not None:
                # Failed: only the peer's Close matters now.
                if chunk.opcode is Opcode.CLOSE and chunk.last:
                    self.state = ConnectionState.CLOSED
                continue
            try:
                event = self._handle(chunk)
            except RemoteProtocolError as exc:
                self._fail(exc)
                raise
            if event is not None:
                return event
        return None

    def _handle(self, chunk: FrameChunk) -> Event | None:
        if chunk.opcode.is_control:
            if chunk.rsv:
                # RFC 7692 §6.1: "An endpoint MUST NOT set the "Per-Message Compressed"
                # bit of control frames"; other bits were refused by the decoder.
                raise _protocol_error("RSV1 set on a control frame")
            return self._control(chunk)
        return self._data(chunk)

    def _control(self, chunk: FrameChunk) -> Event | None:
        payload = chunk.payload
        if chunk.opcode is Opcode.PING:
            if self.state is ConnectionState.OPEN:
                # §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
                # frame in response ... The Pong frame MUST have identical "Application
                # data" as found in the message body of the Ping frame being replied to."
                self._out += self._frame(Opcode.PONG, payload)
            return Ping(payload)
        if chunk.opcode is Opcode.PONG:
            # §5.5.3: "A response to an unsolicited Pong frame is not expected."
            return Pong(payload)
        return self._close(payload)

    def _close(self, payload: bytes) -> CloseReceived:
        if len(payload) == 1:
            # §5.5.1: "If there is a body, the first two bytes of the body MUST be a
            # 2-byte unsigned integer ... representing a status code".
            raise _protocol_error("Close with a 1-byte body")
        if payload:
            (code,) = _CODE.unpack_from(payload)
            if not close_code_valid(code):
                raise _protocol_error(f"Close with the invalid code {code}")
            try:
                reason = payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                # §5.5.1: the reason's data "is not guaranteed to be human readable" but
                # is "UTF-8-encoded data" (§7.1.6); not valid: fail with 1007 (§8.1).
                raise RemoteProtocolError(
                    "Close reason is not valid UTF-8", code=CloseCode.INVALID_DATA
                ) from None
        else:
            code, reason = CloseCode.NO_STATUS, ""
        event = CloseReceived(code, reason)
        self.close_received = event
        if self.state is ConnectionState.OPEN:
            # §5.5.1: "If an endpoint receives a Close frame and did not previously send
            # a Close frame, the endpoint MUST send a Close frame in response. (When
            # sending a Close frame in response, the endpoint typically echos the status
            # code it received.)"
            self._send_close(None if code == CloseCode.NO_STATUS else code, "")
        self.state = ConnectionState.CLOSED
        return event

    def _data(self, chunk: FrameChunk) -> Event | None:
        if chunk.first:
            self._start_frame(chunk)
        if chunk.payload:
            self._add(chunk.payload)
        if not (chunk.last and chunk.fin):
            return None
        opcode = self._message
        if self._compressed:
            assert self._deflate is not None
            self._add_inflated(self._deflate.finish(self._room()))
        self._message = None
        if opcode is Opcode.TEXT:
            try:
                self._text.append(self._utf8.decode(b"", final=True))
            except UnicodeDecodeError:
                raise _invalid_utf8("text message ends inside a UTF-8 sequence") from None
            text = "".join(self._text)
            self._text.clear()
            self._size = 0
            return TextMessage(text)
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return BytesMessage(data)

    def _start_frame(self, chunk: FrameChunk) -> None:
        if chunk.opcode is Opcode.CONTINUATION:
            if self._message is None:
                # §5.4: a fragmented message is "a single frame with the FIN bit clear
                # and an opcode other than 0, followed by zero or more frames with the
                # FIN bit clear and the opcode set to 0".
                raise _protocol_error("continuation frame with no message to continue")
            if chunk.rsv & RSV1:
                # RFC 7692 §6.1: RSV1 is set "on the first frame of a message" only.
                raise _protocol_error("RSV1 set on a continuation frame")
            return
        if self._message is not None:
            # §5.4: "The fragments of one message MUST NOT be interleaved between the
            # fragments of another message".
            raise _protocol_error(f"{chunk.opcode.name} frame inside a fragmented message")
        self._message = chunk.opcode
        self._compressed = bool(chunk.rsv & RSV1)
        self._size = 0
        self._utf8 = _utf8_decoder()

    def _room(self) -> int:
        if self.max_message is None:
            return 1 << 62
        return self.max_message - self._size

    def _add(self, payload: bytes) -> None:
        if self._compressed:
            assert self._deflate is not None
            self._add_inflated(self._deflate.decompress(payload, self._room()))
        else:
            self._add_inflated(payload)

    def _add_inflated(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self.max_message is not None and self._size > self.max_message:
            raise RemoteProtocolError(
                f"message over {self.max_message} bytes", code=CloseCode.MESSAGE_TOO_BIG
            )
        if self._message is Opcode.TEXT:
            try:
                self._text.append(self._utf8.decode(data, final=False))
            except UnicodeDecodeError as exc:
                raise _invalid_utf8(f"invalid UTF-8 in a text message: {exc.reason}") from None
            pending = self._utf8.getstate()[0]
            if len(pending) >= 2 and pending[0] == 0xED and pending[1] >= 0xA0:
                # ED A0-BF begins a UTF-16 surrogate: invalid whatever follows.
                raise _invalid_utf8("UTF-16 surrogate in a text message")
        else:
            self._parts.append(data)

    def _fail(self, exc: RemoteProtocolError) -> None:
        self.error = exc
        self._message = None
        self._parts.clear()
        self._text.clear()
        self._decoder.relax()
        if self.state is ConnectionState.OPEN:
            code = exc.code if isinstance(exc.code, int) else CloseCode.PROTOCOL_ERROR
            self._send_close(code, str(exc)[:MAX_CLOSE_REASON])
            self.state = ConnectionState.CLOSE_SENT
        else:
            self.state = ConnectionState.CLOSED

    # -- sending --------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def pending(self) -> int:
        """Bytes queued and not yet taken by :meth:`data_to_send`."""
        return len(self._out)

    def send_message(self, data: str | bytes, *, fragment_size: int | None = None) -> None:
        """Queue a text (str) or binary (bytes) message, in frames of ``fragment_size``."""
        self._require_open("send a message")
        if isinstance(data, str):
            opcode, payload = Opcode.TEXT, data.encode("utf-8")
        else:
            opcode, payload = Opcode.BINARY, bytes(data)
        rsv = 0
        if self._deflate is not None:
            payload = self._deflate.compress(payload)
            rsv = RSV1
        if fragment_size is None or len(payload) <= fragment_size:
            self._out += self._frame(opcode, payload, rsv=rsv)
            return
        if fragment_size < 1:
            raise LocalProtocolError(f"fragment_size must be at least 1, not {fragment_size}")
        for start in range(0, len(payload), fragment_size):
            piece = payload[start : start + fragment_size]
            fin = start + fragment_size >= len(payload)
            if start == 0:
                self._out += self._frame(opcode, piece, fin=fin, rsv=rsv)
            else:
                self._out += self._frame(Opcode.CONTINUATION, piece, fin=fin)

    def send_ping(self, payload: bytes = b"") -> None:
        self._require_open("send a Ping")
        self._out += self._frame(Opcode.PING, payload)

    def send_pong(self, payload: bytes = b"") -> None:
        self._require_open("send a Pong")
        self._out += self._frame(Opcode.PONG, payload)

    def send_close(self, code: int | None = CloseCode.NORMAL, reason: str = "") -> None:
        """Start the closing handshake (§7.1.2); ``code=None`` sends a Close with no body."""
        self._require_open("send a Close")
        self._send_close(code, reason)
        self.state = ConnectionState.CLOSE_SENT

    def _send_close(self, code: int | None, reason: str) -> None:
        if code is None:
            if reason:
                raise LocalProtocolError("a Close reason needs a code")
            payload = b""
        else:
            if not close_code_valid(code):
                raise LocalProtocolError(f"close code {code} may not be sent")
            encoded = reason.encode("utf-8")
            if len(encoded) > MAX_CLOSE_REASON:
                raise LocalProtocolError(f"a Close reason is at most {MAX_CLOSE_REASON} bytes")
            payload = _CODE.pack(code) + encoded
        self._out += self._frame(Opcode.CLOSE, payload)
        self.close_sent = code
        self._sent_close = True

    def _require_open(self, doing: str) -> None:
        if self.state is not ConnectionState.OPEN:
            # §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more
            # data frames."
            raise LocalProtocolError(f"cannot {doing}: the connection is {self.state.value}")

    def _frame(self, opcode: Opcode, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
        # §5.1: "a client MUST mask all frames that it sends to the server" and "A
        # server MUST NOT mask any frames that it sends to the client."
        return encode_frame(opcode, payload, fin=fin, rsv=rsv, mask=not self.is_server)


def _protocol_error(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, code=CloseCode.PROTOCOL_ERROR)


def _invalid_utf8(message: str) -> RemoteProtocolError:
    # §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
    # byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
    # WebSocket Connection_." §7.4.1: 1007 is for "data within a message that was not
    # consistent with the type of the message (e.g., non-UTF-8 [RFC3629] data within a
    # text message)".
    return RemoteProtocolError(message, code=CloseCode.INVALID_DATA)

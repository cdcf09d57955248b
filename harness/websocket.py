"""WebSocket (RFC 6455) on the wire: a raw frame writer, a handshake builder and a reader.

The writer builds any frame, valid or not: any opcode, FIN and RSV bits, a mask or
none, a payload masked with a key other than the one declared, any length form
(non-minimal forms, a 64-bit length with its top bit set) and a declared length that
differs from the payload that follows. The handshake builder writes an opening
handshake whose every header can be replaced or removed.

The reader (:class:`WsConnection`) parses what the server sends incrementally over a
recording :class:`~harness.wire.TcpConnection`: the HTTP response first, then frames,
whatever the TCP segmentation. Every frame received and every close event goes into
the wire log beside the bytes (kinds ``frame`` and ``ws-close``), so a certificate shows
``rx TEXT fin len=5 'hello'`` next to the hex.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import secrets
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from harness.errors import ConformanceFailure
from harness.targets import Target
from harness.wire import End, TcpConnection, Wire

__all__ = [
    "GUID",
    "Exchange",
    "Frame",
    "FrameReader",
    "HandshakeResponse",
    "Opcode",
    "WsConnection",
    "accept_for",
    "build_frame",
    "close_payload",
    "handshake_request",
    "mask",
    "new_key",
    "open_websocket",
    "parse_handshake_response",
]

#: RFC 6455 §1.3: the GUID the server appends to the key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The most a handshake response may take before we stop reading it.
MAX_RESPONSE_HEAD = 16 * 1024
#: The most frames one read collects (a server that floods frames cannot hold a check).
MAX_FRAMES_PER_READ = 20_000


class Opcode(enum.IntEnum):
    """RFC 6455 §5.2 opcodes (3-7 and 0xB-0xF are reserved)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


def opcode_name(opcode: int) -> str:
    try:
        return Opcode(opcode).name
    except ValueError:
        return f"OPCODE-{opcode:#x}"


def is_control(opcode: int) -> bool:
    return opcode >= 0x8


# -- writing -----------------------------------------------------------------------------


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``key`` (RFC 6455 §5.3); masking twice unmasks."""
    if len(key) != 4:
        raise ValueError("a masking key is 4 bytes")
    if not payload:
        return b""
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


def build_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
    key: bytes | None = None,
    apply_key: bytes | None = None,
    length: int | None = None,
    length_form: int | None = None,
) -> bytes:
    """One frame's bytes, valid or not.

    ``opcode`` 0-15; ``rsv`` 0-7 (RSV1 is 4, RSV2 2, RSV3 1). ``masked`` sets the MASK bit
    and writes ``key`` (random when None); the payload is masked with ``apply_key``
    when given (a wrong use of the declared key), else with ``key``. ``length`` is the
    declared payload length (default: the real one; anything up to 2**64-1, so a
    64-bit length with its top bit set too); ``length_form`` forces the encoding: 7,
    16 or 64 bits (default: the minimal one).
    """
    if not 0 <= opcode <= 15 or not 0 <= rsv <= 7:
        raise ValueError("opcode is 0-15 and rsv 0-7")
    declared = len(payload) if length is None else length
    if not 0 <= declared < 2**64:
        raise ValueError("a declared length is 0 to 2**64-1")
    form = length_form or (7 if declared <= 125 else 16 if declared <= 0xFFFF else 64)
    head = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if masked else 0
    if form == 7:
        if declared > 125:
            raise ValueError("the 7-bit form holds 0-125")
        head.append(mask_bit | declared)
    elif form == 16:
        if declared > 0xFFFF:
            raise ValueError("the 16-bit form holds 0-65535")
        head += bytes([mask_bit | 126]) + struct.pack("!H", declared)
    elif form == 64:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", declared)
    else:
        raise ValueError("length_form is 7, 16 or 64")
    if not masked:
        return bytes(head) + payload
    key = secrets.token_bytes(4) if key is None else key
    return bytes(head) + key + mask(payload, apply_key or key)


def close_payload(code: int | None = None, reason: bytes | str = b"") -> bytes:
    """A Close frame's body: the 2-byte code, then the reason (none: an empty body)."""
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


# -- the opening handshake ---------------------------------------------------------------


def new_key(*, plain: bool = True) -> str:
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded (RFC 6455 §4.1).

    ``plain`` keeps to keys of letters and digits (no ``+`` or ``/``), so that a server
    that mangles those characters is blamed by the accept-key check alone, not by every
    check that opens a connection.
    """
    for _ in range(256):
        key = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
        if not plain or key.rstrip("=").isalnum():
            return key
    return "AAAAAAAAAAAAAAAAAAAAAA=="  # (62/64)**22 failing 256 times: never in practice


def accept_for(key: str) -> str:
    """The Sec-WebSocket-Accept value a server must answer ``key`` with (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "wss" else 80
    return host if target.port in (None, default) else f"{host}:{target.port}"


def handshake_request(
    target: Target,
    *,
    key: str | None = None,
    headers: Mapping[str, str | None] | None = None,
    extra: Iterable[tuple[str, str]] = (),
    method: str = "GET",
    path: str | None = None,
    http_version: str = "HTTP/1.1",
) -> tuple[bytes, str]:
    """An opening handshake and the key it carries.

    The default headers are Host, Upgrade, Connection, Sec-WebSocket-Key,
    Sec-WebSocket-Version 13 and an Origin naming the target (as a browser sends; some
    servers refuse a handshake without one), in that order. ``headers`` replaces any of them by name
    (case-insensitive; the name is written as given) or removes it (value None), and
    appends names not among the defaults; ``extra`` appends lines as they are, so a
    header can appear twice.
    """
    key = new_key() if key is None else key
    origin = f"{'https' if target.scheme == 'wss' else 'http'}://{_host_header(target)}"
    fields: list[tuple[str, str]] = [
        ("Host", _host_header(target)),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
        ("Origin", origin),
    ]
    for name, value in (headers or {}).items():
        at = next((i for i, (n, _) in enumerate(fields) if n.lower() == name.lower()), None)
        if value is None:
            if at is not None:
                del fields[at]
        elif at is None:
            fields.append((name, value))
        else:
            fields[at] = (name, value)
    fields += list(extra)
    where = path if path is not None else (target.path or "/")
    lines = [f"{method} {where} {http_version}", *(f"{n}: {v}" for n, v in fields), "", ""]
    return "\r\n".join(lines).encode("latin-1"), key


@dataclass(frozen=True)
class HandshakeResponse:
    """The server's answer to an opening handshake."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    head: bytes

    def values(self, name: str) -> list[str]:
        """Every value of header ``name``, comma-separated lists split, stripped."""
        out: list[str] = []
        for n, v in self.headers:
            if n.lower() == name.lower():
                out += [part.strip() for part in v.split(",") if part.strip()]
        return out

    def header(self, name: str) -> str | None:
        """The header's values joined as one field, or None when it is absent."""
        found = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(v.strip() for v in found) if found else None

    def has_token(self, name: str, token: str) -> bool:
        return token.lower() in (v.lower() for v in self.values(name))

    def describe(self) -> str:
        shown = ", ".join(f"{n}: {v}" for n, v in self.headers)
        return f"HTTP {self.status} {self.reason} [{shown}]"


def parse_handshake_response(head: bytes) -> HandshakeResponse | None:
    """Parse a response head (ending CRLF CRLF); None when it is not HTTP/1.x."""
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return HandshakeResponse(
        int(parts[1]), parts[2] if len(parts) > 2 else "", tuple(headers), head
    )


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame as the server sent it."""

    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes  #: unmasked
    length_form: int  #: 7, 16 or 64

    @property
    def close_code(self) -> int | None:
        return int.from_bytes(self.payload[:2], "big") if len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]

    def describe(self, limit: int = 32) -> str:
        bits = ["fin" if self.fin else "no-fin"]
        if self.rsv:
            bits.append(f"rsv={self.rsv}")
        if self.masked:
            bits.append("MASKED")
        if self.opcode == Opcode.CLOSE:
            code = self.close_code
            body = "no code" if code is None else f"code {code}"
            if len(self.payload) == 1:
                body = f"a 1-byte body {self.payload!r}"
            reason = f" reason {self.close_reason[:limit]!r}" if self.close_reason else ""
            return f"CLOSE {body}{reason}"
        shown = self.payload[:limit]
        more = "..." if len(self.payload) > limit else ""
        text = f" {shown!r}{more}" if self.payload else ""
        return f"{opcode_name(self.opcode)} {' '.join(bits)} len={len(self.payload)}{text}"


class FrameReader:
    """Incremental frame parser: feed bytes, take whole frames."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def needed(self) -> int | None:
        """Bytes the next frame takes in all, or None while its header is incomplete."""
        buf = self.buffer
        if len(buf) < 2:
            return None
        code = buf[1] & 0x7F
        size = 2 + (2 if code == 126 else 8 if code == 127 else 0)
        if len(buf) < size:
            return None
        if code == 126:
            length = int.from_bytes(buf[2:4], "big")
        elif code == 127:
            length = int.from_bytes(buf[2:10], "big")
        else:
            length = code
        return size + (4 if buf[1] & 0x80 else 0) + length

    def next_frame(self) -> Frame | None:
        total = self.needed()
        if total is None or len(self.buffer) < total:
            return None
        buf = bytes(self.buffer[:total])
        del self.buffer[:total]
        code = buf[1] & 0x7F
        at = 2 + (2 if code == 126 else 8 if code == 127 else 0)
        masked = bool(buf[1] & 0x80)
        payload = buf[at + 4 :] if masked else buf[at:]
        if masked:
            payload = mask(payload, buf[at : at + 4])
        form = 16 if code == 126 else 64 if code == 127 else 7
        return Frame(bool(buf[0] & 0x80), (buf[0] >> 4) & 7, buf[0] & 0x0F, masked, payload, form)


@dataclass
class Exchange:
    """What the server sent back after a step of a check, and how the connection ended."""

    frames: list[Frame] = field(default_factory=list)
    end: End = End.OPEN
    elapsed: float = 0.0
    leftover: bytes = b""  #: bytes that never made a whole frame
    complete: int = 0  #: data frames with FIN set so far (whole messages)

    @property
    def close(self) -> Frame | None:
        return next((f for f in self.frames if f.opcode == Opcode.CLOSE), None)

    @property
    def close_code(self) -> int | None:
        return self.close.close_code if self.close else None

    @property
    def pongs(self) -> list[bytes]:
        return [f.payload for f in self.frames if f.opcode == Opcode.PONG]

    def messages(self) -> list[tuple[int, bytes]]:
        """The data messages, fragments joined (a stray continuation stands alone)."""
        out: list[tuple[int, bytes]] = []
        pending: tuple[int, bytearray] | None = None
        for f in self.frames:
            if is_control(f.opcode):
                continue
            if f.opcode == Opcode.CONTINUATION and pending is not None:
                pending[1].extend(f.payload)
            else:
                if pending is not None:
                    out.append((pending[0], bytes(pending[1])))
                pending = (f.opcode, bytearray(f.payload))
            if f.fin and pending is not None:
                out.append((pending[0], bytes(pending[1])))
                pending = None
        if pending is not None:
            out.append((pending[0], bytes(pending[1])))
        return out

    @property
    def closed(self) -> bool:
        """The server failed or closed: a Close frame, or the TCP connection ended."""
        return self.close is not None or self.end in (End.FIN, End.RST)

    def describe(self, limit: int = 8) -> str:
        shown = [f.describe() for f in self.frames[:limit]]
        if len(self.frames) > limit:
            shown.append(f"... {len(self.frames) - limit} more frames")
        frames = "; ".join(shown) if shown else "no frames"
        junk = f", then {len(self.leftover)} bytes of a partial frame" if self.leftover else ""
        return f"{frames}{junk}, then {self.end.describe()} after {self.elapsed:.3f} s"


class WsConnection:
    """A WebSocket client connection for checks: raw writes, parsed reads, all recorded."""

    def __init__(self, conn: TcpConnection, response: HandshakeResponse, leftover: bytes) -> None:
        self.conn = conn
        self.response = response
        self.reader = FrameReader()
        self.reader.feed(leftover)
        self.end: End | None = None

    @property
    def timeout(self) -> float:
        return self.conn.timeout

    def note(self, kind: str, text: str) -> None:
        self.conn.log.record(self.conn.id, kind, note=text)

    # -- writing -----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Raw bytes, one write."""
        self.conn.send(data)

    def send_frame(self, opcode: int, payload: bytes = b"", **options: object) -> bytes:
        """Build and send one frame (see :func:`build_frame`); returns its bytes."""
        data = build_frame(opcode, payload, **options)  # type: ignore[arg-type]
        self.note("frame", f"tx {_tx_description(opcode, payload, options)}")
        self.conn.send(data)
        return data

    def send_chopped(self, data: bytes, size: int) -> None:
        """Send ``data`` in writes of ``size`` bytes (TCP_NODELAY is on)."""
        self.conn.send_chunks(data[i : i + size] for i in range(0, len(data), size))

    def send_frames(self, frames: Iterable[bytes], *, chop: int | None = None) -> None:
        """Send frames built with :func:`build_frame`, each noted in the log, in one
        write (or in writes of ``chop`` bytes)."""
        frames = list(frames)
        for data in frames:
            self.note("frame", f"tx {describe_client_frame(data)}")
        joined = b"".join(frames)
        if chop is None:
            self.conn.send(joined)
        else:
            self.send_chopped(joined, chop)

    def send_close(self, code: int | None = 1000, reason: bytes | str = b"") -> None:
        self.send_frame(Opcode.CLOSE, close_payload(code, reason))

    # -- reading -----------------------------------------------------------------------

    def _pull_frame(self, deadline: float) -> Frame | None:
        frame = self.reader.next_frame()
        while frame is None and self.end is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            need = self.reader.needed()
            have = len(self.reader.buffer)

            def whole(data: bytes, need: int | None = need, have: int = have) -> bool:
                if need is not None:
                    return have + len(data) >= need
                probe = FrameReader()
                probe.feed(bytes(self.reader.buffer) + data)
                n = probe.needed()
                return n is not None and len(probe.buffer) >= n

            got = self.conn.receive(until=whole, timeout=remaining)
            self.reader.feed(got.received)
            if got.end in (End.FIN, End.RST):
                self.end = got.end
            elif got.end is End.TIMEOUT:
                frame = self.reader.next_frame()
                return frame
            frame = self.reader.next_frame()
        if frame is not None:
            self.note(
                "ws-close" if frame.opcode == Opcode.CLOSE else "frame", f"rx {frame.describe()}"
            )
        return frame

    def read(
        self,
        until: Callable[[Exchange], bool] | None = None,
        *,
        timeout: float | None = None,
        answer_close: bool = True,
    ) -> Exchange:
        """Read frames until ``until(exchange)`` holds, a Close frame arrives, the TCP
        connection ends, or silence for the timeout (restarted by each frame).

        After a Close frame, when ``answer_close``, we answer it (echoing its code, as
        RFC 6455 §5.5.1 suggests) and wait for the server to close the TCP connection.
        """
        wait = self.timeout if timeout is None else timeout
        started = time.monotonic()
        ex = Exchange()
        while self.end is None:
            if until is not None and until(ex):
                break
            frame = self._pull_frame(time.monotonic() + wait)
            if frame is None:
                if self.end is None:
                    ex.end = End.TIMEOUT
                break
            ex.frames.append(frame)
            if frame.fin and not is_control(frame.opcode):
                ex.complete += 1
            if len(ex.frames) >= MAX_FRAMES_PER_READ:
                self.note("note", f"stopped reading after {MAX_FRAMES_PER_READ} frames")
                break
            if frame.opcode == Opcode.CLOSE:
                if answer_close:
                    code = frame.close_code
                    self.send_close(code if code is not None and _sendable(code) else 1000)
                    self.wait_for_end(wait)
                break
        if self.end is not None:
            ex.end = self.end
        elif ex.end is not End.TIMEOUT:
            ex.end = End.OPEN
        ex.leftover = bytes(self.reader.buffer) if self.end is not None else b""
        ex.elapsed = time.monotonic() - started
        return ex

    def wait_for_end(self, wait: float | None = None) -> End:
        """Wait for the server to close the TCP connection; how it ended (TIMEOUT: it
        kept the connection open)."""
        if self.end is not None:
            return self.end
        wait = self.timeout if wait is None else wait
        got = self.conn.receive(timeout=wait)
        self.reader.feed(got.received)
        if got.end in (End.FIN, End.RST):
            self.end = got.end
            return got.end
        self.note("ws-close", f"the server kept TCP open {wait:g} s after the closing handshake")
        return End.TIMEOUT

    def read_message(self, *, timeout: float | None = None) -> Exchange:
        """Read until one whole data message, a close, the end, or silence."""
        return self.read(lambda ex: _complete_messages(ex) >= 1, timeout=timeout)

    def read_messages(self, count: int, *, timeout: float | None = None) -> Exchange:
        return self.read(lambda ex: _complete_messages(ex) >= count, timeout=timeout)

    def read_pongs(self, count: int, *, timeout: float | None = None) -> Exchange:
        return self.read(lambda ex: len(ex.pongs) >= count, timeout=timeout)

    def read_until_closed(self, *, timeout: float | None = None) -> Exchange:
        return self.read(None, timeout=timeout)

    def close(self) -> None:
        self.conn.close()


def describe_client_frame(data: bytes) -> str:
    """A frame we built, in words (a declared length that does not match is said so)."""
    reader = FrameReader()
    reader.feed(data)
    need = reader.needed()
    if need is None or need > len(data):
        return f"a partial frame of {len(data)} bytes ({data[:12].hex(' ')}...)"
    frame = reader.next_frame()
    assert frame is not None
    text = frame.describe()
    if not frame.masked:
        text += " UNMASKED"
    if (frame.length_form == 64 and len(frame.payload) < 65536) or (
        frame.length_form == 16 and len(frame.payload) <= 125
    ):
        text += f" ({frame.length_form}-bit length, not minimal)"
    if need < len(data):
        text += f", then {len(data) - need} more bytes"
    return text


def _complete_messages(ex: Exchange) -> int:
    return ex.complete


def _sendable(code: int) -> bool:
    return 1000 <= code <= 4999 and code not in (1004, 1005, 1006, 1015)


def _tx_description(opcode: int, payload: bytes, options: Mapping[str, object]) -> str:
    bits = [] if options.get("fin", True) else ["no-fin"]
    if options.get("rsv"):
        bits.append(f"rsv={options['rsv']}")
    if options.get("masked", True) is False:
        bits.append("UNMASKED")
    if options.get("length") is not None:
        bits.append(f"declared-len={options['length']}")
    if options.get("length_form") is not None:
        bits.append(f"{options['length_form']}-bit length")
    shown = f" {payload[:32]!r}{'...' if len(payload) > 32 else ''}" if payload else ""
    return f"{opcode_name(opcode)} {' '.join(bits)} len={len(payload)}{shown}".replace("  ", " ")


def read_handshake_response(conn: TcpConnection) -> tuple[HandshakeResponse | None, bytes, End]:
    """Read a response head; returns it (None if none came), the bytes after it, and
    how the read ended."""
    got = conn.receive(until=lambda d: b"\r\n\r\n" in d or len(d) > MAX_RESPONSE_HEAD)
    head, sep, rest = got.received.partition(b"\r\n\r\n")
    if not sep:
        return None, got.received, got.end
    return parse_handshake_response(head + sep), rest, got.end


def open_websocket(
    wire: Wire,
    target: Target,
    *,
    headers: Mapping[str, str | None] | None = None,
) -> WsConnection:
    """Connect and complete the opening handshake, or fail the check saying why.

    Checks that are about something else lean on this: a target that cannot open a
    connection fails them all, with the handshake's evidence.
    """
    __tracebackhide__ = True
    conn = wire.connect(target)
    request, key = handshake_request(target, headers=headers)
    conn.send(request)
    response, rest, end = read_handshake_response(conn)
    expected = f"HTTP 101 with Sec-WebSocket-Accept: {accept_for(key)}"
    if response is None:
        raise ConformanceFailure(
            expected,
            f"no HTTP response head ({len(rest)} bytes {rest[:64]!r}), then {end.describe()}",
        )
    if response.status != 101 or response.header("Sec-WebSocket-Accept") != accept_for(key):
        raise ConformanceFailure(expected, response.describe())
    ws = WsConnection(conn, response, rest)
    if end in (End.FIN, End.RST):
        ws.end = end
    return ws

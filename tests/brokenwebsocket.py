"""A small threaded WebSocket echo server with one switch per requirement that breaks it.

The unbroken server is correct and written apart from the reference implementation:
a blocking, thread-per-connection RFC 6455 echo server with the opening handshake
(426 with ``Sec-WebSocket-Version: 13`` for other versions), masking and RSV checks,
message reassembly with an incremental UTF-8 check that fails fast (1007), Ping/Pong,
the closing handshake with the IANA close-code table, and a stated message limit
(:data:`MAX_MESSAGE`, 1009 past it). The websocket suite certifies it CONFORMANT::

    with WebSocketServer(fault="5.2/rsv-must-be-zero") as server:
        run = run_suite("websocket", server, tmp_path)

A fault is named by its requirement id without ``websocket/rfc6455/``; what each one
does is said beside it in :data:`WEBSOCKET_FAULTS`. The listener, threads and stopping
come from :class:`brokenservers._ThreadedServer` (its UDP socket is bound but unused).
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import select
import socket
import struct
import time

from brokenservers import LINGER, POLL, _ThreadedServer

__all__ = ["MAX_MESSAGE", "WEBSOCKET_FAULTS", "WebSocketServer"]

#: The faults; each breaks the requirement ``websocket/rfc6455/<fault>``.
WEBSOCKET_FAULTS: dict[str, str] = {
    "4.2.2/accept-key": "hashes the key with '+' read as a space (form decoding)",
    "4.2.2/upgrade-response-headers": "the 101 response has no Connection header",
    "4.2.1/upgrade-token-any-case": "the Upgrade value must be 'websocket' exactly",
    "4.2.1/connection-token-in-list": "the Connection value must be 'Upgrade' exactly",
    "4.2.1/bad-handshake-rejected": "accepts a missing or short key and a missing version",
    "4.4/unsupported-version": "other versions get a 400 with no Sec-WebSocket-Version",
    "4.2.2/unsupported-version-426": "other versions get a 400 (with the header): a MAY",
    "4.2.1/origin-optional": "refuses a foreign Origin with 403: a MAY",
    "5.1/server-frames-unmasked": "masks the frames it sends",
    "5.1/unmasked-client-frame": "accepts unmasked frames",
    "5.2/length-msb-zero": "ignores the top bit of a 64-bit length",
    "5.2/payload-length-forms": "reads the 16-bit length as signed (fails from 32768 up)",
    "5.2/rsv-must-be-zero": "ignores RSV bits",
    "5.2/reserved-opcode-data": "skips frames with opcodes 3-7",
    "5.2/reserved-opcode-control": "skips frames with opcodes 0xB-0xF",
    "5.4/control-between-fragments": "answers a Ping inside a message only once it ends",
    "5.4/control-not-fragmented": "reassembles fragmented Pings and Pongs",
    "5.4/continuation-without-start": "takes a stray continuation for a new text message",
    "5.4/no-interleaved-messages": "a new data frame inside a message starts a new one",
    "6.2/fragments-reassembled": "reassembles into a 4096-byte buffer (longer ones cut)",
    "5.5/control-frame-max-125": "accepts control frames of up to 65535 bytes",
    "5.5.2/ping-answered": "gives no Pong to an empty Ping",
    "5.5.3/pong-payload-identical": "Pongs carry at most 100 bytes of the Ping's payload",
    "5.5.3/unsolicited-pong-ignored": "answers an unsolicited Pong with a Pong",
    "5.5.3/every-ping-answered": "answers only the latest of Pings already queued: a MAY",
    "5.6/valid-utf8-echoed": "fails texts holding the non-characters U+FFFE/U+FFFF",
    "8.1/invalid-utf8-fails": "decodes with surrogatepass (surrogates accepted)",
    "8.1/fail-fast": "checks UTF-8 only once the whole message is in",
    "5.5.1/close-answered": "never answers a Close; drops TCP",
    "5.5.1/close-body-1-byte": "a 1-byte Close body counts as no code",
    "7.4/invalid-close-code": "accepts any close code",
    "8.1/close-reason-utf8": "does not check the close reason's UTF-8",
    "5.5.2/no-pong-after-close": "keeps answering Pings after the closing handshake",
    "5.5.1/no-data-after-close": "keeps echoing data after the closing handshake",
    "7.1.1/server-closes-tcp-first": "waits for the client to close TCP",
    "7.1.7/fail-with-close-code": "fails connections by dropping TCP, with no Close frame",
    "10.4/stated-limit": "echoes messages past its stated limit",
    "7.4.1/message-too-big-1009": "fails a message past its limit with 1002, not 1009",
    "5.2/large-and-many-messages": "drops the connection at its 600th message",
}

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The largest message the server accepts (its stated limit).
MAX_MESSAGE = 1 << 20
#: The reassembly buffer of the 6.2/fragments-reassembled fault.
SHORT_BUFFER = 4096
#: How long a connection may stay idle before the server drops it (seconds).
IDLE = 30.0
#: How long the after-close faults keep serving after the closing handshake (seconds).
AFTER_CLOSE = 0.3
VALID_CODES = (
    frozenset(range(1000, 1004)) | frozenset(range(1007, 1015)) | frozenset(range(3000, 5000))
)
TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


class _Fail(Exception):
    """Fail the WebSocket connection with this close code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Gone(Exception):
    """The client closed or the server is stopping."""


def _mask(data: bytes, key: bytes, offset: int = 0) -> bytes:
    if not data or not key:
        return data
    key = key[offset % 4 :] + key[: offset % 4]
    repeated = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(data), "big"
    )


class WebSocketServer(_ThreadedServer):
    """RFC 6455 echo over TCP; ``fault`` (see :data:`WEBSOCKET_FAULTS`) breaks one requirement."""

    FAULTS = tuple(WEBSOCKET_FAULTS)

    @property
    def too_big(self) -> int:
        """The close code for a message past the limit."""
        return 1002 if self.fault == "7.4.1/message-too-big-1009" else 1009

    def targets(self, suite: str = "websocket") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=ws://{host}:{port}/"]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return

    # -- reading -------------------------------------------------------------------------

    def _fill(self, conn: socket.socket, buf: bytearray, need: int) -> None:
        while len(buf) < need:
            if not self._readable(conn, IDLE):
                raise _Gone
            data = conn.recv(65536)
            if not data:
                raise _Gone
            buf += data

    def _take(self, conn: socket.socket, buf: bytearray, n: int) -> bytes:
        self._fill(conn, buf, n)
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def _take_some(self, conn: socket.socket, buf: bytearray, most: int) -> bytes:
        """What is buffered (at least one byte), up to ``most``."""
        self._fill(conn, buf, 1)
        out = bytes(buf[:most])
        del buf[:most]
        return out

    # -- the connection ------------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while b"\r\n\r\n" not in buf:
                if len(buf) > 16384:
                    return
                self._fill(conn, buf, len(buf) + 1)
            head, _, rest = bytes(buf).partition(b"\r\n\r\n")
            buf[:] = rest
            if not self._handshake(conn, head):
                return
            self._session(conn, buf)
        except _Gone:
            return

    def _reject(self, conn: socket.socket, status: str, extra: str = "") -> bool:
        conn.sendall(
            f"HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        conn.shutdown(socket.SHUT_WR)
        self._drain(conn, 1.0)
        return False

    def _handshake(self, conn: socket.socket, head: bytes) -> bool:
        fault = self.fault
        lines = head.decode("latin-1").split("\r\n")
        method = lines[0].split(" ")[0]
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.setdefault(name.strip().lower(), []).append(value.strip())

        def one(name: str) -> str | None:
            values = headers.get(name)
            return ", ".join(values) if values else None

        upgrade = one("upgrade") or ""
        connection = one("connection") or ""
        if fault == "4.2.1/upgrade-token-any-case":
            upgrade_ok = upgrade == "websocket"
        else:
            upgrade_ok = "websocket" in [t.strip().lower() for t in upgrade.split(",")]
        if fault == "4.2.1/connection-token-in-list":
            connection_ok = connection == "Upgrade"
        else:
            connection_ok = "upgrade" in [t.strip().lower() for t in connection.split(",")]
        if method != "GET" or not upgrade_ok or not connection_ok:
            return self._reject(conn, "400 Bad Request")
        key = one("sec-websocket-key")
        version = one("sec-websocket-version")
        lax = fault == "4.2.1/bad-handshake-rejected"
        try:
            key_ok = key is not None and len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            key_ok = False
        if not key_ok and not lax:
            return self._reject(conn, "400 Bad Request")
        if version is None and lax:
            version = "13"
        if version is None:
            return self._reject(conn, "400 Bad Request")
        if version != "13":
            if fault == "4.4/unsupported-version":
                return self._reject(conn, "400 Bad Request")
            status = (
                "400 Bad Request"
                if fault == "4.2.2/unsupported-version-426"
                else ("426 Upgrade Required")
            )
            return self._reject(conn, status, "Sec-WebSocket-Version: 13\r\n")
        origin = one("origin")
        if fault == "4.2.1/origin-optional" and origin and "127.0.0.1" not in origin:
            return self._reject(conn, "403 Forbidden")
        hashed = (key or "").replace("+", " ") if fault == "4.2.2/accept-key" else (key or "")
        accept = base64.b64encode(hashlib.sha1(hashed.encode() + GUID).digest()).decode()
        connection_line = (
            "" if fault == "4.2.2/upgrade-response-headers" else ("Connection: Upgrade\r\n")
        )
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"{connection_line}Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True

    def _send(self, conn: socket.socket, opcode: int, payload: bytes = b"") -> None:
        n = len(payload)
        masked = self.fault == "5.1/server-frames-unmasked"
        bit = 0x80 if masked else 0
        if n <= 125:
            head = bytes([0x80 | opcode, bit | n])
        elif n <= 0xFFFF:
            head = bytes([0x80 | opcode, bit | 126]) + struct.pack("!H", n)
        else:
            head = bytes([0x80 | opcode, bit | 127]) + struct.pack("!Q", n)
        if masked:
            key = b"\x37\xfa\x21\x3d"
            conn.sendall(head + key + _mask(payload, key))
        else:
            conn.sendall(head + payload)

    def _close_tcp(self, conn: socket.socket, wait_for_client: bool = False) -> None:
        if not wait_for_client:
            conn.shutdown(socket.SHUT_WR)
        self._drain(conn, LINGER if wait_for_client else 1.0)

    def _fail(self, conn: socket.socket, code: int) -> None:
        if self.fault != "7.1.7/fail-with-close-code":
            self._send(conn, CLOSE, struct.pack("!H", code))
            self._close_tcp(conn)

    def _session(self, conn: socket.socket, buf: bytearray) -> None:
        try:
            self._frames(conn, buf)
        except _Fail as exc:
            self._fail(conn, exc.code)

    def _frames(self, conn: socket.socket, buf: bytearray) -> None:
        fault = self.fault
        message: tuple[int, bytearray, int] | None = None  # opcode, data, fragments
        decoder: codecs.IncrementalDecoder | None = None
        held_pongs: list[bytes] = []  # 5.4/control-between-fragments
        control_fragments: tuple[int, bytearray] | None = None  # 5.4/control-not-fragmented
        closed_at: float | None = None
        echoed = 0
        while True:
            if closed_at is not None and time.monotonic() - closed_at > AFTER_CLOSE:
                return
            if closed_at is not None and not buf:
                readable, _, _ = select.select([conn], [], [], POLL)
                if not readable:
                    continue
            b0, b1 = self._take(conn, buf, 2)
            fin, rsv, opcode = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F
            masked, length = bool(b1 & 0x80), b1 & 0x7F
            if length == 126:
                fmt = "!h" if fault == "5.2/payload-length-forms" else "!H"
                length = struct.unpack(fmt, self._take(conn, buf, 2))[0]
                if length < 0:
                    raise _Fail(1002)
            elif length == 127:
                length = struct.unpack("!Q", self._take(conn, buf, 8))[0]
                if length >> 63:
                    if fault != "5.2/length-msb-zero":
                        raise _Fail(1002)
                    length &= (1 << 63) - 1
            if not masked and fault != "5.1/unmasked-client-frame":
                raise _Fail(1002)
            if rsv and fault != "5.2/rsv-must-be-zero":
                raise _Fail(1002)
            control = opcode >= 8
            reserved = opcode not in (TEXT, BINARY, CONT, CLOSE, PING, PONG)
            if control and length > 125 and fault != "5.5/control-frame-max-125":
                raise _Fail(1002)
            if reserved and not (
                (fault == "5.2/reserved-opcode-data" and opcode < 8)
                or (fault == "5.2/reserved-opcode-control" and opcode >= 8)
            ):
                raise _Fail(1002)
            if length > MAX_MESSAGE and fault != "10.4/stated-limit":
                raise _Fail(self.too_big)
            key = self._take(conn, buf, 4) if masked else b""
            # Payload: as it arrives, so invalid UTF-8 is caught before the frame ends.
            text = opcode == TEXT or (opcode == CONT and message is not None and message[0] == TEXT)
            if opcode == TEXT and message is not None and fault == "5.4/no-interleaved-messages":
                message = None
            if opcode == CONT and message is None and fault == "5.4/continuation-without-start":
                opcode, text = TEXT, True
            if opcode in (TEXT, BINARY) and message is not None:
                raise _Fail(1002)
            if opcode == CONT and message is None and control_fragments is None:
                raise _Fail(1002)
            if opcode in (TEXT, BINARY):
                errors = "surrogatepass" if fault == "8.1/invalid-utf8-fails" else "strict"
                decoder = codecs.getincrementaldecoder("utf-8")(errors) if opcode == TEXT else None
                message = (opcode, bytearray(), 0)
            fast = decoder if text and fault != "8.1/fail-fast" else None
            payload = bytearray()
            while len(payload) < length:
                # An unmasked frame (a fault) has no key: _mask leaves the bytes as they are.
                chunk = _mask(self._take_some(conn, buf, length - len(payload)), key, len(payload))
                if fast is not None:
                    try:
                        fast.decode(chunk)
                    except UnicodeDecodeError:
                        raise _Fail(1007) from None
                payload += chunk
            data = bytes(payload)
            if reserved:
                continue  # a fault: the frame is skipped
            if control and not fin:
                if fault == "5.4/control-not-fragmented" and opcode in (PING, PONG):
                    control_fragments = (opcode, bytearray(data))
                    continue
                raise _Fail(1002)
            if opcode == CONT and control_fragments is not None and message is None:
                opcode, data = control_fragments[0], bytes(control_fragments[1]) + data
                control_fragments = None
                control = True
            if opcode == PING:
                if closed_at is not None and fault != "5.5.2/no-pong-after-close":
                    continue
                if not data and fault == "5.5.2/ping-answered":
                    continue
                pong = data[:100] if fault == "5.5.3/pong-payload-identical" else data
                if message is not None and fault == "5.4/control-between-fragments":
                    held_pongs.append(pong)
                elif (
                    fault == "5.5.3/every-ping-answered" and len(buf) >= 2 and buf[0] & 0x0F == PING
                ):
                    continue  # a later Ping is already here: answer that one only
                else:
                    self._send(conn, PONG, pong)
                continue
            if opcode == PONG:
                if fault == "5.5.3/unsolicited-pong-ignored":
                    self._send(conn, PONG, data)
                continue
            if opcode == CLOSE:
                if closed_at is not None:
                    continue
                self._close_frame(conn, data)
                if fault in ("5.5.2/no-pong-after-close", "5.5.1/no-data-after-close"):
                    closed_at = time.monotonic()
                    continue
                return
            # Data.
            assert message is not None
            if closed_at is not None and fault != "5.5.1/no-data-after-close":
                continue
            kind, whole, count = message
            whole += data
            count += 1
            message = (kind, whole, count)
            if len(whole) > MAX_MESSAGE and fault != "10.4/stated-limit":
                raise _Fail(self.too_big)
            if not fin:
                continue
            message = None
            if kind == TEXT:
                try:
                    if fault == "8.1/fail-fast":
                        errors = "strict"
                        bytes(whole).decode("utf-8", errors)
                    else:
                        assert decoder is not None
                        decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    raise _Fail(1007) from None
                if fault == "5.6/valid-utf8-echoed" and (
                    "\ufffe" in whole.decode("utf-8") or "\uffff" in whole.decode("utf-8")
                ):
                    raise _Fail(1007)
            echoed += 1
            if echoed >= 600 and fault == "5.2/large-and-many-messages":
                return
            out = bytes(whole)
            if fault == "6.2/fragments-reassembled" and count > 1:
                out = out[:SHORT_BUFFER]
            self._send(conn, kind, out)
            for pong in held_pongs:
                self._send(conn, PONG, pong)
            held_pongs.clear()

    def _close_frame(self, conn: socket.socket, body: bytes) -> None:
        fault = self.fault
        if len(body) == 1:
            if fault != "5.5.1/close-body-1-byte":
                raise _Fail(1002)
            body = b""
        if len(body) >= 2:
            code = struct.unpack("!H", body[:2])[0]
            if code not in VALID_CODES and fault != "7.4/invalid-close-code":
                raise _Fail(1002)
            if fault != "8.1/close-reason-utf8":
                try:
                    body[2:].decode("utf-8")
                except UnicodeDecodeError:
                    raise _Fail(1007) from None
        if fault == "5.5.1/close-answered":
            return  # drops TCP (the base closes the socket)
        reply = (
            body[:2]
            if len(body) >= 2 and struct.unpack("!H", body[:2])[0] in VALID_CODES
            else (struct.pack("!H", 1000) if body else b"")
        )
        self._send(conn, CLOSE, reply)
        if fault in ("5.5.2/no-pong-after-close", "5.5.1/no-data-after-close"):
            return
        self._close_tcp(conn, wait_for_client=fault == "7.1.1/server-closes-tcp-first")

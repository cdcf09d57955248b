"""WebSocket frames (RFC 6455 §5), sans-IO: an encoder and an incremental decoder.

Theory of operation: :class:`FrameDecoder` is fed bytes with :meth:`~FrameDecoder.
receive_data` and hands out :class:`FrameChunk` objects. A control frame comes out
whole (its payload is at most 125 bytes); a data frame comes out as the payload
arrives, in as many chunks as it took, so the layer above can check UTF-8 and sizes
before the end of the frame (fail fast). Every rule of §5.2 about a frame's header is
checked as soon as the header is complete; the header is consumed first, so that a
caller that has failed the connection can :meth:`~FrameDecoder.relax` the decoder and
go on reading frames, looking for the peer's Close.
"""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass

from reference_impls.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "MAX_CONTROL_PAYLOAD",
    "RSV1",
    "RSV2",
    "RSV3",
    "CloseCode",
    "FrameChunk",
    "FrameDecoder",
    "Opcode",
    "encode_frame",
    "frame_header",
    "mask_payload",
]

#: RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
MAX_CONTROL_PAYLOAD = 125
#: The reserved bits as they sit in the first octet of a frame.
RSV1, RSV2, RSV3 = 0x40, 0x20, 0x10

_LENGTH_16 = struct.Struct("!H")
_LENGTH_64 = struct.Struct("!Q")


class Opcode(enum.IntEnum):
    """RFC 6455 §5.2 opcodes (and §11.8, the registry). 3-7 and 0xB-0xF are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA

    @property
    def is_control(self) -> bool:
        # §5.5: "Control frames are identified by opcodes where the most significant
        # bit of the opcode is 1."
        return bool(self & 0x8)


class CloseCode(enum.IntEnum):
    """Close status codes (RFC 6455 §7.4.1 and the IANA WebSocket Close Code registry)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    #: Reserved; "MUST NOT be set as a status code in a Close control frame".
    RESERVED = 1004
    #: "No Status Rcvd": never on the wire, reported when a Close had no body.
    NO_STATUS = 1005
    #: "Abnormal Closure": never on the wire, reported when TCP closed without Close.
    ABNORMAL = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    #: IANA registry additions after RFC 6455.
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    #: "TLS handshake": never on the wire.
    TLS_HANDSHAKE = 1015


@dataclass(frozen=True)
class FrameChunk:
    """Part (or all) of one frame's payload, unmasked.

    ``first``/``last`` say whether this chunk begins/ends the frame; ``fin`` and
    ``rsv`` are the frame's header bits (the same on every chunk of a frame).
    """

    opcode: Opcode
    payload: bytes
    fin: bool
    rsv: int
    first: bool
    last: bool


#: ``_XOR[k]`` maps every byte to itself XOR ``k``: masking as four ``bytes.translate``.
_XOR = [bytes(b ^ k for b in range(256)) for k in range(256)]
#: Below this size one XOR of two big integers is faster than four translations.
_TRANSLATE_FROM = 512


def mask_payload(data: bytes, key: bytes, offset: int = 0) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` (§5.3), starting ``offset`` bytes into it.

    §5.3: "Octet i of the transformed data ("transformed-octet-i") is the XOR of octet i
    of the original data ("original-octet-i") with octet at index i modulo 4 of the
    masking key ("masking-key-octet-j")".
    """
    n = len(data)
    if not n:
        return b""
    if n < _TRANSLATE_FROM:
        shift = offset % 4
        repeated = (key[shift:] + key[:shift]) * (n // 4 + 1)
        value = int.from_bytes(data, "little") ^ int.from_bytes(repeated[:n], "little")
        return value.to_bytes(n, "little")
    out = bytearray(data)
    for i in range(4):
        out[i::4] = data[i::4].translate(_XOR[key[(i + offset) % 4]])
    return bytes(out)


def frame_header(
    opcode: int, length: int, *, fin: bool = True, rsv: int = 0, mask: bytes | None = None
) -> bytes:
    """The header of a frame with a ``length``-byte payload, length in its minimal form.

    §5.2: "the minimal number of bytes MUST be used to encode the length".
    """
    if not 0 <= opcode <= 0xF:
        raise LocalProtocolError(f"opcode {opcode} does not fit in 4 bits")
    if rsv & ~(RSV1 | RSV2 | RSV3):
        raise LocalProtocolError(f"rsv {rsv:#x} is not a combination of RSV1-3")
    if length < 0 or length >= 1 << 63:
        raise LocalProtocolError(f"payload length {length} cannot be framed")
    first = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0x80 if mask is not None else 0
    if length <= 125:
        head = bytes((first, mask_bit | length))
    elif length <= 0xFFFF:
        head = bytes((first, mask_bit | 126)) + _LENGTH_16.pack(length)
    else:
        head = bytes((first, mask_bit | 127)) + _LENGTH_64.pack(length)
    if mask is not None:
        if len(mask) != 4:
            raise LocalProtocolError("a masking key is 4 bytes")
        head += mask
    return head


def encode_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool | bytes = False,
) -> bytes:
    """One frame. ``mask=True`` masks with a fresh random key (a client's frames, §5.3).

    §5.3: "The masking key is a 32-bit value chosen at random by the client."
    """
    if opcode & 0x8:  # §5.5: a control frame, defined or reserved
        if len(payload) > MAX_CONTROL_PAYLOAD:
            raise LocalProtocolError(
                f"a control frame carries at most 125 bytes, not {len(payload)}"
            )
        if not fin:
            raise LocalProtocolError("a control frame must not be fragmented")
    key = os.urandom(4) if mask is True else (mask or None)
    head = frame_header(opcode, len(payload), fin=fin, rsv=rsv, mask=key)
    return head + (mask_payload(payload, key) if key is not None else bytes(payload))


class _State(enum.Enum):
    HEADER = "header"
    PAYLOAD = "payload"


class FrameDecoder:
    """Incremental frame decoder of one direction of a connection.

    ``expect_masked``: True on a server (§5.1: "The server MUST close the connection
    upon receiving a frame that is not masked"), False on a client ("A client MUST
    close a connection if it detects a masked frame"). ``allowed_rsv``: the RSV bits
    that a negotiated extension has claimed (permessage-deflate: RSV1). Errors are
    :class:`RemoteProtocolError` with ``code`` 1002 (the header breaks §5.2) or 1009
    (a frame longer than ``max_frame``).
    """

    def __init__(
        self,
        *,
        expect_masked: bool,
        allowed_rsv: int = 0,
        max_frame: int | None = None,
    ) -> None:
        self.expect_masked = expect_masked
        self.allowed_rsv = allowed_rsv
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._state = _State.HEADER
        self._relaxed = False
        # The frame being read.
        self._opcode = Opcode.CONTINUATION
        self._fin = True
        self._rsv = 0
        self._mask: bytes | None = None
        self._remaining = self._length = 0
        self._offset = 0
        self._unknown_opcode = False
        self.received = 0

    def relax(self) -> None:
        """Stop checking headers: only find frame boundaries (after a failure, §7.1.7)."""
        self._relaxed = True

    def receive_data(self, data: bytes) -> None:
        self._buffer += data
        self.received += len(data)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed out."""
        return len(self._buffer)

    def __iter__(self) -> FrameDecoder:
        return self

    def __next__(self) -> FrameChunk:
        chunk = self.next_chunk()
        if chunk is None:
            raise StopIteration
        return chunk

    def next_chunk(self) -> FrameChunk | None:
        """The next chunk, or None when more data is needed."""
        if self._state is _State.HEADER:
            if not self._parse_header():
                return None
            header_only = True
        else:
            header_only = False
        return self._payload_chunk(first=header_only)

    # -- internals ------------------------------------------------------------------

    def _parse_header(self) -> bool:
        buf = self._buffer
        if len(buf) < 2:
            return False
        b0, b1 = buf[0], buf[1]
        short = b1 & 0x7F
        masked = bool(b1 & 0x80)
        need = 2 + (2 if short == 126 else 8 if short == 127 else 0) + (4 if masked else 0)
        if len(buf) < need:
            return False
        pos = 2
        if short == 126:
            (length,) = _LENGTH_16.unpack_from(buf, 2)
            pos = 4
        elif short == 127:
            (length,) = _LENGTH_64.unpack_from(buf, 2)
            pos = 10
        else:
            length = short
        mask = bytes(buf[pos : pos + 4]) if masked else None
        del buf[:need]
        opcode_value = b0 & 0x0F
        self._fin = bool(b0 & 0x80)
        self._rsv = b0 & 0x70
        self._mask = mask
        self._offset = 0
        self._remaining = self._length = length
        self._state = _State.PAYLOAD
        try:
            self._opcode = Opcode(opcode_value)
            self._unknown_opcode = False
        except ValueError:
            self._opcode = Opcode.BINARY if opcode_value < 8 else Opcode.PONG
            self._unknown_opcode = True
        if not self._relaxed:
            self._check_header(opcode_value, short, length, masked)
        return True

    def _check_header(self, opcode: int, short: int, length: int, masked: bool) -> None:
        def fail(message: str, code: int = CloseCode.PROTOCOL_ERROR) -> RemoteProtocolError:
            return RemoteProtocolError(message, code=code, offset=self.received)

        if length >> 63:
            # §5.2: "the most significant bit MUST be 0".
            raise fail("64-bit payload length with the most significant bit set")
        if (short == 126 and length < 126) or (short == 127 and length <= 0xFFFF):
            # §5.2: "the minimal number of bytes MUST be used to encode the length".
            raise fail(f"payload length {length} not in its minimal form")
        if self._unknown_opcode:
            # §5.2: "If an unknown opcode is received, the receiving endpoint MUST
            # _Fail the WebSocket Connection_."
            raise fail(f"reserved opcode {opcode:#x}")
        if self._rsv & ~self.allowed_rsv:
            # §5.2: "If a nonzero value is received and none of the negotiated
            # extensions defines the meaning of such a nonzero value, the receiving
            # endpoint MUST _Fail the WebSocket Connection_."
            raise fail(f"reserved bits {self._rsv >> 4:#05b} set with no extension for them")
        if masked != self.expect_masked:
            if self.expect_masked:
                raise fail("unmasked frame from a client")
            raise fail("masked frame from a server")
        if self._opcode.is_control:
            if length > MAX_CONTROL_PAYLOAD:
                raise fail(f"control frame of {length} bytes (at most 125)")
            if not self._fin:
                # §5.4: "Control frames themselves MUST NOT be fragmented."
                raise fail("fragmented control frame")
        if self.max_frame is not None and length > self.max_frame:
            raise fail(f"frame of {length} bytes over the limit", CloseCode.MESSAGE_TOO_BIG)

    def _payload_chunk(self, *, first: bool) -> FrameChunk | None:
        buf = self._buffer
        if self._opcode.is_control and self._length <= MAX_CONTROL_PAYLOAD:
            # Control frames come out whole.
            if len(buf) < self._remaining:
                return None
            take = self._remaining
        else:
            take = min(self._remaining, len(buf))
            if take == 0 and self._remaining and not first:
                return None
        data = bytes(buf[:take])
        del buf[:take]
        if self._mask is not None:
            data = mask_payload(data, self._mask, self._offset)
        self._offset += take
        self._remaining -= take
        last = self._remaining == 0
        if last:
            self._state = _State.HEADER
        return FrameChunk(
            opcode=self._opcode,
            payload=data,
            fin=self._fin,
            rsv=self._rsv,
            first=first,
            last=last,
        )

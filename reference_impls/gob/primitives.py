"""gob's primitive encodings: unsigned and signed ints, floats, complexes, strings.

Writers append to a ``bytearray``; :class:`Reader` reads one message (``data[pos:end]``)
and raises :class:`RemoteProtocolError` with Go's text when it runs out.
"""

from __future__ import annotations

from typing import Final

from ..errors import LocalProtocolError, RemoteProtocolError
from .types import bits_float, float_bits, round_float32

__all__ = [
    "MAX_UINT64",
    "Reader",
    "decode_int",
    "decode_uint",
    "encode_bool",
    "encode_bytes",
    "encode_complex",
    "encode_float",
    "encode_int",
    "encode_string",
    "encode_uint",
    "put_int",
    "put_uint",
    "uint_to_int",
]

MAX_UINT64: Final = (1 << 64) - 1
_MIN_INT64: Final = -(1 << 63)
_MAX_INT64: Final = (1 << 63) - 1

ERR_BAD_UINT: Final = "gob: encoded unsigned integer out of range"


def put_uint(buf: bytearray, n: int) -> None:
    """Append gob's ``uint(n)``; ``n`` must be in 0 … 2**64-1 (the caller checks)."""
    if n < 0x80:
        buf.append(n)
        return
    size = (n.bit_length() + 7) >> 3
    buf.append(256 - size)
    buf += n.to_bytes(size, "big")


def put_int(buf: bytearray, i: int) -> None:
    """Append gob's ``int(i)``: the sign folded into bit 0, then ``uint``."""
    put_uint(buf, i << 1 if i >= 0 else ((~i) << 1) | 1)


def encode_uint(n: int) -> bytes:
    if not 0 <= n <= MAX_UINT64:
        raise LocalProtocolError(f"gob: unsigned integer out of range: {n}")
    buf = bytearray()
    put_uint(buf, n)
    return bytes(buf)


def encode_int(i: int) -> bytes:
    if not _MIN_INT64 <= i <= _MAX_INT64:
        raise LocalProtocolError(f"gob: integer out of int64 range: {i}")
    buf = bytearray()
    put_int(buf, i)
    return bytes(buf)


def encode_bool(b: bool) -> bytes:
    return b"\x01" if b else b"\x00"


def encode_float(f: float, *, float32: bool = False) -> bytes:
    """float64 bits, byte-reversed, as a uint; ``float32`` rounds to float32 first."""
    return encode_uint(float_bits(round_float32(f) if float32 else f))


def encode_complex(c: complex, *, complex64: bool = False) -> bytes:
    return encode_float(c.real, float32=complex64) + encode_float(c.imag, float32=complex64)


def encode_bytes(b: bytes) -> bytes:
    return encode_uint(len(b)) + bytes(b)


def encode_string(s: str) -> bytes:
    return encode_bytes(s.encode("utf-8", "surrogateescape"))


def uint_to_int(u: int) -> int:
    """Undo :func:`put_int`'s folding: bit 0 is the sign."""
    return ~(u >> 1) if u & 1 else u >> 1


def decode_uint(data: bytes) -> tuple[int, int]:
    """``(value, bytes used)`` of the uint at the start of ``data``."""
    reader = Reader(data)
    value = reader.read_uint()
    return value, reader.pos


def decode_int(data: bytes) -> tuple[int, int]:
    reader = Reader(data)
    value = reader.read_int()
    return value, reader.pos


class Reader:
    """A cursor over one message, ``data[pos:end]``. Reading past ``end`` is an error."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes | bytearray, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def read_uint(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise RemoteProtocolError("EOF", offset=pos)
        b = self.data[pos]
        if b < 0x80:
            self.pos = pos + 1
            return b
        n = 256 - b
        if n > 8:
            raise RemoteProtocolError(ERR_BAD_UINT, offset=pos)
        pos += 1
        if pos + n > self.end:
            raise RemoteProtocolError(
                f"gob: invalid uint data length {n}: exceeds input size {self.end - pos}",
                offset=pos,
            )
        self.pos = pos + n
        return int.from_bytes(self.data[pos : pos + n], "big")

    def read_int(self) -> int:
        u = self.read_uint()
        return ~(u >> 1) if u & 1 else u >> 1

    def read_float(self) -> float:
        return bits_float(self.read_uint())

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes (the caller has checked they are there)."""
        pos = self.pos
        self.pos = pos + n
        return bytes(self.data[pos : pos + n])

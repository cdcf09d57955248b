"""UTF-16 (RFC 2781), sans-IO: an incremental decoder and an encoder; no sockets.

The decoder follows RFC 2781 section 4.3 for text labelled "UTF-16": ``FE FF`` first
means big-endian, ``FF FE`` first means little-endian (either is a byte order mark and
not part of the text), anything else means big-endian with the first two octets part
of the text. Surrogates are paired as in section 2.2; an unpaired one, or an odd
number of octets, is a :class:`~reference_impls.errors.RemoteProtocolError` whose
``offset`` is the octet offset (from the start of the stream, BOM included) of the
offending code unit or octet.

Bytes may arrive split anywhere, even inside a code unit: the result does not depend
on how the stream is cut.
"""

from __future__ import annotations

from typing import Literal, NoReturn

from reference_impls.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "BOM_BE",
    "BOM_LE",
    "ByteOrder",
    "Utf16Decoder",
    "byte_order_of_bom",
    "decode_utf16",
    "encode_utf16",
]

ByteOrder = Literal["big", "little"]

#: U+FEFF serialized big-endian and little-endian (RFC 2781 section 3.2).
BOM_BE = b"\xfe\xff"
BOM_LE = b"\xff\xfe"

_HIGH = range(0xD800, 0xDC00)
_LOW = range(0xDC00, 0xE000)


def byte_order_of_bom(first_two: bytes) -> ByteOrder | None:
    """The byte order a BOM announces, or None if these octets are not a BOM."""
    if first_two == BOM_BE:
        return "big"
    if first_two == BOM_LE:
        return "little"
    return None


class Utf16Decoder:
    """Incremental UTF-16 decoder: feed :meth:`receive_data`, finish with :meth:`receive_eof`.

    Each call returns the text that became complete with it. ``default_order`` is the
    order used when the stream has no BOM (RFC 2781 section 4.3: big-endian);
    ``honour_bom=False`` decodes in ``default_order`` and keeps any BOM as text (for
    UTF-16BE or UTF-16LE, which have none).
    """

    def __init__(self, *, default_order: ByteOrder = "big", honour_bom: bool = True) -> None:
        self.default_order: ByteOrder = default_order
        self.honour_bom = honour_bom
        #: The order in use, once known (after two octets, or at once without BOM handling).
        self.byte_order: ByteOrder | None = None if honour_bom else default_order
        #: True once a BOM was seen and consumed.
        self.bom_seen = False
        self._offset = 0  # octets consumed into code units (or the BOM)
        self._odd = b""  # an octet waiting for its partner
        self._high: int | None = None  # a high surrogate waiting for its low one
        self._high_offset = 0
        self._eof = False
        self._error: RemoteProtocolError | None = None

    @property
    def offset(self) -> int:
        """Octets received so far."""
        return self._offset + len(self._odd)

    @property
    def error(self) -> RemoteProtocolError | None:
        """The error the stream met, if any (every later call raises it again)."""
        return self._error

    def receive_data(self, data: bytes) -> str:
        """Decode ``data``; returns the characters it completed."""
        self._check_usable()
        if not data:
            return ""
        buf = self._odd + bytes(data)
        start = self._offset  # stream offset of buf[0]
        pos = 0
        if self.byte_order is None:
            if len(buf) < 2:
                self._odd = buf
                return ""
            order = byte_order_of_bom(buf[:2])
            if order is not None:
                self.bom_seen = True
                pos = 2
            self.byte_order = order or self.default_order
        usable = len(buf) - (len(buf) - pos) % 2
        out: list[str] = []
        big = self.byte_order == "big"
        for i in range(pos, usable, 2):
            unit = (buf[i] << 8 | buf[i + 1]) if big else (buf[i + 1] << 8 | buf[i])
            self._unit(unit, start + i, out)
        self._offset = start + usable
        self._odd = buf[usable:]
        return "".join(out)

    def receive_eof(self) -> str:
        """The stream ended: raise if it ended inside a code unit or surrogate pair."""
        self._check_usable()
        self._eof = True
        if self._odd:
            total = self.offset
            self._fail(
                f"odd number of octets ({total}): the last octet, at offset {self._offset}, "
                "is half a UTF-16 code unit",
                self._offset,
            )
        if self._high is not None:
            self._fail(
                f"unpaired high surrogate 0x{self._high:04X} at offset {self._high_offset}: "
                "the stream ends before its low surrogate",
                self._high_offset,
            )
        return ""

    # -- internals ---------------------------------------------------------------

    def _unit(self, unit: int, offset: int, out: list[str]) -> None:
        if self._high is not None:
            if unit in _LOW:
                code = 0x10000 + ((self._high - 0xD800) << 10) + (unit - 0xDC00)
                out.append(chr(code))
                self._high = None
                return
            self._fail(
                f"unpaired high surrogate 0x{self._high:04X} at offset {self._high_offset}: "
                f"followed by 0x{unit:04X}, not a low surrogate (0xDC00-0xDFFF)",
                self._high_offset,
            )
        if unit in _HIGH:
            self._high, self._high_offset = unit, offset
        elif unit in _LOW:
            self._fail(
                f"unpaired low surrogate 0x{unit:04X} at offset {offset}: "
                "no high surrogate (0xD800-0xDBFF) before it",
                offset,
            )
        else:
            out.append(chr(unit))

    def _fail(self, message: str, offset: int) -> NoReturn:
        self._error = RemoteProtocolError(message, offset=offset)
        raise self._error

    def _check_usable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._eof:
            raise LocalProtocolError("the stream has ended: no more data after receive_eof()")


def decode_utf16(
    data: bytes, *, default_order: ByteOrder = "big", honour_bom: bool = True
) -> tuple[str, ByteOrder, bool]:
    """Decode a whole stream: ``(text, byte order used, whether a BOM was seen)``."""
    decoder = Utf16Decoder(default_order=default_order, honour_bom=honour_bom)
    text = decoder.receive_data(data) + decoder.receive_eof()
    return text, decoder.byte_order or default_order, decoder.bom_seen


def encode_utf16(text: str, *, order: ByteOrder = "big", bom: bool = True) -> bytes:
    """Serialize ``text``: a BOM first when ``bom``, then each code unit in ``order``.

    Characters above U+FFFF become surrogate pairs (RFC 2781 section 2.1). A lone
    surrogate in ``text`` is not a character and raises LocalProtocolError.
    """
    units: list[int] = [0xFEFF] if bom else []
    for index, char in enumerate(text):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise LocalProtocolError(
                f"U+{code:04X} at index {index} is a surrogate, not a character", offset=index
            )
        if code < 0x10000:
            units.append(code)
        else:
            code -= 0x10000
            units += [0xD800 | code >> 10, 0xDC00 | (code & 0x3FF)]
    byteorder: Literal["big", "little"] = order
    return b"".join(unit.to_bytes(2, byteorder) for unit in units)

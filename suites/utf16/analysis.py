"""Reading a UTF-16 document both ways, to tell which byte order it was written in.

A BOM says which order the sender claims (RFC 2781 section 3.2: ``FE FF`` big-endian,
``FF FE`` little-endian); no BOM claims big-endian (section 4.3). Which order the
code units were *actually* written in is told from the text itself: read in the
wrong order, text turns into characters that text does not contain. Each reading
is scored by its implausible characters:

* unpaired surrogates, unassigned and private-use code points, noncharacters, and
  control characters other than tab, LF and CR;
* characters of the form U+xx00 with xx nonzero: ASCII and Latin-1 read in the wrong
  order (``00 6A`` read little-endian is U+6A00).

The order with the clearly lower score is the one used. With ``expected`` text, the
order that decodes to exactly it wins outright. Equal scores: undetermined (the
sender's claim is then taken at its word).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reference_impls.errors import RemoteProtocolError
from reference_impls.text.utf16 import ByteOrder, Utf16Decoder, byte_order_of_bom

__all__ = ["Analysis", "Reading", "analyse", "read_units"]

ORDERS: tuple[ByteOrder, ByteOrder] = ("big", "little")


@dataclass(frozen=True)
class Reading:
    """The code units after the BOM, read in one order."""

    order: ByteOrder
    #: The text, strictly decoded; None when that failed (see ``error``).
    text: str | None
    error: RemoteProtocolError | None
    #: The text read leniently (lone surrogates kept), for showing and scoring.
    lenient: str
    implausible: int
    swapped_latin: int

    @property
    def score(self) -> int:
        return self.implausible + self.swapped_latin

    def show(self, limit: int = 40) -> str:
        text = self.lenient if len(self.lenient) <= limit else self.lenient[:limit] + "..."
        return ascii(text) if any(0xD800 <= ord(c) <= 0xDFFF for c in text) else repr(text)

    def describe_score(self) -> str:
        parts = []
        if self.implausible:
            parts.append(
                f"{self.implausible} implausible character(s): unpaired surrogate, unassigned, "
                "private-use, noncharacter or control"
            )
        if self.swapped_latin:
            parts.append(f"{self.swapped_latin} character(s) of the form U+xx00")
        return ", ".join(parts) or "nothing implausible"


@dataclass(frozen=True)
class Analysis:
    document: bytes
    bom: bytes | None
    #: The order the document claims: its BOM's, or big-endian without one.
    claimed: ByteOrder
    readings: dict[ByteOrder, Reading]
    #: The order the code units were written in, when the text tells; else None.
    used: ByteOrder | None

    @property
    def body(self) -> bytes:
        return self.document[2:] if self.bom else self.document

    def reading(self, order: ByteOrder | None = None) -> Reading:
        return self.readings[order or self.claimed]

    @property
    def agrees(self) -> bool:
        return self.used is None or self.used == self.claimed


def _implausible(char: str) -> bool:
    code = ord(char)
    if char in "\t\n\r":
        return False
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return True  # noncharacters
    return unicodedata.category(char) in ("Cn", "Co", "Cs", "Cc")


def read_units(body: bytes, order: ByteOrder) -> Reading:
    """Read ``body`` (no BOM; even length) as code units in ``order``."""
    decoder = Utf16Decoder(default_order=order, honour_bom=False)
    text: str | None
    error: RemoteProtocolError | None = None
    try:
        text = decoder.receive_data(body) + decoder.receive_eof()
    except RemoteProtocolError as exc:
        text, error = None, exc
    codec = "utf-16-be" if order == "big" else "utf-16-le"
    lenient = body[: len(body) - len(body) % 2].decode(codec, errors="surrogatepass")
    implausible = sum(_implausible(c) for c in lenient)
    swapped = sum(1 for c in lenient if ord(c) > 0xFF and ord(c) & 0xFF == 0)
    return Reading(order, text, error, lenient, implausible, swapped)


def analyse(document: bytes, expected: str | None = None) -> Analysis:
    """Read ``document`` (even length) both ways and tell which order it was written in."""
    order = byte_order_of_bom(document[:2])
    bom = document[:2] if order is not None else None
    claimed: ByteOrder = order or "big"
    body = document[2:] if bom else document
    readings = {o: read_units(body, o) for o in ORDERS}
    used: ByteOrder | None = None
    matching = [o for o in ORDERS if expected is not None and readings[o].text == expected]
    if len(matching) == 1:
        used = matching[0]
    else:
        big, little = readings["big"].score, readings["little"].score
        if big != little:
            used = "big" if big < little else "little"
    return Analysis(document, bom, claimed, readings, used)


def bom_name(bom: bytes | None) -> str:
    return "no BOM" if bom is None else f"the BOM {bom.hex(' ').upper()}"

"""Text on the wire (Newmarch, "Network Programming with Go", ch. 6): UTF-8 and UTF-16.

Sans-IO codecs (:mod:`.utf8`, :mod:`.utf16`), the services of the chapter as sans-IO
cores (:mod:`.protocol`), and their asyncio shell (:mod:`.server`).
"""

from __future__ import annotations

from reference_impls.text.utf8 import Utf8Decoder, decode_utf8
from reference_impls.text.utf16 import (
    BOM_BE,
    BOM_LE,
    ByteOrder,
    Utf16Decoder,
    byte_order_of_bom,
    decode_utf16,
    encode_utf16,
)

__all__ = [
    "BOM_BE",
    "BOM_LE",
    "ByteOrder",
    "Utf8Decoder",
    "Utf16Decoder",
    "byte_order_of_bom",
    "decode_utf8",
    "decode_utf16",
    "encode_utf16",
]

"""Gob types the gob tests share with the Go corpus program (tests/interop/go/gobcorpus)."""

from __future__ import annotations

from reference_impls.gob import GobEncodedType

__all__ = ["TEMP"]


def _temp_decode(data: bytes) -> int:
    """main.go's Temp.UnmarshalBinary."""
    if len(data) != 2:
        raise ValueError("Temp: want 2 bytes")
    return int.from_bytes(data, "big")


#: main.go's ``Temp``: a BinaryMarshaler, two big-endian bytes.
TEMP = GobEncodedType(
    "main.Temp",
    encode=lambda v: v.to_bytes(2, "big"),
    decode=_temp_decode,
    is_zero=lambda v: v == 0,
    method="binary",
    pointer=False,
    zero=0,
)

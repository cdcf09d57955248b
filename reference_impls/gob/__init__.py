"""encoding/gob (Go 1.19), sans-IO: byte-compatible Encoder and incremental Decoder.

>>> from reference_impls.gob import Decoder, Encoder
>>> from reference_impls.gob.models import Point
>>> data = Encoder().encode(Point(22, 33))
>>> data.hex(" ")[-23:]
'07 ff 82 01 2c 01 42 00'
>>> dec = Decoder(Point)
>>> dec.receive_data(data)
>>> dec.next_value()
Point(X=22, Y=33)

See :mod:`reference_impls.gob.types` for how Python annotations name Go types.
"""

from __future__ import annotations

from .codec import DEFAULT_MAX_MESSAGE_SIZE, NEED_DATA, Decoder, Encoder, NeedData
from .types import (
    ArrayOf,
    BigInt,
    Bool,
    Bytes,
    Complex64,
    Complex128,
    Float32,
    Float64,
    GobEncodedType,
    GoType,
    GoValue,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Interface,
    Registry,
    String,
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
    default_registry,
    go_type,
    register,
)
from .wire import WireType

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "NEED_DATA",
    "ArrayOf",
    "BigInt",
    "Bool",
    "Bytes",
    "Complex64",
    "Complex128",
    "Decoder",
    "Encoder",
    "Float32",
    "Float64",
    "GoType",
    "GoValue",
    "GobEncodedType",
    "Int",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Interface",
    "NeedData",
    "Registry",
    "String",
    "Uint",
    "Uint8",
    "Uint16",
    "Uint32",
    "Uint64",
    "Uintptr",
    "WireType",
    "default_registry",
    "go_type",
    "register",
]

"""Type descriptions on the wire (gob's ``wireType``), encoded and decoded.

``wireType`` is itself a gob struct: field 0 ArrayT, 1 SliceT, 2 StructT, 3 MapT,
4 GobEncoderT, 5 BinaryMarshalerT, 6 TextMarshalerT; each kind embeds ``CommonType``
(Name, Id) as its field 0. Encoding follows the ordinary struct rules (deltas, zero
fields left out); decoding follows Go's: a struct ends at a zero delta *or* at the end
of the message, and a field number past the last field is an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ..errors import RemoteProtocolError
from .primitives import Reader, put_int, put_uint

__all__ = [
    "BUILTIN_NAMES",
    "BUILTIN_WIRE_TYPES",
    "ERR_RANGE",
    "KINDS",
    "TOO_BIG",
    "WireType",
    "decode_wire_type",
    "encode_wire_type",
    "read_string",
    "struct_fields",
]

#: gob's sanity limit for counts and message sizes on 64-bit Go (8 GiB).
TOO_BIG: Final = (1 << 30) << 3

ERR_RANGE: Final = "gob: bad data: field numbers out of bounds"

#: The wireType field order.
KINDS: Final = ("array", "slice", "struct", "map", "gob", "binary", "text")

#: What Go calls the predefined types in its error messages (``typeId.string()``).
BUILTIN_NAMES: Final = {
    1: "bool",
    2: "int",
    3: "uint",
    4: "float",
    5: "bytes",
    6: "string",
    7: "complex",
    8: "interface",
    **{i: "_reserved1" for i in range(9, 16)},
}

_INT32_MIN: Final = -(1 << 31)
_INT32_MAX: Final = (1 << 31) - 1


@dataclass(frozen=True, slots=True)
class WireType:
    """One received (or sent) type description.

    ``kind`` is one of :data:`KINDS`, or ``None`` when the sender set no kind.
    ``id`` is CommonType.Id, which receivers must not check (see big.Int).
    """

    kind: str | None
    name: str = ""
    id: int = 0
    elem: int = 0
    key: int = 0
    length: int = 0
    fields: tuple[tuple[str, int], ...] = ()
    #: Further kinds the sender set in the same wireType (Go keeps them all, and each
    #: check looks at the kind it cares about).
    variants: tuple[WireType, ...] = ()

    def of_kind(self, kind: str) -> WireType | None:
        """This type's description as ``kind`` (ArrayT, SliceT …), if the sender set it."""
        if self.kind == kind:
            return self
        for variant in self.variants:
            if variant.kind == kind:
                return variant
        return None

    @property
    def go_name(self) -> str:
        """What Go's messages call it (wireType.string(): the first set kind's Name)."""
        for kind in ("array", "slice", "struct", "map", "gob", "binary", "text"):
            wt = self.of_kind(kind)
            if wt is not None:
                return wt.name
        return "unknown type"


def _builtin_struct(tid: int, name: str, *fields: tuple[str, int]) -> WireType:
    return WireType("struct", name, tid, fields=fields)


#: The structs every Go decoder knows without a definition: gob's own type
#: descriptions (ids 16-24). A peer may send values of these types.
BUILTIN_WIRE_TYPES: Final = {
    16: _builtin_struct(
        16, "wireType", ("ArrayT", 17), ("SliceT", 19), ("StructT", 20), ("MapT", 23),
        ("GobEncoderT", 24), ("BinaryMarshalerT", 24), ("TextMarshalerT", 24),
    ),
    17: _builtin_struct(17, "arrayType", ("CommonType", 18), ("Elem", 2), ("Len", 2)),
    18: _builtin_struct(18, "CommonType", ("Name", 6), ("Id", 2)),
    19: _builtin_struct(19, "sliceType", ("CommonType", 18), ("Elem", 2)),
    20: _builtin_struct(20, "structType", ("CommonType", 18), ("Field", 22)),
    21: _builtin_struct(21, "fieldType", ("Name", 6), ("Id", 2)),
    22: WireType("slice", "[]*gob.fieldType", 22, elem=21),
    23: _builtin_struct(23, "mapType", ("CommonType", 18), ("Key", 2), ("Elem", 2)),
    24: _builtin_struct(24, "gobEncoderType", ("CommonType", 18)),
}  # fmt: skip


# ------------------------------------------------------------------------------ encode


def _put_string(buf: bytearray, s: str) -> None:
    raw = s.encode("utf-8", "surrogateescape")
    put_uint(buf, len(raw))
    buf += raw


def _put_int_fields(buf: bytearray, values: list[int], start: int) -> None:
    """Append int fields numbered ``start``, ``start+1`` … leaving zeros out."""
    last = start - 1
    for i, value in enumerate(values, start):
        if value:
            put_uint(buf, i - last)
            put_int(buf, value)
            last = i


def encode_wire_type(wt: WireType) -> bytes:
    """The ``wireType`` value for ``wt`` (the message body after ``int(-id)``)."""
    if wt.kind not in KINDS:
        raise ValueError(f"no wire kind {wt.kind!r}")
    inner = bytearray(b"\x01")  # field 0: CommonType (a struct: always sent)
    if wt.name:
        inner.append(1)
        _put_string(inner, wt.name)
        put_uint(inner, 1)
    else:
        put_uint(inner, 2)
    put_int(inner, wt.id)
    inner.append(0)
    match wt.kind:
        case "array":
            _put_int_fields(inner, [wt.elem, wt.length], 1)
        case "slice":
            _put_int_fields(inner, [wt.elem], 1)
        case "map":
            _put_int_fields(inner, [wt.key, wt.elem], 1)
        case "struct" if wt.fields:
            inner.append(1)
            put_uint(inner, len(wt.fields))
            for name, tid in wt.fields:
                last = -1
                if name:
                    inner.append(1)
                    _put_string(inner, name)
                    last = 0
                if tid:
                    put_uint(inner, 1 - last)
                    put_int(inner, tid)
                inner.append(0)
    inner.append(0)
    out = bytearray()
    put_uint(out, KINDS.index(wt.kind) + 1)
    out += inner
    out.append(0)
    return bytes(out)


# ------------------------------------------------------------------------------ decode


def struct_fields(r: Reader, count: int) -> Iterator[int]:
    """Field numbers of a gob struct, as Go's decodeStruct walks them."""
    fieldnum = -1
    while r.pos < r.end:
        delta = r.read_uint()
        if delta >= 1 << 63:
            raise RemoteProtocolError("gob: decode: corrupted data: negative delta", offset=r.pos)
        if delta == 0:
            return
        fieldnum += delta
        if fieldnum >= count:
            raise RemoteProtocolError(ERR_RANGE, offset=r.pos)
        yield fieldnum


def read_string(r: Reader, type_name: str = "string") -> str:
    """decString: a uint length (that must fit in the message), then the bytes."""
    n = r.read_uint()
    if n > r.end - r.pos or n >= TOO_BIG:
        raise RemoteProtocolError(f"gob: bad {type_name} slice length: 0", offset=r.pos)
    return r.take(n).decode("utf-8", "surrogateescape")


def _read_id(r: Reader, name: str) -> int:
    value = r.read_int()
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise RemoteProtocolError(f'value for "{name}" out of range', offset=r.pos)
    return value


def _common(r: Reader) -> tuple[str, int]:
    name, tid = "", 0
    for fieldnum in struct_fields(r, 2):
        if fieldnum == 0:
            name = read_string(r)
        else:
            tid = _read_id(r, "Id")
    return name, tid


def _field_types(r: Reader) -> list[tuple[str, int]]:
    count = r.read_uint()
    if count >= TOO_BIG // 8:
        raise RemoteProtocolError(
            f"gob: *gob.fieldType slice too big: {count} elements of 8 bytes", offset=r.pos
        )
    out: list[tuple[str, int]] = []
    for _ in range(count):
        if r.pos >= r.end:
            raise RemoteProtocolError(
                f"gob: decoding array or slice: length exceeds input size ({count} elements)",
                offset=r.pos,
            )
        name, tid = "", 0
        for fieldnum in struct_fields(r, 2):
            if fieldnum == 0:
                name = read_string(r)
            else:
                tid = _read_id(r, "Id")
        out.append((name, tid))
    return out


# Field names after CommonType, per kind (their count bounds the field numbers).
_KIND_FIELDS: Final = {
    "array": ("Elem", "Len"),
    "slice": ("Elem",),
    "struct": ("Field",),
    "map": ("Key", "Elem"),
    "gob": (),
    "binary": (),
    "text": (),
}


def decode_wire_type(r: Reader) -> WireType:
    """Read one ``wireType`` value. A sender may set several kinds; Go keeps them all,
    and its decoder looks at them in the order array, map, slice, struct, encoders.
    """
    found: dict[str, WireType] = {}
    for fieldnum in struct_fields(r, len(KINDS)):
        kind = KINDS[fieldnum]
        extra = _KIND_FIELDS[kind]
        name, tid, elem, key, length = "", 0, 0, 0, 0
        fields: list[tuple[str, int]] = []
        for sub in struct_fields(r, 1 + len(extra)):
            if sub == 0:
                name, tid = _common(r)
                continue
            what = extra[sub - 1]
            if what == "Field":
                fields = _field_types(r)
            elif what == "Len":
                length = r.read_int()
            elif what == "Key":
                key = _read_id(r, "Key")
            else:
                elem = _read_id(r, "Elem")
        found[kind] = WireType(kind, name, tid, elem, key, length, tuple(fields))
    order = [k for k in ("array", "map", "slice", "struct", "gob", "binary", "text") if k in found]
    if not order:
        return WireType(None)
    primary = found[order[0]]
    if len(order) == 1:
        return primary
    return dataclasses.replace(primary, variants=tuple(found[k] for k in order[1:]))

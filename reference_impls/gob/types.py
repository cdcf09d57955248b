"""Go types for gob, and how Python annotations map onto them.

A model is a dataclass; its annotations name the Go type of each field:

========================================  =============================
Python annotation                         Go type
========================================  =============================
``bool`` / ``int`` / ``float``            ``bool`` / ``int`` / ``float64``
``str`` / ``bytes`` / ``complex``         ``string`` / ``[]byte`` / ``complex128``
``Annotated[int, Int8]`` (… ``Uint64``)   ``int8`` … ``uint64``, ``uintptr``
``Annotated[float, Float32]``             ``float32``
``Annotated[complex, Complex64]``         ``complex64``
``list[T]``                               ``[]T``
``Annotated[list[T], ArrayOf(3)]``        ``[3]T``
``dict[K, V]`` (None: a nil map)          ``map[K]V``
``T | None`` (``Optional[T]``)            ``*T`` (for a map, slice: nil-able T)
``Any`` / ``object``                      ``interface{}``
a dataclass                               a struct (``main.<ClassName>``)
``Annotated[int | None, BigInt]``         ``*big.Int`` (a GobEncoder)
========================================  =============================

Values: ints, floats, complexes, str (arbitrary bytes survive as surrogate escapes),
bytes, lists (also for arrays; ``[n]byte`` comes back as bytes), dicts, dataclass
instances, and None for nil. Zero values follow Go: a struct field that is 0, False,
"", empty bytes or list, or None is left out; a dict is sent even when empty (Go's
non-nil map; use ``dict[K, V] | None`` for a nil one); structs and arrays always are.
A field missing on the wire decodes to its Go zero value (not the dataclass default).

A :class:`GoType` can stand wherever an annotation can (``Encoder.encode(v, Int8)``).
A struct's Go name defaults to ``main.<ClassName>``; set ``__gob_name__ = "pkg.Name"``
on the class to change it. A field's Go name is its Python name, or
``field(metadata={"gob": "GoName"})``; as in Go, only exported (upper-case) names are
sent, and a field marked ``metadata={"gob": "-"}`` is left out.

Interface values carry a registered name: :func:`register` ("main.Point" → class).
The builtin scalars and their slices are pre-registered, as Go does. A Python value in
an interface field stands for its natural Go type (int → int, float → float64, a list
of str → []string, a dataclass → its struct); wrap it as ``GoValue(Int8, 5)`` for any
other. Decoding gives the same: a plain value where that is its natural type, else a
:class:`GoValue`, so that values go back out as they came in.
"""

from __future__ import annotations

import dataclasses
import struct
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from ..errors import LocalProtocolError

__all__ = [
    "ArrayOf",
    "ArrayType",
    "BasicType",
    "BigInt",
    "Bool",
    "Bytes",
    "Complex64",
    "Complex128",
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
    "InterfaceType",
    "MapType",
    "PointerType",
    "Registry",
    "SliceType",
    "String",
    "StructField",
    "StructType",
    "Uint",
    "Uint8",
    "Uint16",
    "Uint32",
    "Uint64",
    "Uintptr",
    "default_registry",
    "go_type",
    "infer_go_type",
    "register",
]

# Predefined wire type ids (encoding/gob/type.go).
T_BOOL: Final = 1
T_INT: Final = 2
T_UINT: Final = 3
T_FLOAT: Final = 4
T_BYTES: Final = 5
T_STRING: Final = 6
T_COMPLEX: Final = 7
T_INTERFACE: Final = 8
#: The first id a user type may have; Go's own encoder starts at 65.
FIRST_USER_ID: Final = 64


class GoType:
    """A Go type, as gob sees it. Instances are immutable and hashable."""

    __slots__ = ()

    @property
    def go_string(self) -> str:
        """Go's reflect ``Type.String()``: ``int8``, ``[]main.Email``, ``map[string]int``."""
        raise NotImplementedError

    @property
    def go_name(self) -> str:
        """Go's reflect ``Type.Name()``: a struct's bare name, empty for unnamed types."""
        return ""

    def __repr__(self) -> str:
        return f"<Go {self.go_string}>"


@dataclass(frozen=True, slots=True, repr=False)
class BasicType(GoType):
    """A predeclared scalar: bool, the ints and uints, floats, complexes, string, []byte."""

    name: str
    #: Wire type id: 1 bool, 2 int, 3 uint, 4 float, 5 []byte, 6 string, 7 complex.
    wire_id: int
    #: Bit size of an int/uint/float kind (complex: of each part); 0 otherwise.
    bits: int = 0

    @property
    def go_string(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, repr=False)
class InterfaceType(GoType):
    """``interface{}``: any registered concrete value, or nil (``None``)."""

    @property
    def go_string(self) -> str:
        return "interface {}"


@dataclass(frozen=True, slots=True, repr=False)
class SliceType(GoType):
    elem: GoType

    @property
    def go_string(self) -> str:
        return "[]" + self.elem.go_string


@dataclass(frozen=True, slots=True, repr=False)
class ArrayType(GoType):
    elem: GoType
    length: int

    @property
    def go_string(self) -> str:
        return f"[{self.length}]{self.elem.go_string}"


@dataclass(frozen=True, slots=True, repr=False)
class MapType(GoType):
    key: GoType
    elem: GoType

    @property
    def go_string(self) -> str:
        return f"map[{self.key.go_string}]{self.elem.go_string}"


@dataclass(frozen=True, slots=True, repr=False)
class PointerType(GoType):
    """``*T``: ``None`` is nil; otherwise the value is sent as the ``T`` it points to."""

    elem: GoType

    @property
    def go_string(self) -> str:
        return "*" + self.elem.go_string


@dataclass(frozen=True, slots=True)
class StructField:
    """One field of a struct model: Python attribute, Go name and Go type."""

    attr: str
    name: str
    type: GoType
    #: The annotation admits None: a field missing on the wire is None (Go's nil).
    nilable: bool = False


@dataclass(frozen=True, slots=True, repr=False)
class StructType(GoType):
    """A dataclass seen as a Go struct. Its fields are resolved lazily (recursive types)."""

    cls: type
    qualified_name: str

    @property
    def go_string(self) -> str:
        return self.qualified_name

    @property
    def go_name(self) -> str:
        return self.qualified_name.rpartition(".")[2]

    @property
    def fields(self) -> tuple[StructField, ...]:
        """The fields Go would send (exported, in declaration order)."""
        return _struct_fields(self)


@dataclass(frozen=True, slots=True, repr=False)
class GobEncodedType(GoType):
    """A type that implements GobEncoder/GobDecoder (or BinaryMarshaler).

    The wire carries ``uint(len(b))`` and the bytes ``b`` that ``encode`` returns;
    ``decode`` turns them back into a Python value. ``is_zero`` says when a struct
    field holding the value is left out (Go: a nil pointer; for a value type, the
    all-zero value). A missing field decodes to None for a pointer type, else to
    ``zero``.
    """

    name: str
    encode: Callable[[Any], bytes] = field(compare=False)
    decode: Callable[[bytes], Any] = field(compare=False)
    is_zero: Callable[[Any], bool] = field(compare=False)
    #: "gob" (GobEncoderT on the wire) or "binary" (BinaryMarshalerT).
    method: str = "gob"
    #: Whether the Go type is a pointer (``*big.Int``), as gob's ids depend on it.
    pointer: bool = True
    #: The Go zero value of a value (non-pointer) type, as Python holds it.
    zero: Any = field(default=None, compare=False)

    @property
    def go_string(self) -> str:
        return self.name

    @property
    def go_name(self) -> str:
        return "" if self.pointer else self.name.rpartition(".")[2]


Bool: Final = BasicType("bool", T_BOOL)
Int: Final = BasicType("int", T_INT, 64)
Int8: Final = BasicType("int8", T_INT, 8)
Int16: Final = BasicType("int16", T_INT, 16)
Int32: Final = BasicType("int32", T_INT, 32)
Int64: Final = BasicType("int64", T_INT, 64)
Uint: Final = BasicType("uint", T_UINT, 64)
Uint8: Final = BasicType("uint8", T_UINT, 8)
Uint16: Final = BasicType("uint16", T_UINT, 16)
Uint32: Final = BasicType("uint32", T_UINT, 32)
Uint64: Final = BasicType("uint64", T_UINT, 64)
Uintptr: Final = BasicType("uintptr", T_UINT, 64)
Float32: Final = BasicType("float32", T_FLOAT, 32)
Float64: Final = BasicType("float64", T_FLOAT, 64)
Complex64: Final = BasicType("complex64", T_COMPLEX, 32)
Complex128: Final = BasicType("complex128", T_COMPLEX, 64)
String: Final = BasicType("string", T_STRING)
Bytes: Final = BasicType("[]uint8", T_BYTES)
Interface: Final = InterfaceType()


def _big_encode(value: Any) -> bytes:
    """math/big.Int.GobEncode: (version 1 << 1) | sign, then the big-endian magnitude."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise LocalProtocolError(f"big.Int needs an int, not {type(value).__name__}")
    mag = abs(value)
    return bytes([2 | (value < 0)]) + mag.to_bytes((mag.bit_length() + 7) // 8, "big")


def _big_decode(data: bytes) -> int:
    """math/big.Int.GobDecode (empty bytes: a nil *big.Int, which decodes as 0)."""
    if not data:
        return 0
    if data[0] >> 1 != 1:
        raise ValueError(f"Int.GobDecode: encoding version {data[0] >> 1} not supported")
    mag = int.from_bytes(data[1:], "big")
    return -mag if data[0] & 1 else mag


def _is_nil(value: Any) -> bool:
    return value is None


#: ``*big.Int`` from math/big, carried by its GobEncode method. The Python value is an
#: int, or None for a nil pointer: a struct field leaves out nil, but sends a non-nil
#: zero (``Annotated[int | None, BigInt] = None`` is Go's zero field).
BigInt: Final = GobEncodedType("*big.Int", _big_encode, _big_decode, _is_nil)


@dataclass(frozen=True, slots=True)
class ArrayOf:
    """Marker: ``Annotated[list[T], ArrayOf(n)]`` is the Go array ``[n]T``."""

    length: int

    def __post_init__(self) -> None:
        if self.length < 0:
            raise ValueError(f"array length must not be negative: {self.length}")


@dataclass(frozen=True, slots=True)
class GoValue:
    """A value with an explicit Go type, for interface fields and for ``encode``.

    ``GoValue(Int8, 5)`` in an interface field sends the concrete type ``int8``.
    """

    type: Any
    value: Any

    def __post_init__(self) -> None:
        # Hold the GoType, so that GoValue(list[int], v) == GoValue(SliceType(Int), v).
        object.__setattr__(self, "type", go_type(self.type))


# --------------------------------------------------------------------------- resolution

_SIMPLE: dict[Any, GoType] = {
    bool: Bool,
    int: Int,
    float: Float64,
    complex: Complex128,
    str: String,
    bytes: Bytes,
    bytearray: Bytes,
    object: Interface,
    Any: Interface,
}

_lock = threading.RLock()
_cache: dict[Any, GoType] = {}
_fields_cache: dict[type, tuple[StructField, ...]] = {}


def go_type(annotation: Any) -> GoType:
    """The :class:`GoType` an annotation (or a GoType, or a dataclass) stands for."""
    if isinstance(annotation, GoType):
        return annotation
    try:
        return _cache[annotation]
    except (KeyError, TypeError):
        pass
    result = _resolve(annotation)
    try:
        with _lock:
            _cache[annotation] = result
    except TypeError:
        pass
    return result


def _resolve(annotation: Any) -> GoType:
    simple = _SIMPLE.get(annotation) if _hashable(annotation) else None
    if simple is not None:
        return simple
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base, *markers = args
        for marker in markers:
            if isinstance(marker, ArrayOf):
                inner = go_type(base)
                if inner == Bytes:
                    return ArrayType(Uint8, marker.length)
                if not isinstance(inner, SliceType):
                    raise TypeError(f"ArrayOf needs a list[T] annotation, not {base!r}")
                return ArrayType(inner.elem, marker.length)
            if isinstance(marker, GoType):
                return marker
        return go_type(base)
    if origin is list and len(args) == 1:
        elem = go_type(args[0])
        return Bytes if elem == Uint8 else SliceType(elem)
    if origin is dict and len(args) == 2:
        return MapType(go_type(args[0]), go_type(args[1]))
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            inner = go_type(rest[0])
            # Maps, slices and interfaces are nil-able in Go already: None is their nil.
            if isinstance(inner, MapType | SliceType | InterfaceType) or inner == Bytes:
                return inner
            return PointerType(inner)
        raise TypeError(f"only T | None (a pointer) is supported, not {annotation!r}")
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        name = getattr(annotation, "__gob_name__", None) or f"main.{annotation.__name__}"
        return StructType(annotation, name)
    if annotation in (list, dict):
        raise TypeError(f"{annotation.__name__} needs type arguments, e.g. list[int]")
    raise TypeError(f"no Go type for the annotation {annotation!r}")


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _struct_fields(st: StructType) -> tuple[StructField, ...]:
    try:
        return _fields_cache[st.cls]
    except KeyError:
        pass
    hints = typing.get_type_hints(st.cls, include_extras=True)
    out: list[StructField] = []
    for f in dataclasses.fields(st.cls):
        if not f.init:
            continue
        name = f.metadata.get("gob", f.name)
        if name == "-" or not name[:1].isupper():
            continue
        hint = hints[f.name]
        out.append(StructField(f.name, name, go_type(hint), _admits_none(hint)))
    result = tuple(out)
    with _lock:
        _fields_cache[st.cls] = result
    return result


def _admits_none(annotation: Any) -> bool:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(annotation)
    return annotation in (Any, object)


def infer_go_type(value: Any) -> GoType:
    """The Go type of a Python value sent without a declared type (an interface value)."""
    if isinstance(value, GoValue):
        return go_type(value.type)
    if isinstance(value, bool):
        return Bool
    if isinstance(value, int):
        return Int
    if isinstance(value, float):
        return Float64
    if isinstance(value, complex):
        return Complex128
    if isinstance(value, str):
        return String
    if isinstance(value, bytes | bytearray | memoryview):
        return Bytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return go_type(type(value))
    if isinstance(value, list) and value:
        elem = _same_type(value)
        return Bytes if elem == Uint8 else SliceType(elem)
    if isinstance(value, dict) and value:
        return MapType(_same_type(list(value)), _same_type(list(value.values())))
    raise LocalProtocolError(
        f"cannot tell the Go type of {type(value).__name__} {value!r:.40}; "
        "wrap it: GoValue(list[int], v)"
    )


def _same_type(items: list[Any]) -> GoType:
    """The one Go type of every item (a non-empty list), as :func:`infer_go_type` sees it."""
    first = infer_go_type(items[0])
    for item in items[1:]:
        if infer_go_type(item) != first:
            raise LocalProtocolError(
                "cannot tell the Go type of a mixed list; wrap it: GoValue(list[Any], v)"
            )
    return first


# ----------------------------------------------------------------------------- registry


class Registry:
    """Names of concrete types for interface values (gob.Register / gob.RegisterName)."""

    _BASICS: ClassVar[tuple[GoType, ...]] = (
        Int, Int8, Int16, Int32, Int64, Uint, Uint8, Uint16, Uint32, Uint64, Uintptr,
        Float32, Float64, Complex64, Complex128, Bool, String,
    )  # fmt: skip

    def __init__(self, *, builtins: bool = True) -> None:
        self._by_name: dict[str, GoType] = {}
        self._by_type: dict[GoType, str] = {}
        if builtins:
            for basic in self._BASICS:
                self.register(basic.go_string, basic)
                slice_type = Bytes if basic == Uint8 else SliceType(basic)
                self.register(slice_type.go_string, slice_type)

    def register(self, name: str, tp: Any) -> None:
        """Name the concrete type ``tp`` (an annotation, dataclass or GoType) ``name``."""
        gt = go_type(tp)
        if not name:
            raise LocalProtocolError("gob: register: empty name")
        if self._by_name.get(name, gt) != gt:
            raise LocalProtocolError(f"gob: registering duplicate types for {name!r}")
        if self._by_type.get(gt, name) != name:
            raise LocalProtocolError(f"gob: registering duplicate names for {gt.go_string}")
        self._by_name[name] = gt
        self._by_type[gt] = name

    def type_for(self, name: str) -> GoType | None:
        return self._by_name.get(name)

    def name_for(self, tp: GoType) -> str | None:
        return self._by_type.get(tp)


default_registry: Final = Registry()


def register(name: str, tp: Any, registry: Registry | None = None) -> None:
    """``gob.RegisterName(name, value)``: in the default registry unless one is given."""
    (registry or default_registry).register(name, tp)


# ------------------------------------------------------------------------ float helpers

_PACK_F = struct.Struct("<f")
_PACK_D = struct.Struct("<d")


def round_float32(value: float) -> float:
    """``float64(float32(value))``; OverflowError when out of float32 range."""
    result: float = _PACK_F.unpack(_PACK_F.pack(value))[0]
    return result


def float_bits(value: float) -> int:
    """The float64 bits, byte-reversed, as gob sends them."""
    return int.from_bytes(_PACK_D.pack(value), "big")


def bits_float(bits: int) -> float:
    result: float = _PACK_D.unpack(bits.to_bytes(8, "big"))[0]
    return result

"""The gob stream: a sans-IO :class:`Encoder` and an incremental :class:`Decoder`.

Encoding and decoding work through per-type operations compiled once and cached:
encoders per Go type, process-wide; decoders per (wire type, target type), on each
Decoder by wire id and process-wide by the shape of the wire types (ids belong to a
stream, shapes do not), so a fresh Decoder for a known kind of stream compiles nothing.
A struct's operation is generated Python source (up to 48 fields; larger ones are
table-driven), which reads the message through locals and handles strings, ints,
bools and slices inline; the source is cached too, by its text. Checks, error texts
and offsets are the table-driven code's, which the tests compare it with.

The Decoder follows Go 1.19's decoder, error texts included, down to its quirks
(checked by differential fuzzing against Go): ids 16-24 are Go's own struct types;
an id is an int32; a struct ends at a zero delta or at the end of its message; what
follows a value in its message is dropped; a field whose local type was already
compiled in the same struct reuses that op, whatever its wire type.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import inspect
import keyword
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any, Final, Literal, TypeAlias

from ..errors import LocalProtocolError, RemoteProtocolError
from .primitives import ERR_BAD_UINT, Reader, put_int, put_uint
from .types import (
    FIRST_USER_ID,
    T_BYTES,
    T_INTERFACE,
    ArrayType,
    BasicType,
    GobEncodedType,
    GoType,
    GoValue,
    InterfaceType,
    MapType,
    PointerType,
    Registry,
    SliceType,
    StructType,
    Uint8,
    bits_float,
    default_registry,
    float_bits,
    go_type,
    infer_go_type,
    round_float32,
)
from .wire import (
    BUILTIN_NAMES,
    BUILTIN_WIRE_TYPES,
    ERR_RANGE,
    TOO_BIG,
    WireType,
    decode_wire_type,
    encode_wire_type,
    read_string,
)

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "NEED_DATA", "Decoder", "Encoder", "NeedData"]

#: Go refuses messages of 8 GiB or more ("invalid message length").
DEFAULT_MAX_MESSAGE_SIZE: Final = TOO_BIG - 1

_MAX_FLOAT32: Final = 3.4028234663852886e38
_INT_MIN = {bits: -(1 << (bits - 1)) for bits in (8, 16, 32, 64)}
_INT_MAX = {bits: (1 << (bits - 1)) - 1 for bits in (8, 16, 32, 64)}
_UINT_MAX = {bits: (1 << bits) - 1 for bits in (8, 16, 32, 64)}


class NeedData(enum.Enum):
    """What :meth:`Decoder.next_value` returns when no whole value is buffered yet."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA


def _base(t: GoType) -> GoType:
    """gob's userType base: pointers stripped (a GobEncoder type is its own base)."""
    while isinstance(t, PointerType):
        t = t.elem
    return t


def _go_quote(raw: bytes) -> str:
    """Go's %q of a byte string (strconv.Quote): printable runes kept, the rest escaped."""
    out = ['"']
    text = raw.decode("utf-8", "surrogateescape")
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


# =============================================================================== encoding

_EncOp: TypeAlias = Callable[["Encoder", bytearray, Any], None]
_IsZero: TypeAlias = Callable[[Any], bool]

_enc_lock = threading.RLock()
_enc_cache: dict[GoType, tuple[_EncOp, _IsZero]] = {}


def _never_zero(value: Any) -> bool:
    return False


def _falsy(value: Any) -> bool:
    return not value


def _enc_ops(t: GoType) -> tuple[_EncOp, _IsZero]:
    """The (encode, is-zero) pair for values of ``t``, compiled once per process."""
    try:
        return _enc_cache[t]
    except KeyError:
        pass
    with _enc_lock:
        if t in _enc_cache:
            return _enc_cache[t]
        cell: list[_EncOp] = []

        def forward(enc: Encoder, buf: bytearray, value: Any) -> None:
            cell[0](enc, buf, value)

        # A recursive type reaches itself through a struct, which is never zero.
        _enc_cache[t] = (forward, _never_zero)
        try:
            op, is_zero = _build_enc(t)
        except BaseException:
            del _enc_cache[t]
            raise
        cell.append(op)
        _enc_cache[t] = (op, is_zero)
        return op, is_zero


def _bad_value(t: GoType, value: Any) -> LocalProtocolError:
    return LocalProtocolError(f"gob: cannot encode {value!r} as Go type {t.go_string}")


def _build_enc(t: GoType) -> tuple[_EncOp, _IsZero]:
    if isinstance(t, BasicType):
        return _build_enc_basic(t)
    if isinstance(t, InterfaceType):
        return _enc_interface, _is_none
    if isinstance(t, PointerType):
        elem_op, elem_zero = _enc_ops(t.elem)

        def enc_ptr(enc: Encoder, buf: bytearray, value: Any) -> None:
            if value is None:
                raise LocalProtocolError(f"gob: cannot encode nil pointer of type {t.go_string}")
            elem_op(enc, buf, value)

        def ptr_zero(value: Any) -> bool:
            return value is None or elem_zero(value)

        return enc_ptr, ptr_zero
    if isinstance(t, SliceType | ArrayType):
        elem_op, _ = _enc_ops(t.elem)
        length = t.length if isinstance(t, ArrayType) else -1

        byte_array = length >= 0 and t.elem == Uint8

        def enc_list(enc: Encoder, buf: bytearray, value: Any) -> None:
            if value is None and length < 0:  # a nil slice
                buf.append(0)
                return
            if value.__class__ is list:  # the common case, none of the below
                n = len(value)
            else:
                if isinstance(value, str | Mapping) or (
                    isinstance(value, bytes | bytearray) and not byte_array
                ):
                    raise _bad_value(t, value)
                try:
                    n = len(value)
                except TypeError:
                    raise _bad_value(t, value) from None
            if length >= 0 and n != length:
                raise LocalProtocolError(
                    f"gob: array {t.go_string} needs {length} elements, not {n}"
                )
            put_uint(buf, n)
            for item in value:
                elem_op(enc, buf, item)

        return enc_list, (_never_zero if length >= 0 else _falsy)
    if isinstance(t, MapType):
        key_op, _ = _enc_ops(t.key)
        val_op, _ = _enc_ops(t.elem)

        def enc_map(enc: Encoder, buf: bytearray, value: Any) -> None:
            if value is None:  # a nil map has no entries
                buf.append(0)
                return
            if not isinstance(value, Mapping):
                raise _bad_value(t, value)
            put_uint(buf, len(value))
            for k, v in value.items():
                key_op(enc, buf, k)
                val_op(enc, buf, v)

        # Go leaves out a nil map but sends an empty one.
        return enc_map, _is_none
    if isinstance(t, StructType):
        return _build_enc_struct(t), _never_zero
    if isinstance(t, GobEncodedType):
        encode, zero = t.encode, t.is_zero

        def enc_gob(enc: Encoder, buf: bytearray, value: Any) -> None:
            data = encode(value)
            put_uint(buf, len(data))
            buf += data

        return enc_gob, zero
    raise LocalProtocolError(f"gob: cannot encode Go type {t!r}")


def _is_none(value: Any) -> bool:
    return value is None


def _build_enc_basic(t: BasicType) -> tuple[_EncOp, _IsZero]:
    name = t.name
    if name == "bool":

        def enc_bool(enc: Encoder, buf: bytearray, value: Any) -> None:
            if not isinstance(value, int):
                raise _bad_value(t, value)
            buf.append(1 if value else 0)

        return enc_bool, _falsy
    if t.wire_id in (2, 3):
        lo = _INT_MIN[t.bits] if t.wire_id == 2 else 0
        hi = _INT_MAX[t.bits] if t.wire_id == 2 else _UINT_MAX[t.bits]
        signed = t.wire_id == 2

        def enc_int(enc: Encoder, buf: bytearray, value: Any) -> None:
            if value.__class__ is not int and (
                not isinstance(value, int) or isinstance(value, bool)
            ):
                raise _bad_value(t, value)
            if not lo <= value <= hi:
                raise LocalProtocolError(f"gob: {value} out of range for Go type {name}")
            if signed:
                put_uint(buf, value << 1 if value >= 0 else ((~value) << 1) | 1)
            else:
                put_uint(buf, value)

        return enc_int, _falsy
    if t.wire_id == 4:
        f32 = t.bits == 32

        def enc_float(enc: Encoder, buf: bytearray, value: Any) -> None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _bad_value(t, value)
            try:
                put_uint(buf, float_bits(round_float32(value) if f32 else float(value)))
            except OverflowError:
                raise LocalProtocolError(f"gob: {value} out of range for Go type {name}") from None

        return enc_float, _falsy
    if t.wire_id == 7:
        f32 = t.bits == 32

        def enc_complex(enc: Encoder, buf: bytearray, value: Any) -> None:
            if not isinstance(value, int | float | complex) or isinstance(value, bool):
                raise _bad_value(t, value)
            c = complex(value)
            try:
                re, im = (round_float32(c.real), round_float32(c.imag)) if f32 else (c.real, c.imag)
            except OverflowError:
                raise LocalProtocolError(f"gob: {value} out of range for Go type {name}") from None
            put_uint(buf, float_bits(re))
            put_uint(buf, float_bits(im))

        return enc_complex, _falsy
    if t.wire_id == 6:

        def enc_string(enc: Encoder, buf: bytearray, value: Any) -> None:
            if not isinstance(value, str):
                raise _bad_value(t, value)
            try:
                raw = value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                raise LocalProtocolError(f"gob: {value!r} is not valid as Go string") from None
            put_uint(buf, len(raw))
            buf += raw

        _ENC_KINDS[enc_string] = ("string", t)
        return enc_string, _falsy
    if t.wire_id == T_BYTES:

        def enc_bytes(enc: Encoder, buf: bytearray, value: Any) -> None:
            if value is None:  # a nil []byte
                buf.append(0)
                return
            if not isinstance(value, bytes | bytearray | memoryview):
                raise _bad_value(t, value)
            raw = bytes(value)
            put_uint(buf, len(raw))
            buf += raw

        return enc_bytes, _falsy
    raise LocalProtocolError(f"gob: cannot encode Go type {name}")


def _build_enc_struct(t: StructType) -> _EncOp:
    if dataclasses.fields(t.cls) and not t.fields:
        raise LocalProtocolError(f"gob: type {t.go_string} has no exported fields")
    fields = [(f.attr, *_enc_ops(f.type)) for f in t.fields]
    cls = t.cls
    compiled = _compile_enc_struct(t, fields)
    if compiled is not None:
        return compiled

    def enc_struct(enc: Encoder, buf: bytearray, value: Any) -> None:
        if not isinstance(value, cls):
            raise _bad_value(t, value)
        last = -1
        for i, (attr, op, is_zero) in enumerate(fields):
            item = getattr(value, attr)
            if is_zero(item):
                continue
            put_uint(buf, i - last)
            last = i
            op(enc, buf, item)
        buf.append(0)

    return enc_struct


#: Compiled struct codecs by their source: the source depends only on the shape of
#: the fields (their kinds and order), so streams whose types differ only in their
#: names, as in a fuzz run, compile nothing new.
_CODE_CACHE_SIZE: Final = 1024
_CODE_CACHE: dict[str, CodeType] = {}


def _exec_source(src: list[str], filename: str, ns: dict[str, Any], name: str) -> Any:
    """Run generated source (ours, from identifiers checked by the caller) in ``ns``;
    return what it defined as ``name``."""
    text = "\n".join(src) + "\n"
    code = _CODE_CACHE.get(text)
    if code is None:
        code = compile(text, filename, "exec")
        if len(_CODE_CACHE) >= _CODE_CACHE_SIZE:
            _CODE_CACHE.clear()
        _CODE_CACHE[text] = code
    exec(code, ns)
    return ns[name]


#: What some encode ops do, so that a compiled struct encoder can do it inline.
_ENC_KINDS: weakref.WeakKeyDictionary[_EncOp, tuple[str, GoType]] = weakref.WeakKeyDictionary()


def _compile_enc_struct(t: StructType, fields: list[tuple[str, _EncOp, _IsZero]]) -> _EncOp | None:
    """``enc_struct`` for one model, generated as Python source: the same checks and
    bytes, with the fields read as attributes and strings written inline."""
    if len(fields) > min(_MAX_COMPILED_FIELDS, 0x7F) or any(  # deltas of one byte
        not attr.isidentifier() or keyword.iskeyword(attr) for attr, _, _ in fields
    ):
        return None
    ns: dict[str, Any] = {
        "cls": t.cls,
        "t": t,
        "_bad_value": _bad_value,
        "put_uint": put_uint,
        "LocalProtocolError": LocalProtocolError,
    }
    src = [
        "def enc_struct(enc, buf, value):",
        "    if not isinstance(value, cls):",
        "        raise _bad_value(t, value)",
        "    last = -1",
    ]
    for i, (attr, op, is_zero) in enumerate(fields):
        src.append(f"    item = value.{attr}")
        if is_zero is _falsy:
            src.append("    if item:")
        elif is_zero is _is_none:
            src.append("    if item is not None:")
        elif is_zero is _never_zero:
            src.append("    if True:")
        else:
            ns[f"z{i}"] = is_zero
            src.append(f"    if not z{i}(item):")
        src += [f"        buf.append({i} - last)", f"        last = {i}"]
        try:
            kind = _ENC_KINDS.get(op)
        except TypeError:  # not weakly referable: none of ours
            kind = None
        if kind is not None and kind[0] == "string":
            ns[f"t{i}"] = kind[1]
            src += [
                "        if not isinstance(item, str):",
                f"            raise _bad_value(t{i}, item)",
                "        try:",
                "            raw = item.encode('utf-8', 'surrogateescape')",
                "        except UnicodeEncodeError:",
                "            raise LocalProtocolError(",
                '                f"gob: {item!r} is not valid as Go string"',
                "            ) from None",
                "        if len(raw) < 0x80:",
                "            buf.append(len(raw))",
                "        else:",
                "            put_uint(buf, len(raw))",
                "        buf += raw",
            ]
        else:
            ns[f"op{i}"] = op
            src.append(f"        op{i}(enc, buf, item)")
    src.append("    buf.append(0)")
    fn: _EncOp = _exec_source(src, "<gob struct encoder>", ns, "enc_struct")
    return fn


def _enc_interface(enc: Encoder, buf: bytearray, value: Any) -> None:
    if value is None:
        buf.append(0)
        return
    if isinstance(value, GoValue):
        concrete = go_type(value.type)
        value = value.value
    else:
        concrete = infer_go_type(value)
    name = enc.registry.name_for(
        _base(concrete) if not isinstance(concrete, GobEncodedType) else concrete
    )
    if name is None:
        raise LocalProtocolError(f"gob: type not registered for interface: {concrete.go_string}")
    raw = name.encode()
    put_uint(buf, len(raw))
    buf += raw
    inner = bytearray()
    if enc.inline_definitions:
        # Go's layout: a definition is appended to the message built so far, which
        # goes out as it is; the value goes on in a new message. Definitions needed
        # inside the concrete value go into this message, each with a length.
        put_int(buf, enc._type_descriptor(concrete, buf))
        enc._writers.append(buf)
        try:
            enc._encode_top(inner, concrete, value)
        finally:
            enc._writers.pop()
    else:
        # The simpler layout: definitions go out as messages of their own, before
        # the value's message; only int(id) follows the name.
        put_int(buf, enc._type_descriptor(concrete, bytearray()))
        enc._encode_top(inner, concrete, value)
    put_uint(buf, len(inner))
    buf += inner


@dataclass(slots=True)
class _TypeObj:
    """The encoder's mirror of gob's gobType, so that ids and names follow Go's order."""

    kind: str
    name: str
    id: int = 0
    elem: int = 0
    key: int = 0
    length: int = 0
    fields: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    def wire(self) -> WireType:
        return WireType(
            self.kind, self.name, self.id, self.elem, self.key, self.length, tuple(self.fields)
        )


class Encoder:
    """One gob stream out: :meth:`encode` returns the bytes to send for a value.

    Type definitions go out once per Encoder, in Go's order, before the first value
    that needs them; ids are handed out from ``first_id`` (Go's first is 65) in the
    order a fresh Go process would hand them out.

    A type first met inside an interface value is described, by default, in a message
    of its own before the value's message. ``inline_definitions=True`` writes it where
    Go's encoder does instead (inside the value, splitting the message), which gives
    Go's bytes exactly.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        first_id: int = 65,
        inline_definitions: bool = False,
    ) -> None:
        if first_id <= FIRST_USER_ID:
            raise LocalProtocolError(f"gob: user type ids start above {FIRST_USER_ID}")
        self.registry = registry or default_registry
        self._last_id = first_id - 1
        self._types: dict[GoType, _TypeObj] = {}
        self._user: dict[GoType, _TypeObj] = {}
        self._info: dict[GoType, tuple[int, bytes | None]] = {}
        self._sent: dict[GoType, int] = {}
        self.inline_definitions = inline_definitions
        #: Where finished messages go: the output, or (Go's layout, inside an interface
        #: value) the message that holds the value.
        self._writers: list[bytearray] = []
        #: Models whose definitions are out: class -> (int(id) bytes, struct encoder).
        self._fast: dict[type, tuple[bytes, _EncOp]] = {}

    @property
    def sent_types(self) -> Mapping[str, int]:
        """Go type string → id, for every type described on this stream so far."""
        return {t.go_string: tid for t, tid in self._sent.items()}

    def encode(self, value: Any, tp: Any = None) -> bytes:
        """The messages for one ``Encode(value)``: any new definitions, then the value.

        ``tp`` (an annotation, dataclass or :class:`GoType`) is the value's Go type;
        without it the type comes from the value (dataclass, bool, int, float, complex,
        str, bytes, or a :class:`GoValue`).
        """
        if tp is None:
            fast = self._fast.get(value.__class__)
            if fast is not None:
                return self._encode_message(bytearray(fast[0]), fast[1], value)
        cls = value.__class__ if tp is None and not isinstance(value, GoValue) else None
        if isinstance(value, GoValue):
            tp, value = value.type, value.value
        t = infer_go_type(value) if tp is None else go_type(tp)
        if isinstance(t, InterfaceType):
            # Encode(any) sends the concrete value.
            t = infer_go_type(value)
            if isinstance(value, GoValue):
                value = value.value
        if value is None:
            raise LocalProtocolError("gob: cannot encode nil value")
        marks = (len(self._types), len(self._user), len(self._info), len(self._sent))
        saved_id = self._last_id
        out = bytearray()
        self._writers = [out]
        try:
            body = bytearray()
            put_int(body, self._type_descriptor(t, body))
            self._encode_top(body, t, value)
        except BaseException:
            self._rollback(marks, saved_id)
            raise
        finally:
            self._writers = []
        put_uint(out, len(body))
        out += body
        if isinstance(t, StructType) and t.cls is cls and t in self._sent:
            # This model's definitions are out: its next values need only its id.
            tid = bytearray()
            put_int(tid, self._sent[t])
            self._fast[t.cls] = (bytes(tid), _enc_ops(t)[0])
        return bytes(out)

    def _encode_message(self, body: bytearray, op: _EncOp, value: Any) -> bytes:
        """One value message: ``body`` (its type id so far), then ``op``'s encoding of
        ``value`` (which may send definitions first, for interface values)."""
        marks = (len(self._types), len(self._user), len(self._info), len(self._sent))
        saved_id = self._last_id
        out = bytearray()
        self._writers = [out]
        try:
            op(self, body, value)
        except BaseException:
            self._rollback(marks, saved_id)
            raise
        finally:
            self._writers = []
        put_uint(out, len(body))
        out += body
        return bytes(out)

    def _rollback(self, marks: tuple[int, ...], saved_id: int) -> None:
        """Forget the types met since ``marks`` (an encode that failed sent nothing)."""
        tables: tuple[dict[Any, Any], ...] = (self._types, self._user, self._info, self._sent)
        for table, mark in zip(tables, marks, strict=True):
            for k in list(table)[mark:]:
                del table[k]
        self._last_id = saved_id

    def _encode_top(self, buf: bytearray, t: GoType, value: Any) -> None:
        """A value as at top level: a struct as is, anything else after a 00 delta."""
        base = t if isinstance(t, GobEncodedType) else _base(t)
        op, _ = _enc_ops(base)
        if not isinstance(base, StructType):
            buf.append(0)
        op(self, buf, value)

    # ------------------------------------------------------------- type ids, Go's way

    def _set_id(self, obj: _TypeObj) -> None:
        if obj.id == 0:
            self._last_id += 1
            obj.id = self._last_id

    def _get_base_type(self, name: str, t: GoType) -> _TypeObj:
        base = t if isinstance(t, GobEncodedType) else _base(t)
        if isinstance(base, BasicType):
            return _TypeObj("builtin", base.name, base.wire_id)
        if isinstance(base, InterfaceType):
            return _TypeObj("builtin", "interface", T_INTERFACE)
        obj = self._types.get(base)
        return obj if obj is not None else self._new_type_object(name, base)

    def _new_type_object(self, name: str, t: GoType) -> _TypeObj:
        if isinstance(t, GobEncodedType):
            obj = _TypeObj(t.method, name)
            self._set_id(obj)
            self._types[t] = obj
            return obj
        if isinstance(t, ArrayType):
            obj = _TypeObj("array", name)
            self._types[t] = obj
            elem = self._get_base_type("", t.elem)
            self._set_id(obj)
            obj.elem, obj.length = elem.id, t.length
            return obj
        if isinstance(t, MapType):
            obj = _TypeObj("map", name)
            self._types[t] = obj
            key = self._get_base_type("", t.key)
            elem = self._get_base_type("", t.elem)
            self._set_id(obj)
            obj.key, obj.elem = key.id, elem.id
            return obj
        if isinstance(t, SliceType):
            obj = _TypeObj("slice", name)
            self._types[t] = obj
            elem = self._get_base_type(t.elem.go_name, t.elem)
            self._set_id(obj)
            self._set_id(elem)
            obj.elem = elem.id
            return obj
        if isinstance(t, StructType):
            obj = _TypeObj("struct", name)
            self._set_id(obj)
            self._types[t] = obj
            for f in t.fields:
                base = f.type if isinstance(f.type, GobEncodedType) else _base(f.type)
                if isinstance(base, GobEncodedType):
                    tname = base.name.lstrip("*").rpartition(".")[2]
                else:
                    tname = base.go_name or base.go_string
                gt = self._get_base_type(tname, f.type)
                self._set_id(gt)
                obj.fields.append((f.name, gt.id))
            return obj
        raise LocalProtocolError(f"gob: cannot describe Go type {t!r}")

    def _type_info(self, t: GoType) -> tuple[int, bytes | None]:
        """(id, wireType bytes or None for a predefined type): gob's getTypeInfo."""
        info = self._info.get(t)
        if info is not None:
            return info
        if isinstance(t, GobEncodedType):
            gt = self._get_base_type("" if t.pointer else t.go_name, t)
            user = gt
            if t.pointer:
                user = self._user.get(t) or _TypeObj(t.method, "")
                self._set_id(user)
                self._user[t] = user
            info = (gt.id, encode_wire_type(user.wire()))
        else:
            gt = self._get_base_type(t.go_name, t)
            info = (gt.id, None if gt.kind == "builtin" else encode_wire_type(gt.wire()))
        self._info[t] = info
        return info

    def _send_type(self, t: GoType, buf: bytearray) -> bool:
        if isinstance(t, GobEncodedType):
            return self._send_actual(t, buf)
        base = _base(t)
        if isinstance(base, BasicType | InterfaceType):
            return False
        return self._send_actual(base, buf)

    def _send_actual(self, t: GoType, buf: bytearray) -> bool:
        """Append ``int(-id) wireType`` to ``buf`` and send ``buf`` as a message."""
        if t in self._sent:
            return False
        tid, wire = self._type_info(t)
        assert wire is not None
        put_int(buf, -tid)
        buf += wire
        writer = self._writers[-1]
        put_uint(writer, len(buf))
        writer += buf
        buf.clear()
        self._sent[t] = tid
        if isinstance(t, StructType):
            for f in t.fields:
                self._send_type(f.type, buf)
        elif isinstance(t, SliceType | ArrayType):
            self._send_type(t.elem, buf)
        elif isinstance(t, MapType):
            self._send_type(t.key, buf)
            self._send_type(t.elem, buf)
        return True

    def _type_descriptor(self, t: GoType, buf: bytearray) -> int:
        """Send ``t``'s definitions if this stream has not had them; return its id."""
        rt = t if isinstance(t, GobEncodedType) else _base(t)
        tid = self._sent.get(rt)
        if tid is None:
            if not self._send_type(rt, buf):
                tid = self._type_info(rt)[0]
                self._sent[rt] = tid
            else:
                tid = self._sent[rt]
        return tid


# =============================================================================== decoding


#: Ids 9-15 are reserved: Go knows their names but can decode nothing as them.
FIRST_RESERVED_ID: Final = 9

_WIRE_CACHE_SIZE: Final = 4096
_WIRE_CACHE: dict[bytes, tuple[WireType, int]] = {}


class _StreamReader(Reader):
    """A reader that knows its Decoder (for interface values, which read definitions)."""

    __slots__ = ("dec",)

    def __init__(self, data: bytearray, pos: int, end: int, dec: Decoder) -> None:
        super().__init__(data, pos, end)
        self.dec = dec


def _decoder_of(r: Reader) -> Decoder:
    assert isinstance(r, _StreamReader)
    return r.dec


#: Compiled struct engines and top-level ops, shared by every Decoder: keyed by the
#: shape of the wire types involved (ids renumbered), so a new stream that defines the
#: same types (every connection of a fuzz run) compiles nothing.
_SHARED_SIZE: Final = 8192
_SHARED: dict[tuple[Any, ...], Any] = {}


def _share(key: tuple[Any, ...], value: Any) -> None:
    if len(_SHARED) >= _SHARED_SIZE:
        _SHARED.clear()
    _SHARED[key] = value


class _NeedMore(Exception):
    """A value continues in a message that is not buffered yet."""


_DecOp: TypeAlias = Callable[[Reader], Any]
_SKIP: Final = "skip"
_Target: TypeAlias = GoType | Literal["skip"] | None


def _err(message: str, r: Reader | None = None) -> RemoteProtocolError:
    return RemoteProtocolError(message, offset=None if r is None else r.pos)


def _read_uint_bounded(r: Reader, what: str) -> int:
    """gob's getLength: a count that must fit in what is left of the message."""
    n = r.read_uint()
    if n > r.end - r.pos or n >= TOO_BIG:
        raise _err(what, r)
    return n


def _zero(t: GoType) -> Any:
    """A fresh Go zero value of ``t`` as the Python model holds it."""
    if isinstance(t, BasicType):
        return {1: False, 2: 0, 3: 0, 4: 0.0, 5: b"", 6: "", 7: 0j}[t.wire_id]
    if isinstance(t, SliceType | MapType):
        return [] if isinstance(t, SliceType) else {}
    if isinstance(t, ArrayType):
        if t.elem == Uint8:
            return bytes(t.length)
        return [_zero(t.elem) for _ in range(t.length)]
    if isinstance(t, StructType):
        return t.cls(**{f.attr: None if f.nilable else _zero(f.type) for f in t.fields})
    if isinstance(t, GobEncodedType):
        return None if t.pointer else t.zero
    return None  # pointers and interfaces


_ZERO_BUDGET: Final = 1 << 16
_IMMUTABLE_ZERO: Final = (BasicType, PointerType, InterfaceType, GobEncodedType)


class Decoder:
    """One gob stream in. Feed bytes with :meth:`receive_data`; take values with
    :meth:`next_value`, which returns :data:`NEED_DATA` until a whole value is there.

    ``into`` is the default target: an annotation, dataclass or :class:`GoType`; with
    none, values come back as plain Python data (structs as dicts with every wire field,
    zero-filled). Errors are sticky: once the peer's data is bad, every later call
    raises the same :class:`RemoteProtocolError`.
    """

    def __init__(
        self,
        into: Any = None,
        *,
        registry: Registry | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.registry = registry or default_registry
        self.max_message_size = max_message_size
        self._into: GoType | None = None if into is None else go_type(into)
        self._buf = bytearray()
        self._start = 0
        self._wire: dict[int, WireType] = dict(BUILTIN_WIRE_TYPES)
        self._journal: list[int] = []
        self._ops: dict[tuple[int, Any, str], _DecOp] = {}
        self._structs: dict[tuple[int, Any], tuple[_DecOp, int]] = {}
        self._singles: dict[tuple[int, GoType, str], _DecOp] = {}
        self._error: RemoteProtocolError | None = None
        self._awaiting_value = False
        self._deferred: RemoteProtocolError | None = None
        self._dropped = 0  # bytes of the stream no longer in _buf
        self._reader = _StreamReader(self._buf, 0, 0, self)
        #: The last top-level struct decoded: (its type id as on the wire, the target,
        #: its op), for next_value's fast path.
        self._fast: tuple[bytes, Any, _DecOp] | None = None

    # ------------------------------------------------------------------ public API

    @property
    def wire_types(self) -> Mapping[int, WireType]:
        """Every type defined on this stream so far, by id."""
        return {tid: wt for tid, wt in self._wire.items() if tid >= FIRST_USER_ID}

    @property
    def buffered(self) -> int:
        """Bytes received and not yet used by a value or definition."""
        return len(self._buf) - self._start

    def receive_data(self, data: bytes) -> None:
        if self._start and self._start * 2 >= len(self._buf):
            del self._buf[: self._start]
            self._dropped += self._start
            self._start = 0
        self._buf += data

    def end_of_data(self) -> None:
        """The stream ended: an error unless it ended between messages (Go: unexpected EOF)."""
        if self._error is not None:
            raise self._error
        # Go: a stream that ends inside a message, or after definitions with no value
        # following them, ends unexpectedly.
        if self.buffered or self._awaiting_value:
            raise self._fail(_err("unexpected EOF"))

    def next_value(self, into: Any = ...) -> Any:
        """The next value, or :data:`NEED_DATA`. ``into`` overrides the target type."""
        if self._error is not None:
            raise self._error
        target = self._into if into is ... else (None if into is None else go_type(into))
        r = self._reader
        try:
            while True:
                # The common case first: a value of the same type, into the same target,
                # as the last one, in a message whose length takes one or two bytes.
                buf, start = self._buf, self._start
                fast = self._fast
                if fast is not None and target is fast[1] and start < len(buf):
                    # A message length of one byte, or of 0xFF and one byte.
                    n, pos = buf[start], start + 1
                    if n >= 0x80:
                        n = buf[pos] if n == 0xFF and pos < len(buf) else -1
                        pos += 1
                    tid_bytes = fast[0]
                    if (
                        len(tid_bytes) <= n <= self.max_message_size
                        and pos + n <= len(buf)
                        and buf.startswith(tid_bytes, pos)
                    ):
                        r.pos, r.end = pos + len(tid_bytes), pos + n
                        try:
                            value = fast[2](r)
                        except _NeedMore:
                            self._rollback()
                            return NEED_DATA
                        self._journal.clear()
                        self._awaiting_value = False
                        if self._deferred is not None:
                            raise self._deferred
                        self._start = r.end  # Go drops what is left of the message
                        return value
                r.pos = r.end = start
                if not self._next_message(r):
                    return NEED_DATA
                tid = self._type_id(r)
                if tid < 0:
                    self._recv_type(r, _neg32(tid))
                    self._journal.clear()
                    self._awaiting_value = True
                    if r.pos < r.end:
                        raise _err("extra data in buffer", r)
                    self._start = r.end
                    continue
                try:
                    if isinstance(target, StructType):
                        op = self._top_struct_op(r, tid, target)
                        if tid >= 0:
                            wire_id = bytearray()
                            put_int(wire_id, tid)
                            self._fast = (bytes(wire_id), target, op)
                        value = op(r)
                    else:
                        value = self._decode_value(r, tid, target, top=True)
                except _NeedMore:
                    self._rollback()
                    return NEED_DATA
                self._journal.clear()
                self._awaiting_value = False
                if self._deferred is not None:
                    raise self._deferred
                self._start = r.end  # Go drops what is left of the message
                return value
        except RemoteProtocolError as exc:
            if exc.offset is not None:
                exc.offset += self._dropped  # an offset into the whole stream
            raise self._fail(exc) from None
        except RecursionError:
            raise self._fail(_err("gob: value nested too deeply")) from None

    def values(self, into: Any = ...) -> list[Any]:
        """Every whole value buffered now."""
        out = []
        while (value := self.next_value(into)) is not NEED_DATA:
            out.append(value)
        return out

    # ------------------------------------------------------------------- framing

    def _fail(self, exc: RemoteProtocolError) -> RemoteProtocolError:
        self._error = exc
        return exc

    def _rollback(self) -> None:
        self._deferred = None
        self._fast = None
        for tid in self._journal:
            self._wire.pop(tid, None)
        if self._journal:
            self._ops.clear()
            self._structs.clear()
            self._singles.clear()
        self._journal.clear()

    def _next_message(self, r: Reader) -> bool:
        """Move ``r`` onto the message that starts at ``r.end``; False if not all here."""
        buf = self._buf
        pos = r.end
        size = len(buf)
        if pos >= size:
            return False
        b = buf[pos]
        if b < 0x80:
            n, pos = b, pos + 1
        else:
            width = 256 - b
            if width > 8:
                raise _err(ERR_BAD_UINT)
            if pos + 1 + width > size:
                return False
            n = int.from_bytes(buf[pos + 1 : pos + 1 + width], "big")
            pos += 1 + width
        if n > self.max_message_size:
            raise _err("invalid message length")
        if pos + n > size:
            return False
        r.pos, r.end = pos, pos + n
        return True

    @staticmethod
    def _next_uint(r: Reader) -> int:
        """Go's nextUint/nextInt (decodeUintReader on the message): its own EOF texts."""
        pos = r.pos
        if pos >= r.end:
            raise _err("EOF", r)
        b = r.data[pos]
        if b < 0x80:
            r.pos = pos + 1
            return b
        n = 256 - b
        r.pos = pos + 1  # Go has read the count byte, whatever comes next
        if n > 8:
            raise _err(ERR_BAD_UINT, r)
        if pos + 1 + n > r.end:
            r.pos = r.end  # and io.ReadFull has taken what there was
            raise _err("unexpected EOF", r)
        r.pos = pos + 1 + n
        return int.from_bytes(r.data[pos + 1 : pos + 1 + n], "big")

    @classmethod
    def _type_id(cls, r: Reader) -> int:
        """int(id), truncated to int32 as Go's typeId is."""
        u = cls._next_uint(r)
        value = ~(u >> 1) if u & 1 else u >> 1
        return ((value + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)

    def _recv_type(self, r: Reader, tid: int) -> None:
        if tid < FIRST_USER_ID or tid in self._wire:
            raise _err("gob: duplicate type received", r)
        # The same definitions arrive on stream after stream: remember what the rest
        # of a message decoded to (and how much of it that used).
        rest = bytes(r.data[r.pos : r.end])
        hit = _WIRE_CACHE.get(rest)
        if hit is None:
            start = r.pos
            wire = decode_wire_type(r)
            if len(_WIRE_CACHE) >= _WIRE_CACHE_SIZE:
                _WIRE_CACHE.clear()
            _WIRE_CACHE[rest] = (wire, r.pos - start)
        else:
            wire, used = hit
            r.pos += used
        self._wire[tid] = wire
        self._journal.append(tid)

    def _type_sequence(self, r: Reader) -> int:
        """decodeTypeSequence(isInterface=true): definitions, possibly in new messages."""
        while True:
            if r.pos >= r.end and not self._next_message(r):
                raise _NeedMore
            try:
                tid = self._type_id(r)
            except RemoteProtocolError as exc:
                # Go records this error but goes on with id 0; it surfaces later.
                self._deferred = self._deferred or exc
                return 0
            if tid >= 0:
                return tid
            self._recv_type(r, _neg32(tid))
            if r.pos < r.end:
                self._next_uint(r)

    # ------------------------------------------------------------------- values

    def _decode_value(self, r: Reader, wid: int, target: _Target, top: bool = False) -> Any:
        """decodeValue: a struct as is, anything else after a zero singleton delta.

        ``top``: the target is the caller's (Go's ``Decode(&x)``, so Go's messages
        name it ``*T``); otherwise it is an interface's concrete type.
        """
        if isinstance(target, PointerType):
            target = _base(target)
        wire = self._wire.get(wid)
        if isinstance(target, StructType):
            return self._top_struct_op(r, wid, target)(r)
        if target is None or target == _SKIP:
            if wire is not None and wire.of_kind("struct") is not None:
                return self._struct_op(wid, target)[0](r)
            op = self._op(wid, target, "")
        else:
            local = ("*" if top else "") + target.go_string
            if not self._compatible(target, wid, {}):
                remote = self._type_string(wid)
                if isinstance(target, InterfaceType) and wid != T_INTERFACE:
                    raise _err(
                        f"gob: local interface type {local} can only be decoded from remote "
                        f"interface type; received concrete type {remote}",
                        r,
                    )
                raise _err(f"gob: decoding into local type {local}, received remote type {remote}")
            single_key = (wid, target, local)
            cached = self._singles.get(single_key)
            if cached is None:
                shared_key = ("single", self._signature(wid), target, local)
                cached = _SHARED.get(shared_key)
                if cached is None:
                    cached = self._op(wid, target, local)
                    _share(shared_key, cached)
                self._singles[single_key] = cached
            op = cached
        if r.read_uint() != 0:
            raise _err("gob: decode: corrupted data: non-zero delta for singleton", r)
        return op(r)

    def _top_struct_op(self, r: Reader, wid: int, target: StructType) -> _DecOp:
        """The op for a value of wire type ``wid`` into struct ``target``, checked as
        Go's compileDec checks a struct it decodes into (not one inside a value)."""
        op, matched = self._struct_op(wid, target)
        wire = self._wire.get(wid)
        # (Go looks only at received types here, not at its own ids 16-24.)
        struct_wire = None if wire is None or wid < FIRST_USER_ID else wire.of_kind("struct")
        if matched == 0 and target.fields and struct_wire is not None and struct_wire.fields:
            raise _err(
                f"gob: type mismatch: no fields matched compiling decoder for {target.go_name}",
                r,
            )
        return op

    def _signature(self, wid: int) -> tuple[Any, ...]:
        """The shape of wire type ``wid`` and every type it reaches, with user ids
        renumbered in the order met: equal for equal definitions on any stream."""
        index = {wid: 0}
        order = [wid]

        def canon(i: int) -> Any:
            if i < FIRST_USER_ID:
                return ("builtin", i)  # predefined (or reserved, or bad): as it is
            if i not in index:
                index[i] = len(order)
                order.append(i)
            return index[i]

        if wid < FIRST_USER_ID:
            return (canon(wid),)
        entries: list[Any] = []
        for tid in order:  # grows while we go
            wire = self._wire.get(tid)
            if wire is None:
                entries.append(None)
                continue
            entries.append(
                tuple(
                    (
                        wt.kind,
                        wt.name,
                        wt.length,
                        canon(wt.elem),
                        canon(wt.key),
                        tuple((name, canon(fid)) for name, fid in wt.fields),
                    )
                    for wt in (wire, *wire.variants)
                )
            )
        return tuple(entries)

    def _type_string(self, wid: int) -> str:
        """What Go's messages call a remote type: a builtin's name, else CommonType.Name."""
        if wid in BUILTIN_NAMES:
            return BUILTIN_NAMES[wid]
        wire = self._wire.get(wid)
        return "unknown type" if wire is None else wire.go_name

    def _compatible(self, t: GoType, wid: int, seen: dict[GoType, int]) -> bool:
        """gob's compatibleType: may a value of wire type ``wid`` go into ``t``?"""
        if not isinstance(t, GobEncodedType):
            t = _base(t)
        if t in seen:
            return seen[t] == wid
        seen[t] = wid
        wire = self._wire.get(wid)
        encoded = set()
        if wire is not None:
            encoded = {k for k in ("gob", "binary", "text") if wire.of_kind(k) is not None}
        if isinstance(t, GobEncodedType):
            return encoded == {t.method}
        if encoded:
            return False
        if isinstance(t, BasicType):
            return wid == t.wire_id
        if isinstance(t, InterfaceType):
            return wid == T_INTERFACE
        if isinstance(t, ArrayType):
            array = None if wire is None else wire.of_kind("array")
            return (
                array is not None
                and array.length == t.length
                and self._compatible(t.elem, array.elem, seen)
            )
        if isinstance(t, MapType):
            map_ = None if wire is None else wire.of_kind("map")
            return (
                map_ is not None
                and self._compatible(t.key, map_.key, seen)
                and self._compatible(t.elem, map_.elem, seen)
            )
        if isinstance(t, SliceType):
            slice_ = None if wire is None else wire.of_kind("slice")
            return slice_ is not None and self._compatible(t.elem, slice_.elem, seen)
        return isinstance(t, StructType)

    def _op(
        self, wid: int, target: _Target, name: str, seen: dict[GoType, _DecOp] | None = None
    ) -> _DecOp:
        """The compiled op for wire type ``wid`` into ``target`` (recursion-safe).

        Generic and skipping ops are cached per wire type. Typed ops follow Go's
        decOpFor: within one struct (``seen``), a composite local type is compiled once,
        and later fields of that type reuse the op whatever their wire type.
        """
        if target is not None and target != _SKIP:
            assert isinstance(target, GoType)
            if seen is None:
                seen = {}
            base = target if isinstance(target, GobEncodedType) else _base(target)
            if isinstance(base, BasicType | GobEncodedType):
                return self._build_typed(wid, target, name, seen)
            op = seen.get(target)
            if op is not None:
                return op
            cell: list[_DecOp] = []

            def forward_typed(r: Reader) -> Any:
                return cell[0](r)

            seen[target] = forward_typed
            real = self._build_typed(wid, target, name, seen)
            cell.append(real)
            seen[target] = real
            return real
        key = (wid, target, name)
        cached = self._ops.get(key)
        if cached is not None:
            return cached
        cell2: list[_DecOp] = []

        def forward(r: Reader) -> Any:
            return cell2[0](r)

        self._ops[key] = forward
        try:
            generic = self._build_generic(wid, target == _SKIP)
        except BaseException:
            del self._ops[key]
            raise
        cell2.append(generic)
        self._ops[key] = generic
        return generic

    def _build_typed(self, wid: int, t: GoType, name: str, seen: dict[GoType, _DecOp]) -> _DecOp:
        if not isinstance(t, GobEncodedType):
            t = _base(t)
        ovfl = f'value for "{name}" out of range'
        wire = self._wire.get(wid)
        if isinstance(t, GobEncodedType):
            decode = t.decode

            def dec_gob(r: Reader) -> Any:
                n = _read_uint_bounded(r, "gob: GobDecoder: length too large for buffer")
                try:
                    return decode(r.take(n))
                except (ValueError, TypeError) as exc:
                    raise _err(str(exc), r) from None

            return dec_gob
        if isinstance(t, BasicType):
            return _basic_op(t, ovfl)
        if isinstance(t, InterfaceType):
            return self._interface_op(typed=True)
        if isinstance(t, StructType):
            return self._struct_op(wid, t)[0]
        assert wire is not None
        if isinstance(t, MapType):
            map_ = wire.of_kind("map")
            assert map_ is not None
            # Go names a map's own scalars after the map, nested values "key of M" …
            key_name = name if isinstance(_base(t.key), BasicType) else "key of " + name
            val_name = name if isinstance(_base(t.elem), BasicType) else "element of " + name
            key_op = self._op(map_.key, t.key, key_name, seen)
            val_op = self._op(map_.elem, t.elem, val_name, seen)
            return _map_op(key_op, val_op)
        assert isinstance(t, SliceType | ArrayType)
        list_ = wire.of_kind("array" if isinstance(t, ArrayType) else "slice")
        assert list_ is not None
        # Go's fast paths for []string and [n]string have their own message.
        elem_name = "element of " + name
        elem_op = (
            _string_elem if t.elem == _STRING else self._op(list_.elem, t.elem, elem_name, seen)
        )
        elem = _base(t.elem)
        what = elem.name + " " if isinstance(elem, BasicType) else ""
        length = t.length if isinstance(t, ArrayType) else -1
        op = _list_op(elem_op, length, what, "decodeArray", t.elem.go_string, _go_size(t.elem)[0])
        if isinstance(t, ArrayType) and elem == Uint8:
            return lambda r: bytes(op(r))  # [N]byte comes back as bytes
        return op

    def _build_generic(self, wid: int, skip: bool) -> _DecOp:
        """Ops for plain Python values (or for skipping), from the sender's types alone."""
        if FIRST_RESERVED_ID <= wid < 16:
            raise _err(f"gob: bad data: undefined type {BUILTIN_NAMES[wid]}")
        if wid in BUILTIN_NAMES:
            if wid == T_INTERFACE:
                return self._interface_op(typed=False, skip=skip)
            if wid == T_BYTES or (skip and wid == 6):  # Go skips strings as []byte
                return _bytes_op("gob: slice length too large" if skip else None)
            basic = {1: _BOOL, 2: _INT, 3: _UINT, 4: _FLOAT, 6: _STRING, 7: _COMPLEX}[wid]
            return _basic_op(basic, "")
        wire = self._wire.get(wid)
        if wire is None or (skip and wid in BUILTIN_WIRE_TYPES):
            if skip:
                what = "<nil>" if wire is None else _builtin_string(wid, set())
                raise _err(f"gob: bad data: undefined type {what}")
            raise _err("gob: unknown type id or corrupted data")
        target: _Target = _SKIP if skip else None
        if wire.kind == "array":
            op = self._op(wire.elem, target, "")
            return _list_op(op, wire.length, "", "ignoreArray" if skip else "decodeArray")
        if wire.kind == "map":
            return _map_op(self._op(wire.key, target, ""), self._op(wire.elem, target, ""))
        if wire.kind == "slice":
            return _list_op(self._op(wire.elem, target, ""), -1, "", "")
        if wire.kind == "struct":
            return self._struct_op(wid, target)[0]
        if wire.kind in ("gob", "binary", "text"):

            def dec_raw(r: Reader) -> bytes:
                n = _read_uint_bounded(r, "gob: GobDecoder: length too large for buffer")
                return r.take(n)

            return dec_raw
        raise _err("gob: bad data: ignore can't handle type <nil>")

    def _struct_op(self, wid: int, target: _Target) -> tuple[_DecOp, int]:
        """compileDec: one op per wire field, matched to the target's fields by name."""
        key = (wid, target)
        cached = self._structs.get(key)
        if cached is not None:
            return cached
        shared_key = ("struct", self._signature(wid), target)
        shared = _SHARED.get(shared_key)
        if shared is not None:
            self._structs[key] = shared
            return shared  # type: ignore[no-any-return]
        wire = self._wire.get(wid)
        if wire is None and wid not in BUILTIN_NAMES:
            raise _err("gob: unknown type id or corrupted data")
        wire = None if wire is None else wire.of_kind("struct")
        if wire is None:
            want = target.go_string if isinstance(target, GoType) else "struct {}"
            raise _err(f"gob: type mismatch in decoder: want struct type {want}; got non-struct")
        cell: list[_DecOp] = []

        def forward(r: Reader) -> Any:
            return cell[0](r)

        local = {f.name: f for f in target.fields} if isinstance(target, StructType) else {}
        matched = sum(1 for name, _ in wire.fields if name in local)
        self._structs[key] = (forward, matched)
        try:
            op = self._build_struct(wire, target, local)
        except BaseException:
            del self._structs[key]
            raise
        cell.append(op)
        self._structs[key] = (op, matched)
        _share(shared_key, (op, matched))
        return op, matched

    def _build_struct(self, wire: WireType, target: _Target, local: Mapping[str, Any]) -> _DecOp:
        instrs: list[tuple[_DecOp, str | None]] = []
        seen: dict[GoType, _DecOp] = {}
        for name, fid in wire.fields:
            if not name:
                raise _err(f"gob: empty name for remote field of type {wire.name}")
            f = local.get(name)
            if isinstance(target, StructType):
                if f is None or not name[:1].isupper():
                    instrs.append((self._op(fid, _SKIP, name), None))
                    continue
                if not self._compatible(f.type, fid, {}):
                    raise _err(
                        f"gob: wrong type ({f.type.go_string}) for received field "
                        f"{wire.name}.{name}"
                    )
                instrs.append((self._op(fid, f.type, name, seen), f.attr))
            else:
                instrs.append((self._op(fid, target, name), None if target == _SKIP else name))
        count = len(instrs)

        def fields_of(r: Reader) -> dict[str, Any]:
            values: dict[str, Any] = {}
            fieldnum = -1
            while r.pos < r.end:
                delta = r.read_uint()
                if delta == 0:
                    break
                if delta >= 1 << 63:
                    raise _err("gob: decode: corrupted data: negative delta", r)
                fieldnum += delta
                if fieldnum >= count:
                    raise _err(ERR_RANGE, r)
                op, attr = instrs[fieldnum]
                value = op(r)
                if attr is not None:
                    values[attr] = value
            return values

        if target == _SKIP:

            def skip_struct(r: Reader) -> None:
                fields_of(r)

            return skip_struct
        if isinstance(target, StructType):
            cls = target.cls
            consts: dict[str, Any] = {}
            makers: list[tuple[str, GoType]] = []
            for f in target.fields:
                if f.nilable:
                    consts[f.attr] = None
                elif isinstance(f.type, _IMMUTABLE_ZERO):
                    consts[f.attr] = _zero(f.type)
                else:
                    makers.append((f.attr, f.type))

            compiled = _compile_struct(target, instrs, consts)
            if compiled is not None:
                return compiled

            def dec_struct(r: Reader) -> Any:
                values = fields_of(r)
                kwargs = {**consts, **values}
                for attr, ft in makers:
                    if attr not in values:
                        kwargs[attr] = _zero(ft)
                return cls(**kwargs)

            return dec_struct
        zeros = [(name, self._zero_maker(fid)) for name, fid in wire.fields]

        def dec_generic(r: Reader) -> dict[str, Any]:
            values = fields_of(r)
            out: dict[str, Any] = {}
            for name, make_zero in zeros:
                out[name] = values[name] if name in values else make_zero()
            return out

        return dec_generic

    def _zero_maker(self, wid: int) -> Callable[[], Any]:
        """Fresh generic zero values of a wire type (worked out now, made when needed)."""
        try:
            template = self._wire_zero(wid, frozenset(), [_ZERO_BUDGET])
        except RemoteProtocolError as exc:
            error = exc

            def fail() -> Any:
                raise error

            return fail
        if isinstance(template, list | dict):
            return lambda: copy.deepcopy(template)
        return lambda: template

    def _wire_zero(self, wid: int, seen: frozenset[int], budget: list[int]) -> Any:
        """The zero value of a wire type, as generic decoding returns it.

        ``budget`` bounds the work (a sender can describe ``[65536][65536]int``).
        """
        budget[0] -= 1
        if budget[0] < 0:
            raise _err(f"gob: zero value of {self._type_string(wid)} too large")
        if wid in BUILTIN_NAMES:
            return {1: False, 2: 0, 3: 0, 4: 0.0, 5: b"", 6: "", 7: 0j}.get(wid)
        wire = self._wire.get(wid)
        if wire is None or wid in seen:
            return None
        if wire.kind == "slice":
            return []
        if wire.kind == "map":
            return {}
        if wire.kind in ("gob", "binary", "text"):
            return b""
        seen = seen | {wid}
        if wire.kind == "array":
            return [self._wire_zero(wire.elem, seen, budget) for _ in range(wire.length)]
        if wire.kind == "struct":
            return {name: self._wire_zero(fid, seen, budget) for name, fid in wire.fields}
        return None

    @staticmethod
    def _interface_op(*, typed: bool, skip: bool = False) -> _DecOp:
        """Interface values. The op serves any Decoder: it reaches the stream's own
        types and registry through the reader (``r.dec``), as compiled ops are shared."""
        if skip:

            def skip_interface(r: Reader) -> None:
                dec = _decoder_of(r)
                n = _read_uint_bounded(r, "gob: bad interface encoding: name too large for buffer")
                r.pos += n
                dec._type_sequence(r)
                n = _read_uint_bounded(
                    r, "gob: bad interface encoding: data length too large for buffer"
                )
                r.pos += n

            return skip_interface

        def dec_interface(r: Reader) -> Any:
            nr = r.read_uint()
            if nr > 1 << 31:
                raise _err(f"gob: invalid type name length {nr}", r)
            if nr > r.end - r.pos:
                raise _err(f"gob: invalid type name length {nr}: exceeds input size", r)
            raw = r.take(nr)
            if not raw:
                return None
            if len(raw) > 1024:
                raise _err(f"gob: name too long ({len(raw)} bytes): {_go_quote(raw[:20])}...", r)
            dec = _decoder_of(r)
            concrete = dec.registry.type_for(raw.decode("utf-8", "surrogateescape"))
            if concrete is None and typed:
                raise _err(f"gob: name not registered for interface: {_go_quote(raw)}", r)
            cid = dec._type_sequence(r)
            r.read_uint()  # the value's length: Go does not use it
            value = dec._decode_value(r, cid, concrete)
            if concrete is not None and value is not None:
                # Keep the concrete type where the Python value alone would not tell it
                # (an int8, a *big.Int, an empty slice), so the value goes back as it came.
                try:
                    natural: GoType | None = infer_go_type(value)
                except LocalProtocolError:
                    natural = None
                if natural != concrete:
                    return GoValue(concrete, value)
            return value

        return dec_interface


_BOOL: Final = BasicType("bool", 1)
_INT: Final = BasicType("int64", 2, 64)
_UINT: Final = BasicType("uint64", 3, 64)
_FLOAT: Final = BasicType("float64", 4, 64)
_STRING: Final = BasicType("string", 6)
_COMPLEX: Final = BasicType("complex128", 7, 64)


_BASIC_SIZES: Final = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
    "float32": 4, "int": 8, "int64": 8, "uint": 8, "uint64": 8, "uintptr": 8, "float64": 8,
    "complex64": 8, "complex128": 16, "string": 16, "[]uint8": 24,
}  # fmt: skip


def _go_size(t: GoType) -> tuple[int, int]:
    """(size, alignment) of a Go value of type ``t`` on amd64, for gob's size checks."""
    if isinstance(t, BasicType):
        size = _BASIC_SIZES[t.name]
        return size, 4 if t.name == "complex64" else min(size, 8)
    if isinstance(t, SliceType):
        return 24, 8
    if isinstance(t, InterfaceType):
        return 16, 8
    if isinstance(t, ArrayType):
        size, align = _go_size(t.elem)
        return size * t.length, align
    if isinstance(t, StructType):
        offset, biggest = 0, 1
        for f in t.fields:
            size, align = _go_size(f.type)
            offset = -(-offset // align) * align + size
            biggest = max(biggest, align)
        return -(-offset // biggest) * biggest, biggest
    return 8, 8  # pointers, maps, *big.Int


def _builtin_string(wid: int, seen: set[int]) -> str:
    """Go's gobType.string() for a predefined type (``CommonType = struct { … }``)."""
    if wid in BUILTIN_NAMES:
        return BUILTIN_NAMES[wid]
    wt = BUILTIN_WIRE_TYPES[wid]
    if wt.kind == "slice":
        return "[]" + _builtin_string(wt.elem, seen)
    if wid in seen:
        return wt.name
    seen.add(wid)
    inner = "".join(f"{name} {_builtin_string(fid, seen)}; " for name, fid in wt.fields)
    return f"{wt.name} = struct {{ {inner}}}"


def _neg32(tid: int) -> int:
    """``-tid`` in int32, as Go computes it (-2**31 stays negative: not a user id)."""
    return tid if tid == -(1 << 31) else -tid


#: What some ops do, so that a compiled struct decoder can do it inline: op ->
#: ("bool",), ("string", error text) or ("list", what _list_op was given).
#: Reader.read_int and Reader.read_uint are known as they are.
_OP_KINDS: weakref.WeakKeyDictionary[_DecOp, tuple[Any, ...]] = weakref.WeakKeyDictionary()

#: Structs with more fields than this (on the wire, or in the model for encoding)
#: keep the table-driven code (which a struct of any size can use).
_MAX_COMPILED_FIELDS = 48

_MISSING: Final = object()


def _op_kind(op: _DecOp) -> tuple[Any, ...]:
    """What ``op`` does, as far as :func:`_compile_struct` knows: ("call",) if not."""
    if op is Reader.read_int:
        return ("int",)
    if op is Reader.read_uint:
        return ("uint",)
    try:
        return _OP_KINDS.get(op) or ("call",)
    except TypeError:  # not weakly referable: none of ours
        return ("call",)


def _read_uint_src(var: str, indent: str, fold: str = "{}") -> list[str]:
    """Source that reads a uint into ``var``: one byte inline, else through the reader."""
    return [
        f"{indent}if pos < end and (b := data[pos]) < 0x80:",
        f"{indent}    pos += 1",
        f"{indent}    {var} = {fold.format('b')}",
        f"{indent}else:",
        f"{indent}    r.pos = pos",
        f"{indent}    {var} = {fold.format('r.read_uint()')}",
        f"{indent}    pos = r.pos",
    ]


def _list_src(k: int, var: str, ind: str, info: tuple[Any, ...], ns: dict[str, Any]) -> list[str]:
    """Source for what ``_list_op``'s dec_list does, its elements still one call each
    (strings, as Go's []string fast path reads them, inline)."""
    _, elem_op, length, what, mismatch, elem_type, elem_size = info
    ns[f"op{k}"] = elem_op
    ns[f"m{k}"] = f"gob: decoding {what}array or slice: length exceeds input size ("
    src = _read_uint_src("n", ind)
    if length >= 0:
        ns[f"mm{k}"] = f"gob: length mismatch in {mismatch}"
        src += [
            f"{ind}if n != {length}:",
            f"{ind}    r.pos = pos",
            f"{ind}    raise _err(mm{k}, r)",
        ]
    if elem_type:
        ns[f"mb{k}"] = (f"gob: {elem_type} slice too big: ", f" elements of {elem_size} bytes")
        src += [
            f"{ind}if n >= {1 << 63} or n * {elem_size} > {TOO_BIG}:",
            f"{ind}    r.pos = pos",
            f"{ind}    raise _err(mb{k}[0] + str(n) + mb{k}[1], r)",
        ]
    src += [f"{ind}{var} = []"]
    if elem_op is _string_elem:
        ns["ms"] = "gob: length of string exceeds input size ("
        src += [
            f"{ind}for _ in range(n):",
            f"{ind}    if pos >= end:",
            f"{ind}        r.pos = pos",
            f'{ind}        raise _err(m{k} + str(n) + " elements)", r)',
        ]
        src += _read_uint_src("u", ind + "    ")
        src += [
            f"{ind}    if u > end - pos:",
            f"{ind}        r.pos = pos",
            f"{ind}        raise _err(ms + str(u) + ' bytes)', r)",
            f"{ind}    {var}.append(data[pos : pos + u].decode('utf-8', 'surrogateescape'))",
            f"{ind}    pos += u",
        ]
        return src
    src += [
        f"{ind}r.pos = pos",
        f"{ind}for _ in range(n):",
        f"{ind}    if r.pos >= r.end:",
        f'{ind}        raise _err(m{k} + str(n) + " elements)", r)',
        f"{ind}    {var}.append(op{k}(r))",
        f"{ind}pos = r.pos",
        f"{ind}end = r.end",
    ]
    return src


@functools.lru_cache(maxsize=1024)
def _leading_params(cls: type) -> tuple[str, ...]:
    """The names of ``cls``'s leading positional-or-keyword parameters: arguments
    that may as well go by position."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return ()
    out: list[str] = []
    for param in params:
        if param.kind is not param.POSITIONAL_OR_KEYWORD:
            break
        out.append(param.name)
    return tuple(out)


def _compile_struct(
    target: StructType, instrs: list[tuple[_DecOp, str | None]], consts: Mapping[str, Any]
) -> _DecOp | None:
    """A decoder for one (wire struct, model) pairing, generated as Python source.

    It does what the table-driven ``dec_struct`` does, with the same checks, texts and
    offsets, but reads the message through locals, decodes strings and 64-bit ints
    inline, and calls the model with its fields as arguments.
    """
    if len(instrs) > _MAX_COMPILED_FIELDS:
        return None
    fields = target.fields
    attrs = [f.attr for f in fields]
    if any(not a.isidentifier() or keyword.iskeyword(a) for a in attrs):
        return None
    cls = target.cls
    positional: list[str] = []
    for param in _leading_params(cls):
        if param not in attrs:
            break
        positional.append(param)
    var = {a: f"v{j}" for j, a in enumerate(attrs)}
    ns: dict[str, Any] = {
        "cls": cls,
        "_err": _err,
        "_MISSING": _MISSING,
        "_zero": _zero,
        "ERR_RANGE": ERR_RANGE,
    }
    src = ["def dec_struct(r):", "    data = r.data", "    pos = r.pos", "    end = r.end"]
    tail: list[str] = []
    for j, f in enumerate(fields):
        v = var[f.attr]
        if f.attr in consts:
            ns[f"c{j}"] = consts[f.attr]
            src.append(f"    {v} = c{j}")
            continue
        src.append(f"    {v} = _MISSING")
        tail.append(f"    if {v} is _MISSING:")
        if isinstance(f.type, SliceType):
            tail.append(f"        {v} = []")
        elif isinstance(f.type, MapType):
            tail.append(f"        {v} = {{}}")
        else:
            ns[f"t{j}"] = f.type
            tail.append(f"        {v} = _zero(t{j})")
    src += [
        "    fieldnum = -1",
        "    while pos < end:",
        "        if (b := data[pos]) < 0x80:",
        "            pos += 1",
        "            if not b:",
        "                break",
        "            fieldnum += b",
        "        else:",
        "            r.pos = pos",
        "            delta = r.read_uint()",
        "            pos = r.pos",
        "            if not delta:",
        "                break",
        "            if delta >= 1 << 63:",
        '                raise _err("gob: decode: corrupted data: negative delta", r)',
        "            fieldnum += delta",
    ]
    ind = " " * 12
    for k, (op, attr) in enumerate(instrs):
        src.append(f"        {'if' if k == 0 else 'elif'} fieldnum == {k}:")
        target_var = "_" if attr is None else var[attr]
        info = ("call",) if attr is None else _op_kind(op)
        kind = info[0]
        if kind == "string":
            ns[f"m{k}"] = info[1]
            src += _read_uint_src("n", ind)
            src += [
                f"{ind}if n > end - pos or n >= {TOO_BIG}:",
                f"{ind}    r.pos = pos",
                f"{ind}    raise _err(m{k}, r)",
                f"{ind}{target_var} = data[pos : pos + n].decode('utf-8', 'surrogateescape')",
                f"{ind}pos += n",
            ]
        elif kind == "int":
            src += _read_uint_src(target_var, ind, "~(u >> 1) if (u := {}) & 1 else u >> 1")
        elif kind == "uint":
            src += _read_uint_src(target_var, ind)
        elif kind == "bool":
            src += _read_uint_src(target_var, ind, "{} != 0")
        elif kind == "list":
            src += _list_src(k, target_var, ind, info, ns)
        else:
            ns[f"op{k}"] = op
            assign = "" if attr is None else f"{target_var} = "
            src += [
                f"{ind}r.pos = pos",
                f"{ind}{assign}op{k}(r)",
                f"{ind}pos = r.pos",
                f"{ind}end = r.end",  # an interface value may go on in a new message
            ]
    if instrs:
        src += ["        else:", "            r.pos = pos", "            raise _err(ERR_RANGE, r)"]
    else:
        src += ["        r.pos = pos", "        raise _err(ERR_RANGE, r)"]
    src.append("    r.pos = pos")
    src += tail
    args = [var[a] for a in positional]
    args += [f"{a}={var[a]}" for a in attrs if a not in positional]
    src.append(f"    return cls({', '.join(args)})")
    fn: _DecOp = _exec_source(src, "<gob struct decoder>", ns, "dec_struct")
    return fn


def _string_elem(r: Reader) -> str:
    u = r.read_uint()
    if u > r.end - r.pos:
        raise _err(f"gob: length of string exceeds input size ({u} bytes)", r)
    return r.take(u).decode("utf-8", "surrogateescape")


def _bytes_op(error: str | None) -> _DecOp:
    message = error or "gob: bad []uint8 slice length: 0"

    def dec_bytes(r: Reader) -> bytes:
        n = r.read_uint()
        if n > r.end - r.pos or n >= TOO_BIG:
            raise _err(message, r)
        return r.take(n)

    return dec_bytes


def _basic_op(t: BasicType, ovfl: str) -> _DecOp:
    wid, bits = t.wire_id, t.bits
    if wid == 1:

        def dec_bool(r: Reader) -> bool:
            return r.read_uint() != 0

        _OP_KINDS[dec_bool] = ("bool", "")
        return dec_bool
    if wid == 2:
        if bits == 64:
            return Reader.read_int
        lo, hi = _INT_MIN[bits], _INT_MAX[bits]

        def dec_int(r: Reader) -> int:
            v = r.read_int()
            if not lo <= v <= hi:
                raise _err(ovfl, r)
            return v

        return dec_int
    if wid == 3:
        if bits == 64:
            return Reader.read_uint
        hi = _UINT_MAX[bits]

        def dec_uint(r: Reader) -> int:
            v = r.read_uint()
            if v > hi:
                raise _err(ovfl, r)
            return v

        return dec_uint
    if wid == 4:
        if bits == 64:
            return Reader.read_float
        return lambda r: _float32(r, ovfl)
    if wid == 7:
        if bits == 64:
            return lambda r: complex(r.read_float(), r.read_float())
        return lambda r: complex(_float32(r, ovfl), _float32(r, ovfl))
    if wid == 6:
        name = t.name

        def dec_string(r: Reader) -> str:
            return read_string(r, name)

        _OP_KINDS[dec_string] = ("string", f"gob: bad {name} slice length: 0")
        return dec_string
    return _bytes_op(None)


def _float32(r: Reader, ovfl: str) -> float:
    v = bits_float(r.read_uint())
    if _MAX_FLOAT32 < abs(v) <= 1.7976931348623157e308:
        raise _err(ovfl, r)
    return round_float32(v)


def _list_op(
    elem_op: _DecOp,
    length: int,
    what: str,
    mismatch: str,
    elem_type: str = "",
    elem_size: int = 0,
) -> _DecOp:
    """Slices (length < 0: the count comes first) and arrays (the count must match)."""

    def dec_list(r: Reader) -> list[Any]:
        n = r.read_uint()
        if length >= 0 and n != length:
            raise _err(f"gob: length mismatch in {mismatch}", r)
        if elem_type and (n >= 1 << 63 or n * elem_size > TOO_BIG):
            raise _err(f"gob: {elem_type} slice too big: {n} elements of {elem_size} bytes", r)
        out = []
        for _ in range(n):
            if r.pos >= r.end:
                raise _err(
                    f"gob: decoding {what}array or slice: length exceeds input size ({n} elements)",
                    r,
                )
            out.append(elem_op(r))
        return out

    _OP_KINDS[dec_list] = ("list", elem_op, length, what, mismatch, elem_type, elem_size)
    return dec_list


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an unhashable generic map key (a struct or array)."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _map_op(key_op: _DecOp, val_op: _DecOp) -> _DecOp:
    def dec_map(r: Reader) -> dict[Any, Any]:
        n = r.read_uint()
        out: dict[Any, Any] = {}
        if n >= 1 << 63:  # int(n) < 0 in Go: no entries
            return out
        for _ in range(n):
            if r.pos >= r.end:
                raise _err("EOF", r)
            key = key_op(r)
            value = val_op(r)
            try:
                out[key] = value
            except TypeError:
                out[_freeze(key)] = value
        return out

    return dec_map

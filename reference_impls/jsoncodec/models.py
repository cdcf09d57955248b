"""Go structs as dataclasses, marshalled and unmarshalled by Go's encoding/json rules.

Field names are Go's (only exported ones, upper-case first, are seen); a json tag
comes from ``Annotated[T, Tag("name,omitempty")]`` or ``field(metadata={"json": ...})``.
Types: str, int (int64), float (float64), bool, bytes ([]byte), list[T], dict[str|int,
T], dataclasses, ``T | None`` (pointer; nil slice or map), Any (interface{}). Not
modelled: embedded structs, arrays, float32, unsigned ints, Marshaler interfaces
(a RawMessage field encodes but cannot be decoded).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.jsoncodec._structs import FieldSpec, Tag, is_struct, struct_fields
from reference_impls.jsoncodec.encoder import marshal, quote_string
from reference_impls.jsoncodec.parser import (
    DEFAULT_MAX_DEPTH,
    Members,
    Number,
    number_value,
    parse,
    parse_members,
)

__all__ = [
    "BOOK_PERSON_JSON",
    "Email",
    "Name",
    "Person",
    "Tag",
    "book_person",
    "marshal_model",
    "model_from_value",
    "unmarshal_model",
]

T = TypeVar("T")

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_INT_LITERAL = re.compile(r"-?[0-9]+")
_INT_KEY = re.compile(r"[+-]?[0-9]+")  # strconv.ParseInt takes a sign


# ------------------------------------------------------------- the book's types


@dataclass
class Name:
    """``type Name struct { Family string; Personal string }``"""

    Family: str = ""
    Personal: str = ""


@dataclass
class Email:
    """``type Email struct { Kind string; Address string }``"""

    Kind: str = ""
    Address: str = ""


@dataclass
class Person:
    """``type Person struct { Name Name; Email []Email }`` (Newmarch, ch. 4)."""

    Name: Name = field(default_factory=Name)
    Email: list[Email] | None = None


def book_person() -> Person:
    """The sample Person of the book's JSON and gob echo examples."""
    return Person(
        Name=Name(Family="Newmarch", Personal="Jan"),
        Email=[
            Email(Kind="home", Address="jan@newmarch.name"),
            Email(Kind="work", Address="j.newmarch@boxhill.edu.au"),
        ],
    )


#: ``json.Marshal`` of :func:`book_person` (Go 1.19).
BOOK_PERSON_JSON = (
    b'{"Name":{"Family":"Newmarch","Personal":"Jan"},'
    b'"Email":[{"Kind":"home","Address":"jan@newmarch.name"},'
    b'{"Kind":"work","Address":"j.newmarch@boxhill.edu.au"}]}'
)


# -------------------------------------------------------------------- encoding


def marshal_model(value: object) -> bytes:
    """``json.Marshal`` of a struct value (a dataclass instance)."""
    if not is_struct(value):
        raise LocalProtocolError(f"marshal_model() wants a dataclass instance, not {value!r}")
    return marshal(value)


# -------------------------------------------------------------------- decoding


def unmarshal_model(
    cls: type[T],
    data: bytes | bytearray | memoryview,
    *,
    disallow_unknown_fields: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> T:
    """``json.Unmarshal`` of ``data`` into a new zero ``cls`` (a dataclass).

    Raises :class:`RemoteProtocolError`: a syntax error (see :func:`.parse`), or the
    first value that does not fit its field, with Go's message.
    """
    value = parse_members(data, max_depth=max_depth)
    return model_from_value(cls, value, disallow_unknown_fields=disallow_unknown_fields)


def model_from_value(cls: type[T], value: Any, *, disallow_unknown_fields: bool = False) -> T:
    """Decode an already-parsed value (from :func:`.parse` or the stream decoder)
    into a new zero ``cls``, by the same rules as :func:`unmarshal_model`."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass")
    decoder = _Decoder(disallow_unknown_fields)
    try:
        result: T = decoder.decode(cls, value, _zero(cls), _Context(None, ()))
    except RecursionError:
        # Only a recursive model (a struct holding a list of itself) gets here.
        raise RemoteProtocolError("json: value nested too deeply for the model") from None
    return result


@dataclass(frozen=True)
class _Context:
    """Where a value goes, for Go's messages: the innermost struct, the key path."""

    struct: str | None
    path: tuple[str, ...]


def _kind(value: Any) -> str:
    """Go's name for a JSON value's kind in "cannot unmarshal <kind>"."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str) and not isinstance(value, Number):
        return "string"
    if isinstance(value, Number | int | float):
        return "number"
    if isinstance(value, dict | Members):
        return "object"
    return "array"


def _literal(value: Any) -> str:
    """A number's text as the peer wrote it (or as Go would write it)."""
    if isinstance(value, Number):
        return str(value)
    return marshal(value).decode("ascii")


def go_type_name(hint: Any) -> str:
    """Go's name for the Go type a Python type stands for."""
    hint = _optional_arg(hint)
    if hint is str:
        return "string"
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is float:
        return "float64"
    if hint is bytes:
        return "[]uint8"
    if hint is Any or hint is object:
        return "interface {}"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is list:
        return "[]" + go_type_name(args[0] if args else Any)
    if origin is dict:
        key, val = args if args else (str, Any)
        return f"map[{go_type_name(key)}]{go_type_name(val)}"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        package = hint.__module__.rsplit(".", 1)[-1].strip("_")
        return f"{package}.{hint.__name__}"
    return getattr(hint, "__name__", repr(hint))


def _optional_arg(hint: Any) -> Any:
    """``X`` for ``X | None``; otherwise ``hint`` itself."""
    if _is_union(hint):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _nullable(hint: Any) -> bool:
    return hint is Any or hint is object or (_is_union(hint) and type(None) in hint.__args__)


@functools.cache
def _fold_char(c: str) -> str:
    folded = c.casefold()
    if len(folded) == 1:
        return folded
    lower = c.lower()
    return lower if len(lower) == 1 else c


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def _default(f: dataclasses.Field[Any], hint: Any) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _zero(hint)


def _zero(hint: Any) -> Any:
    """Go's zero value for the type ``hint`` stands for."""
    if _nullable(hint):
        return None
    zeros: dict[Any, Callable[[], Any]] = {str: str, int: int, float: float, bool: bool}
    if hint in zeros:
        return zeros[hint]()
    if hint is bytes:
        return b""
    origin = typing.get_origin(hint)
    if origin is list:
        return []
    if origin is dict:
        return {}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _new_struct(hint, {})
    return None


def _new_struct(cls: type, values: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    later: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = values[f.name] if f.name in values else _default(f, hints.get(f.name, Any))
        (kwargs if f.init else later)[f.name] = value
    instance = cls(**kwargs)
    for name, value in later.items():
        object.__setattr__(instance, name, value)
    return instance


class _Decoder:
    def __init__(self, disallow_unknown_fields: bool) -> None:
        self.disallow_unknown_fields = disallow_unknown_fields

    def type_error(self, what: str, hint: Any, ctx: _Context) -> RemoteProtocolError:
        if ctx.struct is None:
            where = "Go value"
        else:
            where = f"Go struct field {ctx.struct}.{'.'.join(ctx.path)}"
        return RemoteProtocolError(
            f"json: cannot unmarshal {what} into {where} of type {go_type_name(hint)}"
        )

    def decode(self, hint: Any, value: Any, current: Any, ctx: _Context) -> Any:
        if value is None:
            # Go: null sets a pointer, interface, map or slice to nil; anything else
            # is left as it was.
            return None if _nullable(hint) else current
        if hint is Any or hint is object:
            return self.plain(value, ctx)
        if _is_union(hint):
            inner = _optional_arg(hint)
            if inner is hint:
                raise TypeError(f"unsupported field type {hint!r}: only X | None unions")
            return self.decode(inner, value, current if current is not None else _zero(inner), ctx)
        if hint is str:
            if isinstance(value, str) and not isinstance(value, Number):
                return value
            raise self.type_error(_kind(value), hint, ctx)
        if hint is bool:
            if isinstance(value, bool):
                return value
            raise self.type_error(_kind(value), hint, ctx)
        if hint is int or hint is float:
            return self.number(hint, value, ctx)
        if hint is bytes:
            return self.bytes_(value, hint, ctx)
        origin = typing.get_origin(hint)
        if origin is list:
            return self.list_(hint, value, current, ctx)
        if origin is dict:
            return self.dict_(hint, value, current, ctx)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.struct(hint, value, current, ctx)
        raise TypeError(f"unsupported field type {hint!r}")

    def number(self, hint: Any, value: Any, ctx: _Context) -> int | float:
        if isinstance(value, bool) or not isinstance(value, Number | int | float):
            raise self.type_error(_kind(value), hint, ctx)
        text = _literal(value)
        if hint is int:
            # Go: strconv.ParseInt(literal, 10, 64); 1.0 and 1e2 are not ints.
            if _INT_LITERAL.fullmatch(text):
                parsed = int(text)
                if _INT64_MIN <= parsed <= _INT64_MAX:
                    return parsed
            raise self.type_error(f"number {text}", hint, ctx)
        number = number_value(text) if isinstance(value, Number) else value
        if number is None:
            raise self.type_error(f"number {text}", hint, ctx)
        try:
            return float(number)
        except OverflowError:
            raise self.type_error(f"number {text}", hint, ctx) from None

    def bytes_(self, value: Any, hint: Any, ctx: _Context) -> bytes:
        if not isinstance(value, str) or isinstance(value, Number):
            raise self.type_error(_kind(value), hint, ctx)
        # Go: base64.StdEncoding (padding required), skipping \r and \n.
        text = value.replace("\r", "").replace("\n", "")
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise RemoteProtocolError(
                f"illegal base64 data at input byte {_base64_error_at(text)}"
            ) from None

    def list_(self, hint: Any, value: Any, current: Any, ctx: _Context) -> list[Any]:
        if type(value) is not list:
            raise self.type_error(_kind(value), hint, ctx)
        (elem,) = typing.get_args(hint) or (Any,)
        old = current if isinstance(current, list) else []
        # Go decodes element i into the slice's existing element i, if any.
        return [
            self.decode(elem, item, old[i] if i < len(old) else _zero(elem), ctx)
            for i, item in enumerate(value)
        ]

    def dict_(self, hint: Any, value: Any, current: Any, ctx: _Context) -> dict[Any, Any]:
        if not isinstance(value, dict | Members):
            raise self.type_error(_kind(value), hint, ctx)
        key_type, elem = typing.get_args(hint) or (str, Any)
        # Go adds to an existing map rather than replacing it.
        out: dict[Any, Any] = dict(current) if isinstance(current, dict) else {}
        for key, item in _members(value):
            if key_type is int:
                if not _INT_KEY.fullmatch(key) or not _INT64_MIN <= int(key) <= _INT64_MAX:
                    raise self.type_error(f"number {key}", int, ctx)
                k: Any = int(key)
            else:
                k = key
            out[k] = self.decode(elem, item, _zero(elem), ctx)
        return out

    def struct(self, cls: type, value: Any, current: Any, ctx: _Context) -> Any:
        if not isinstance(value, dict | Members):
            raise self.type_error(_kind(value), cls, ctx)
        specs = struct_fields(cls)
        by_key = {spec.key: spec for spec in specs}
        base = current if isinstance(current, cls) else _zero(cls)
        values = {f.name: getattr(base, f.name) for f in dataclasses.fields(cls)}
        for key, item in _members(value):
            spec = by_key.get(key)
            if spec is None:
                folded = _fold(key)
                spec = next((s for s in specs if _fold(s.key) == folded), None)
            if spec is None:
                if self.disallow_unknown_fields:
                    raise RemoteProtocolError(f'json: unknown field "{key}"')
                continue
            inner = _Context(cls.__name__, (*ctx.path, spec.key))
            if spec.quoted:
                values[spec.attr] = self.quoted(spec, item, values[spec.attr], inner)
            else:
                values[spec.attr] = self.decode(spec.hint, item, values[spec.attr], inner)
        return _new_struct(cls, values)

    def quoted(self, spec: FieldSpec, value: Any, current: Any, ctx: _Context) -> Any:
        """A field with the ",string" option: its value's JSON inside a JSON string."""
        hint = _optional_arg(spec.hint)
        if value is None:
            return self.decode(spec.hint, None, current, ctx)
        if not isinstance(value, str) or isinstance(value, Number):
            raise RemoteProtocolError(
                "json: invalid use of ,string struct tag, trying to unmarshal unquoted "
                f"value into {go_type_name(hint)}"
            )
        invalid = RemoteProtocolError(
            "json: invalid use of ,string struct tag, trying to unmarshal "
            f"{quote_string(value, escape_html=False).decode()} into {go_type_name(hint)}"
        )
        try:
            inner = parse(value.encode("utf-8"), number_literals=True)
        except RemoteProtocolError:
            raise invalid from None
        if inner is None:
            return self.decode(spec.hint, None, current, ctx)
        if isinstance(inner, list | dict) or (hint is str) != (_kind(inner) == "string"):
            raise invalid
        try:
            return self.decode(hint, inner, current, ctx)
        except RemoteProtocolError:
            raise invalid from None

    def plain(self, value: Any, ctx: _Context) -> Any:
        """An ``interface{}`` value: numbers and objects as :func:`.parse` gives them
        (with its own stack: the value may be nested 10000 deep)."""
        if not _is_container(value):
            return self.scalar(value, ctx)
        root = _new_container(value)
        stack: list[tuple[Iterator[tuple[str | None, Any]], list[Any] | dict[str, Any]]]
        stack = [(_children(value), root)]
        while stack:
            children, target = stack[-1]
            for key, item in children:
                if _is_container(item):
                    child = _new_container(item)
                    _put(target, key, child)
                    stack.append((_children(item), child))
                    break
                _put(target, key, self.scalar(item, ctx))
            else:
                stack.pop()
        return root

    def scalar(self, value: Any, ctx: _Context) -> Any:
        if isinstance(value, Number):
            number = number_value(value)
            if number is None:
                raise self.type_error(f"number {value}", float, ctx)
            return number
        return value


def _is_container(value: Any) -> bool:
    return type(value) is list or isinstance(value, dict | Members)


def _new_container(value: Any) -> list[Any] | dict[str, Any]:
    return [] if type(value) is list else {}


def _children(value: Any) -> Iterator[tuple[str | None, Any]]:
    if type(value) is list:
        return ((None, item) for item in value)
    return iter(_members(value))


def _put(target: list[Any] | dict[str, Any], key: str | None, value: Any) -> None:
    if isinstance(target, list):
        target.append(value)
    else:
        target[typing.cast(str, key)] = value


def _members(value: dict[str, Any] | Members) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else list(value)


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _base64_error_at(text: str) -> int:
    """Roughly where Go's base64 decoder reports an error: the first byte outside the
    alphabet, else the start of the incomplete final quantum."""
    body = text.rstrip("=")
    for i, c in enumerate(body):
        if c not in _B64_ALPHABET:
            return i
    return len(body) - len(body) % 4

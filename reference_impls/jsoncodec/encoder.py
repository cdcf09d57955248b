"""``marshal``: the bytes Go 1.19's ``json.Marshal`` writes for the equivalent Go value.

Python -> Go: None nil, bool, int (any size, like big.Int), float float64, str string
(surrogates as U+FFFD), :class:`GoString` string of any bytes, bytes/bytearray []byte
(base64), list/tuple slice, Mapping map (str/GoString/int keys, sorted by bytes),
dataclass struct (see :mod:`.models`), :class:`RawMessage` json.RawMessage. The
encoder keeps its own stack (no depth limit); a cycle is refused, as Go refuses one.
"""

from __future__ import annotations

import base64
import itertools
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.jsoncodec._structs import FieldSpec, is_struct, struct_fields
from reference_impls.jsoncodec.parser import parse

__all__ = ["GoString", "RawMessage", "format_float", "marshal", "quote_string"]


class GoString(bytes):
    """A Go string given by its bytes, which need not be valid UTF-8.

    (Plain ``bytes`` marshal as ``[]byte``, i.e. base64.)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"GoString({bytes(self)!r})"


class RawMessage(bytes):
    """Already-encoded JSON, inserted as is (Go's ``json.RawMessage``), compacted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"RawMessage({bytes(self)!r})"


# Go's encodeState.string with escapeHTML: '"' and '\\' get a backslash; \n \r \t
# short escapes; every other byte < 0x20, and < > &, \u00XX; U+2028 and U+2029
# always \u2028 \u2029 (JSONP safety); each invalid UTF-8 byte \ufffd. (Go 1.22 later
# used \b and \f; Go 1.19 does not.) Nothing else is escaped, not even '/' or DEL.
_ESCAPES: dict[str, str] = {chr(c): f"\\u{c:04x}" for c in range(0x20)}
_ESCAPES.update({'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_ESCAPES.update({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
_ESCAPES.update({"\u2028": "\\u2028", "\u2029": "\\u2029"})
_ESCAPES_NO_HTML = {k: v for k, v in _ESCAPES.items() if k not in "<>&"}
# Surrogates in the text to escape stand for invalid bytes (see _go_text).
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_NEEDS_ESCAPE_NO_HTML = re.compile('[\x00-\x1f"\\\\\u2028\u2029\ud800-\udfff]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_match(m: re.Match[str]) -> str:
    c = m.group()
    return _ESCAPES.get(c) or "\\ufffd"


def _escape_match_no_html(m: re.Match[str]) -> str:
    c = m.group()
    return _ESCAPES_NO_HTML.get(c) or "\\ufffd"


def _go_text(value: str | GoString) -> str:
    """The text to escape: invalid bytes of a GoString as surrogates U+DC80-U+DCFF,
    a str's own surrogates as (valid) U+FFFD."""
    if isinstance(value, GoString):
        # Each byte that is not part of a valid UTF-8 sequence -> one surrogate, the
        # same bytes that Go's utf8.DecodeRune rejects one at a time.
        return bytes(value).decode("utf-8", "surrogateescape")
    if _SURROGATE.search(value):
        return _SURROGATE.sub("\ufffd", value)
    return value


def quote_string(value: str | GoString, *, escape_html: bool = True) -> bytes:
    """A Go string as ``json.Marshal`` quotes it (``escape_html=False``: like an
    Encoder after ``SetEscapeHTML(false)``)."""
    text = _go_text(value)
    if escape_html:
        text = _NEEDS_ESCAPE.sub(_escape_match, text)
    else:
        text = _NEEDS_ESCAPE_NO_HTML.sub(_escape_match_no_html, text)
    return b'"' + text.encode("utf-8") + b'"'


def format_float(value: float) -> str:
    """Go's float64 encoding: shortest round-trip digits, in ``%f`` style unless
    |x| < 1e-6 or |x| >= 1e21, then ``%e`` style with ``e-07`` shortened to ``e-7``."""
    if math.isnan(value) or math.isinf(value):
        shown = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        raise LocalProtocolError(f"json: unsupported value: {shown}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    # repr() gives the shortest digits that round-trip, as Go's strconv does.
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + (int(exp) if exp else 0)  # value = 0.<digits> * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        e = point - 1
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        # strconv writes at least two exponent digits; Go's json cleans e-09 to e-9.
        exponent = f"-{-e}" if -9 <= e < 0 else f"{'-' if e < 0 else '+'}{abs(e):02d}"
        return f"{sign}{body}e{exponent}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _format_int(value: int) -> bytes:
    try:
        return str(value).encode("ascii")
    except ValueError as exc:  # more digits than sys.get_int_max_str_digits()
        raise LocalProtocolError(f"json: unsupported value: int too large ({exc})") from None


def _map_key(key: object) -> bytes:
    """A map key's Go string bytes (Go: string keys as they are, integer keys in
    decimal; other key types are unsupported)."""
    if isinstance(key, GoString):
        return bytes(key)
    if isinstance(key, str):
        return _go_text(key).encode("utf-8")
    if isinstance(key, int) and not isinstance(key, bool):
        return _format_int(key)
    raise LocalProtocolError(f"json: unsupported type: map key {type(key).__name__}")


def _is_empty(value: object) -> bool:
    """Go's isEmptyValue for omitempty: false, 0, "", nil, and empty containers;
    a struct is never empty."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | bytes | bytearray | memoryview | list | tuple | Mapping):
        return len(value) == 0
    return False


def _struct_items(value: Any, escape_html: bool) -> Iterator[tuple[bytes, Any, FieldSpec]]:
    for spec in struct_fields(type(value)):
        item = getattr(value, spec.attr)
        if spec.omitempty and _is_empty(item):
            continue
        yield quote_string(spec.key, escape_html=escape_html), item, spec


class _Encoded(bytes):
    """Bytes already encoded by this module: written out as they are."""

    __slots__ = ()


class _Field:
    """A struct field's value with its spec, for the encoding loop."""

    __slots__ = ("spec", "value")

    def __init__(self, value: Any, spec: FieldSpec) -> None:
        self.value = value
        self.spec = spec


def _scalar_field(value: Any, spec: FieldSpec, escape_html: bool) -> Any:
    if value is None:
        return None
    floating = spec.hint is float or float in _union_args(spec.hint)
    if floating and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if spec.quoted:
        # The ",string" option: the value's JSON, inside a JSON string (for a string
        # field, escaped twice, HTML-escaped only the first time).
        inner = marshal(value, escape_html=escape_html)
        return _Encoded(quote_string(GoString(inner), escape_html=False))
    return value


def _union_args(hint: Any) -> tuple[Any, ...]:
    return getattr(hint, "__args__", ())


def marshal(value: Any, *, escape_html: bool = True) -> bytes:
    """Encode ``value`` exactly as Go's ``json.Marshal`` encodes the equivalent Go
    value (no trailing newline). Raises :class:`LocalProtocolError` for what Go
    cannot encode (NaN, infinities, unsupported types, cycles).

    ``escape_html=False`` leaves ``<``, ``>`` and ``&`` alone, as a json.Encoder does
    after ``SetEscapeHTML(false)``. (``Encoder.Encode`` writes this plus ``b"\\n"``.)
    """
    out: list[bytes] = []
    # Each frame: an iterator of (key or None, value), the closing byte, and the id
    # of the container (for cycle detection); ``first`` tracks the commas.
    stack: list[tuple[Iterator[tuple[bytes | None, Any]], bytes, int]] = []
    active: set[int] = set()
    first = True
    pending: list[Any] = [value]
    while True:
        if pending:
            item = pending.pop()
        else:
            if not stack:
                break
            iterator, closing, ident = stack[-1]
            nxt = next(iterator, None)
            if nxt is None:
                stack.pop()
                active.discard(ident)
                out.append(closing)
                first = False
                continue
            key, item = nxt
            if not first:
                out.append(b",")
            if key is not None:
                out.append(key)
                out.append(b":")
        first = False
        if isinstance(item, _Field):
            item = _scalar_field(item.value, item.spec, escape_html)
        if item is None:
            out.append(b"null")
        elif item is True:
            out.append(b"true")
        elif item is False:
            out.append(b"false")
        elif isinstance(item, _Encoded):
            out.append(item)
        elif isinstance(item, RawMessage):
            out.append(_compact(item, escape_html))
        elif isinstance(item, str | GoString):
            out.append(quote_string(item, escape_html=escape_html))
        elif isinstance(item, int):
            out.append(_format_int(item))
        elif isinstance(item, float):
            out.append(format_float(item).encode("ascii"))
        elif isinstance(item, bytes | bytearray | memoryview):
            out.append(b'"' + base64.b64encode(item) + b'"')
        else:
            ident = id(item)
            if ident in active:
                raise LocalProtocolError(
                    f"json: unsupported value: encountered a cycle via {type(item).__name__}"
                )
            if isinstance(item, list | tuple):
                out.append(b"[")
                children: Iterator[tuple[bytes | None, Any]] = ((None, v) for v in item)
                closing = b"]"
            elif isinstance(item, Mapping):
                out.append(b"{")
                entries = sorted(((_map_key(k), v) for k, v in item.items()), key=_first)
                for (k1, _), (k2, _) in itertools.pairwise(entries):
                    if k1 == k2:
                        # A Go map cannot hold one key twice (e.g. 1 and "1", or "" and
                        # GoString(b"")).
                        raise LocalProtocolError(f"json: map has the key {k1!r} twice")
                children = (
                    (quote_string(GoString(k), escape_html=escape_html), v) for k, v in entries
                )
                closing = b"}"
            elif is_struct(item):
                out.append(b"{")
                fields = _struct_items(item, escape_html)
                children = ((k, _Field(v, spec)) for k, v, spec in fields)
                closing = b"}"
            else:
                raise LocalProtocolError(f"json: unsupported type: {type(item).__name__}")
            active.add(ident)
            stack.append((children, closing, ident))
            first = True
    return b"".join(out)


def _first(entry: tuple[bytes, Any]) -> bytes:
    return entry[0]


def _compact(raw: bytes, escape_html: bool) -> bytes:
    """Go's ``compact`` of a RawMessage: insignificant whitespace removed; invalid
    JSON is refused (``json: error calling MarshalJSON for type json.RawMessage``)."""
    try:
        parse(raw)
    except RemoteProtocolError as exc:
        raise LocalProtocolError(
            f"json: error calling MarshalJSON for type json.RawMessage: {exc}"
        ) from None
    compacted = _INSIGNIFICANT.sub(_keep_strings, bytes(raw))
    if not escape_html:
        return compacted
    # Go's compact also HTML-escapes, and escapes U+2028/U+2029 (inside strings: the
    # only place they can be), but only when escaping HTML.
    return _COMPACT_ESCAPES.sub(_compact_escape, compacted)


_INSIGNIFICANT = re.compile(rb'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.DOTALL)
_COMPACT_ESCAPES = re.compile(rb"[<>&]|\xe2\x80[\xa8\xa9]")


def _keep_strings(m: re.Match[bytes]) -> bytes:
    return m.group(1) or b""


def _compact_escape(m: re.Match[bytes]) -> bytes:
    return _ESCAPES[m.group().decode("utf-8")].encode("ascii")

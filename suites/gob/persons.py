"""Shared by the gob checks: sending Persons, reading the reply stream, the sample Person.

What the client sends is what ``gob.NewEncoder(conn)`` sends (the reference
:class:`~reference_impls.gob.Encoder`, byte for byte Go's). What comes back is read by
:class:`Replies`, a reader made for checking rather than for use: it walks every
message by its content, which is self-delimiting (a wireType or a Person ends at its
struct terminator), not by the length in front of it, and it takes definitions in any
order, again and under any id. So a reply stream with one flaw still yields its
Persons, and the flaw is reported by the one check made for it, not by every check
that needs a Person back. What it notes on the way:

* :attr:`Replies.length_errors`: a message whose length is not that of its content;
* :attr:`Replies.redefined`: a type id defined a second time, or a type defined again
  under another id;
* :attr:`Replies.used_before_definition`: a value whose type (or a type it reaches) was
  not defined before it;
* :attr:`Replies.low_ids`: a type defined with an id below 64;
* :attr:`Replies.zero_fields`: a struct field sent with the zero value of its type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import strategies as st

from harness.errors import ConformanceFailure
from harness.targets import Target
from harness.wire import End, Observation, TcpConnection, Wire
from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import Encoder
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person
from reference_impls.gob.primitives import Reader
from reference_impls.gob.wire import WireType, decode_wire_type

__all__ = [
    "BOOK_ID",
    "BOOK_ROUNDS",
    "FIRST_USER_ID",
    "Replies",
    "book_echo_or_skip",
    "converse",
    "decode_replies",
    "encode",
    "normalized",
    "persons",
    "read_replies",
    "send_and_read",
]

#: The book's server answers ten values per connection, then closes: no check sends more.
BOOK_ROUNDS = 10
#: The requirement every other check leans on; a target failing it is reported there once.
BOOK_ID = "gob/go-encoding-gob/basics/book-person-echoed"
#: Go's decoder refuses definitions of ids below this one ("duplicate type received").
FIRST_USER_ID = 64


def encode(*persons: Person) -> bytes:
    """What the book's client sends: ``Encode(p)`` of each Person on one gob.Encoder."""
    encoder = Encoder()
    return b"".join(encoder.encode(person) for person in persons)


def normalized(person: Person) -> Person:
    """``person`` as it comes back from Go: a nil email list is an empty one."""
    return person if person.Email else Person(person.Name, [])


# -- reading the reply stream ------------------------------------------------------------


class _Short(Exception):
    """The bytes so far end inside a message: more may come."""


class _Bad(Exception):
    """The bytes are not gob."""


_ZEROS: dict[int, Any] = {1: False, 2: 0, 3: 0, 4: 0, 5: b"", 6: "", 7: (0, 0)}
_NAMES = {1: "bool", 2: "int", 3: "uint", 4: "float", 5: "[]byte", 6: "string", 7: "complex"}
#: Nesting deeper than this in a reply is taken as garbage (a Person nests three deep).
_MAX_DEPTH = 16


@dataclass
class _Stream:
    data: bytes
    types: dict[int, WireType] = field(default_factory=dict)
    shapes: dict[tuple[Any, ...], int] = field(default_factory=dict)
    zero_fields: list[str] = field(default_factory=list)


def _uint(r: Reader) -> int:
    if r.pos >= r.end:
        raise _Short
    try:
        return r.read_uint()
    except RemoteProtocolError as exc:
        if "exceeds input size" in str(exc):
            raise _Short from None
        raise _Bad(str(exc)) from None


def _int(r: Reader) -> int:
    u = _uint(r)
    return ~(u >> 1) if u & 1 else u >> 1


def _bytes(r: Reader) -> bytes:
    n = _uint(r)
    if n > 1 << 26:
        raise _Bad(f"a count of {n} bytes")
    if r.pos + n > r.end:
        raise _Short
    return r.take(n)


def _value(s: _Stream, r: Reader, tid: int, depth: int) -> Any:
    """One value of type ``tid`` as plain data: structs as dicts, slices as lists."""
    if depth > _MAX_DEPTH:
        raise _Bad("values nested too deeply")
    if tid in (1, 3):
        return _uint(r) if tid == 3 else bool(_uint(r))
    if tid == 2:
        return _int(r)
    if tid == 4:
        return _uint(r)  # the bits, reversed: only compared, never used
    if tid == 5:
        return _bytes(r)
    if tid == 6:
        return _bytes(r).decode("utf-8", "surrogateescape")
    if tid == 7:
        return (_uint(r), _uint(r))
    wire = s.types.get(tid)
    if wire is None:
        raise _Bad(f"type id {tid} is not defined")
    if wire.kind == "struct":
        out: dict[str, Any] = {}
        number = -1
        while True:
            delta = _uint(r)
            if delta == 0:
                return out
            number += delta
            if number >= len(wire.fields):
                raise _Bad(f"field number {number} of {wire.name or tid} does not exist")
            name, ftid = wire.fields[number]
            value = _value(s, r, ftid, depth + 1)
            if _is_zero(s, ftid, value):
                s.zero_fields.append(f"{wire.name or tid}.{name}")
            out[name] = value
    if wire.kind in ("slice", "array"):
        count = _uint(r)
        if count > r.end - r.pos:
            raise _Short if r.end == len(r.data) else _Bad(f"a count of {count}")
        return [_value(s, r, wire.elem, depth + 1) for _ in range(count)]
    if wire.kind == "map":
        count = _uint(r)
        if count > r.end - r.pos:
            raise _Short if r.end == len(r.data) else _Bad(f"a count of {count}")
        return [
            (_value(s, r, wire.key, depth + 1), _value(s, r, wire.elem, depth + 1))
            for _ in range(count)
        ]
    if wire.kind in ("gob", "binary", "text"):
        return _bytes(r)
    raise _Bad(f"type id {tid} ({wire.kind}) is not something a Person holds")


def _is_zero(s: _Stream, tid: int, value: Any) -> bool:
    if tid in _ZEROS:
        return bool(value == _ZEROS[tid])
    wire = s.types.get(tid)
    # Structs go out even when zero (Go's encoder sends them) and arrays always do.
    return wire is not None and wire.kind in ("slice", "map") and not value


def _reached(s: _Stream, tid: int) -> list[int]:
    """``tid`` and every user type id its definition reaches."""
    seen: list[int] = []
    todo = [tid]
    while todo:
        t = todo.pop()
        if t in seen or t in _NAMES or t in (0, 8):
            continue
        seen.append(t)
        wire = s.types.get(t)
        if wire is not None:
            todo += [wire.elem, wire.key, *(f for _, f in wire.fields)]
    return seen


def _shape(wire: WireType) -> tuple[Any, ...]:
    return (wire.kind, wire.name, wire.length, len(wire.fields), tuple(n for n, _ in wire.fields))


def _person(value: Any) -> Person:
    """A decoded struct as the book's Person (fields matched by name, as gob does)."""
    if not isinstance(value, dict):
        raise _Bad(f"a value that is not a struct: {value!r:.80}")
    name = value.get("Name", {})
    emails = value.get("Email", [])
    if not isinstance(name, dict) or not isinstance(emails, list):
        raise _Bad("a struct whose Name or Email field is not a Person's")
    if not all(isinstance(e, dict) for e in emails):
        raise _Bad("an Email element that is not a struct")
    strings = [name.get("Family", ""), name.get("Personal", "")]
    strings += [e.get(k, "") for e in emails for k in ("Kind", "Address")]
    if not all(isinstance(text, str) for text in strings):
        raise _Bad("a Person whose strings are not strings")
    return Person(
        Name(name.get("Family", ""), name.get("Personal", "")),
        [Email(e.get("Kind", ""), e.get("Address", "")) for e in emails],
    )


class Replies:
    """The Persons read from what came back, and what the stream did wrong on the way."""

    def __init__(self, observed: Observation, count: int) -> None:
        self.observed = observed
        self.values: list[Any] = []
        #: Why reading stopped early: the stream is not gob (None: it is, so far).
        self.error: str | None = None
        self.incomplete = False
        self.length_errors: list[str] = []
        self.redefined: list[str] = []
        self.used_before_definition: list[str] = []
        self.low_ids: list[str] = []
        self.zero_fields: list[str] = []
        self._read(observed.received, count)

    def _read(self, data: bytes, count: int) -> None:
        s = _Stream(data)
        pending: list[tuple[int, int, int, int]] = []  # (index, tid, start, end)
        pos = 0
        while pos < len(data) and (len(self.values) < count or pending):
            r = Reader(data, pos)
            try:
                length = _uint(r)
                body = r.pos
                tid = _int(r)
                if tid < 0:
                    self._define(s, -tid, r, len(self.values), body + length)
                    pending = self._resolve(s, pending)
                elif tid in _NAMES or set(_reached(s, tid)) <= set(s.types):
                    self.values.append(self._top(s, r, tid))
                else:
                    # Its type is not (fully) defined yet: decode it once it is, by the
                    # message's own length (nothing else tells where it ends).
                    if body + length > len(data):
                        raise _Short
                    missing = sorted(set(_reached(s, tid)) - set(s.types))
                    self.used_before_definition.append(
                        f"value {len(self.values) + 1} (type id {tid}) before the definition "
                        f"of type id {', '.join(map(str, missing))}"
                    )
                    pending.append((len(self.values), tid, r.pos, body + length))
                    self.values.append(None)
                    r.pos = body + length
            except _Short:
                self.incomplete = True
                break
            except _Bad as exc:
                self.error = f"the reply is not a gob stream at offset {pos}: {exc}"
                break
            if r.pos - body != length:
                self.length_errors.append(
                    f"the message at offset {pos} says {length} bytes; its content is "
                    f"{r.pos - body}"
                )
            pos = r.pos
        if pending:
            self.incomplete = True
        if None in self.values:
            self.values = self.values[: self.values.index(None)]
        self.zero_fields = s.zero_fields

    def _resolve(
        self, s: _Stream, pending: list[tuple[int, int, int, int]]
    ) -> list[tuple[int, int, int, int]]:
        """Decode the values waiting for definitions that have now all come."""
        left = []
        for index, tid, start, end in pending:
            if not set(_reached(s, tid)) <= set(s.types):
                left.append((index, tid, start, end))
                continue
            try:
                self.values[index] = self._top(s, Reader(s.data, start, end), tid)
            except _Short:
                raise _Bad(f"value {index + 1} is cut short") from None
        return left

    def _define(self, s: _Stream, tid: int, r: Reader, values_before: int, end: int) -> None:
        try:
            wire = decode_wire_type(r)
        except RemoteProtocolError as exc:
            if end > len(r.data):
                raise _Short from None  # the rest of it is still to come
            raise _Bad(f"a type definition that does not decode: {exc}") from None
        plural = "s" if values_before > 1 else ""
        after = f"after {values_before} value{plural}" if values_before else "before any value"
        if tid in s.types:
            self.redefined.append(f"type id {tid} ({wire.name or wire.kind}) again, {after}")
        elif (shape := _shape(wire)) in s.shapes and wire.name:
            self.redefined.append(
                f"type {wire.name} again as type id {tid} (it was {s.shapes[shape]}), {after}"
            )
        if tid < FIRST_USER_ID:
            self.low_ids.append(f"type id {tid} ({wire.name or wire.kind})")
        s.types[tid] = wire
        s.shapes.setdefault(_shape(wire), tid)

    def _top(self, s: _Stream, r: Reader, tid: int) -> Any:
        wire = s.types.get(tid)
        if wire is None or wire.kind != "struct":
            if _uint(r) != 0:  # a non-struct at top level is a field with delta 0
                raise _Bad("a top-level value without its zero delta")
            return _value(s, r, tid, 0)  # not a struct, so not a Person
        return _value(s, r, tid, 0)

    def persons(self, expected: str) -> list[Person]:
        """The values as Persons; a failure if any is not a Person."""
        __tracebackhide__ = True
        try:
            return [_person(value) for value in self.values]
        except _Bad as exc:
            raise ConformanceFailure(expected, f"a reply that is not a Person: {exc}") from None

    def describe(self, count: int) -> str:
        got = f"{len(self.values)} of {count} replies"
        why = f"; {self.error}" if self.error else ""
        return f"{got}: {self.observed.describe()}{why}"


def _complete(count: int, *, before: bytes = b"") -> Callable[[bytes], bool]:
    """Whether ``before`` and what was received hold ``count`` whole Persons (or are
    not gob: no use waiting for more)."""

    def enough(received: bytes) -> bool:
        replies = Replies(Observation(before + received, End.OPEN, 0.0), count)
        return replies.error is not None or (
            len(replies.values) >= count and not replies.incomplete
        )

    return enough


def read_replies(conn: TcpConnection, count: int) -> Replies:
    """Read until ``count`` whole Persons came back (or an error, a close, silence)."""
    return Replies(conn.receive(until=_complete(count)), count)


def send_and_read(
    conn: TcpConnection, payload: bytes, count: int, *, chunks: Iterable[bytes] | None = None
) -> Replies:
    if chunks is None:
        conn.send(payload)
    else:
        conn.send_chunks(chunks)
    return read_replies(conn, count)


def converse(conn: TcpConnection, persons: list[Person]) -> Replies:
    """Send ``persons`` on one gob stream, each after the reply to the one before; the
    Replies read from the whole reply stream (stops early if a reply does not come)."""
    encoder = Encoder()
    received = b""
    started = time.monotonic()
    observed = Observation(b"", End.OPEN, 0.0)
    for i, person in enumerate(persons, start=1):
        conn.send(encoder.encode(person))
        observed = conn.receive(until=_complete(i, before=received))
        received += observed.received
        replies = Replies(Observation(received, observed.end, 0.0), i)
        if len(replies.values) < i or observed.end is not End.OPEN:
            break
    return Replies(
        Observation(received, observed.end, time.monotonic() - started, observed.detail),
        len(persons),
    )


def decode_replies(replies: Replies, count: int, expected: str) -> list[Person]:
    """``count`` Persons from ``replies``, or a failure saying what came instead."""
    __tracebackhide__ = True
    if len(replies.values) < count:
        raise ConformanceFailure(expected, replies.describe(count))
    return replies.persons(expected)[:count]


#: Targets (host, port) that did not echo the book's Person in this process.
_NO_BOOK_ECHO: set[tuple[str, int]] = set()


def book_echo_or_skip(wire: Wire, target: Target) -> None:
    """The book's sample Person must come back on a new connection; skip otherwise.

    Checks of anything else need a target that echoes a plain Person at all: one that
    does not is reported once, by the book-person check, not again by every check.
    Once it has not come back, later checks skip at once, without waiting again.
    """
    if target.address in _NO_BOOK_ECHO:
        pytest.skip(f"the book's sample Person did not come back earlier ({BOOK_ID} reports that)")
    conn = wire.connect(target)
    replies = send_and_read(conn, encode(SAMPLE_PERSON), 1)
    conn.close()
    ok = False
    if len(replies.values) == 1 and replies.error is None:
        try:
            ok = replies.persons("") == [SAMPLE_PERSON]
        except ConformanceFailure:
            ok = False
    if not ok:
        _NO_BOOK_ECHO.add(target.address)
        pytest.skip(f"the book's sample Person did not come back ({BOOK_ID} reports that)")


# -- generated Persons (Hypothesis) ------------------------------------------------

#: Characters of generated strings: any but surrogates (a Go string holds UTF-8 here),
#: with the ones worth a look (astral, NUL and other controls, multi-byte) drawn often.
_SPECIAL = "😀𝄞\U0010fffd\x00\x7f\u2028é中\ufeff"
_chars = st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(_SPECIAL))
_short = st.text(_chars, max_size=24)
_large = st.builds(lambda c, n: c * n, _chars, st.integers(1000, 3000))
_email = st.builds(Email, Kind=_short, Address=_short)
_emails = st.one_of(st.lists(_email, max_size=3), st.lists(_email, min_size=20, max_size=40))


def persons() -> st.SearchStrategy[Person]:
    """Persons with empty and large names, astral characters, and no (nil), empty or
    many email entries."""
    return st.builds(
        Person,
        Name=st.builds(Name, Family=st.one_of(_short, _large), Personal=_short),
        Email=st.one_of(st.none(), st.builds(list), _emails),
    )

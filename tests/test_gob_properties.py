"""encoding/gob properties: any bytes decode or raise RemoteProtocolError; round trips."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import (
    NEED_DATA,
    ArrayOf,
    BigInt,
    Complex64,
    Decoder,
    Encoder,
    Float32,
    GoType,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
    go_type,
    register,
)
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person, Point, T
from reference_impls.gob.types import (
    ArrayType,
    BasicType,
    GobEncodedType,
    InterfaceType,
    MapType,
    PointerType,
    SliceType,
    StructType,
)

register("main.Point", Point)

FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@dataclass
class Inner:
    __gob_name__: ClassVar[str] = "main.Inner"
    S: str = ""
    N: int = 0


@dataclass
class Every:
    """One field of every gob kind."""

    __gob_name__: ClassVar[str] = "main.Every"
    B: bool = False
    I: int = 0  # noqa: E741 (Go's field name)
    I8: Annotated[int, Int8] = 0
    I16: Annotated[int, Int16] = 0
    I32: Annotated[int, Int32] = 0
    I64: Annotated[int, Int64] = 0
    U8: Annotated[int, Uint8] = 0
    U16: Annotated[int, Uint16] = 0
    U32: Annotated[int, Uint32] = 0
    U64: Annotated[int, Uint64] = 0
    Up: Annotated[int, Uintptr] = 0
    F32: Annotated[float, Float32] = 0.0
    F64: float = 0.0
    C64: Annotated[complex, Complex64] = 0j
    C128: complex = 0j
    Str: str = ""
    Raw: bytes = b""
    Ints: list[int] = field(default_factory=list)
    Arr: Annotated[list[int], ArrayOf(3)] = field(default_factory=lambda: [0, 0, 0])
    M: dict[str, Inner] = field(default_factory=dict)
    P: Inner | None = None
    In: Inner = field(default_factory=Inner)
    Nested: list[list[str]] = field(default_factory=list)
    Any: Any = None
    Big: Annotated[int, BigInt] = 0


def strategy_for(t: GoType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of a Go type that survive a round trip unchanged."""
    if isinstance(t, BasicType):
        if t.wire_id == 1:
            return st.booleans()
        if t.wire_id == 2:
            return st.integers(-(1 << (t.bits - 1)), (1 << (t.bits - 1)) - 1)
        if t.wire_id == 3:
            return st.integers(0, (1 << t.bits) - 1)
        width: Literal[32, 64] = 32 if t.bits == 32 else 64
        if t.wire_id == 4:
            return st.floats(allow_nan=False, width=width)
        if t.wire_id == 7:
            part = st.floats(allow_nan=False, width=width)
            return st.builds(complex, part, part)
        if t.wire_id == 6:
            return st.text(st.characters(codec="utf-8"), max_size=20)
        return st.binary(max_size=20)
    if isinstance(t, SliceType):
        return st.lists(strategy_for(t.elem, depth + 1), max_size=4)
    if isinstance(t, ArrayType):
        return st.lists(strategy_for(t.elem, depth + 1), min_size=t.length, max_size=t.length)
    if isinstance(t, MapType):
        return st.dictionaries(
            strategy_for(t.key, depth + 1), strategy_for(t.elem, depth + 1), max_size=3
        )
    if isinstance(t, PointerType):
        # A pointer to a zero scalar is left out, so comes back nil.
        return st.none() | strategy_for(t.elem, depth + 1).filter(lambda v: not _zero_scalar(v))
    if isinstance(t, StructType):
        return st.builds(t.cls, **{f.attr: strategy_for(f.type, depth + 1) for f in t.fields})
    if isinstance(t, InterfaceType):
        return (
            st.none()
            | st.integers(-100, 100)
            | st.text(max_size=5)
            | st.builds(Point, st.integers(-5, 5), st.integers(-5, 5))
        )
    if isinstance(t, GobEncodedType):
        return st.integers(-(1 << 200), 1 << 200)
    raise AssertionError(t)


def _zero_scalar(v: Any) -> bool:
    return not isinstance(v, Inner | Point) and not v


def _same(a: Any, b: Any) -> bool:
    """Equality that treats -0.0 and 0.0 as gob does (a zero float field is left out)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def decode_chunks(chunks: list[bytes], into: Any = None) -> list[Any]:
    dec = Decoder(into, max_message_size=1 << 16)
    out = []
    for chunk in chunks:
        dec.receive_data(chunk)
        while (value := dec.next_value()) is not NEED_DATA:
            out.append(value)
    return out


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


VALID_STREAMS = [
    Encoder().encode(SAMPLE_PERSON),
    Encoder().encode(T(7, "hi")) + Encoder().encode(T())[-4:],
    Encoder().encode(Every(I=5, Ints=[1, 2], M={"k": Inner("v", 1)}, Any=Point(1, 2), Big=-7)),
    Encoder().encode(["a", "bc"], list[str]),
]
TARGETS: list[Any] = [None, Person, T, Every, list[str], int]


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(TARGETS))
def test_any_bytes_decode_or_raise_remote_error(data: bytes, into: Any) -> None:
    with contextlib.suppress(RemoteProtocolError):
        decode_chunks([data], into)


@FUZZ
@given(
    st.sampled_from(VALID_STREAMS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    st.sampled_from(TARGETS),
    st.lists(st.integers(0, 10_000), max_size=4),
)
def test_mutated_streams_decode_or_raise_remote_error(
    data: bytes, edits: list[tuple[int, int]], into: Any, cuts: list[int]
) -> None:
    buf = bytearray(data)
    for pos, byte in edits:
        if pos % 3 == 0 and buf:
            del buf[pos % len(buf)]
        elif pos % 3 == 1:
            buf.insert(pos % (len(buf) + 1), byte)
        elif buf:
            buf[pos % len(buf)] = byte
    try:
        whole = decode_chunks([bytes(buf)], into)
    except RemoteProtocolError:
        return
    # However the bytes arrive, the same values come out.
    assert decode_chunks(split(bytes(buf), cuts), into) == whole


def _definitions_and_id(data: bytes) -> tuple[bytes, bytes]:
    """A valid stream's definition messages, and its last (value) message's type id."""
    pos, last = 0, 0
    while pos < len(data):
        count = data[pos]
        width = 1 if count < 0x80 else 257 - count
        size = count if count < 0x80 else int.from_bytes(data[pos + 1 : pos + width], "big")
        last, pos = pos, pos + width + size
    value = data[last:]
    body = value[1:] if value[0] < 0x80 else value[257 - value[0] :]
    return data[:last], body[:2] if body[0] >= 0x80 else body[:1]


@FUZZ
@given(st.sampled_from(VALID_STREAMS), st.binary(max_size=60), st.sampled_from(TARGETS))
def test_random_values_of_known_types_decode_or_raise_remote_error(
    stream: bytes, body: bytes, into: Any
) -> None:
    definitions, type_id = _definitions_and_id(stream)
    message = type_id + body
    data = definitions + bytes([len(message)]) + message
    with contextlib.suppress(RemoteProtocolError):
        decode_chunks([data], into)


persons = st.builds(
    Person,
    st.builds(Name, strategy_for(go_type(str)), strategy_for(go_type(str))),
    st.lists(st.builds(Email, strategy_for(go_type(str)), strategy_for(go_type(str))), max_size=4),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(persons, min_size=1, max_size=4), st.lists(st.integers(0, 10_000), max_size=5))
def test_persons_round_trip(people: list[Person], cuts: list[int]) -> None:
    enc = Encoder()
    data = b"".join(enc.encode(p) for p in people)
    assert decode_chunks(split(data, cuts), Person) == people
    generic = decode_chunks([data])
    assert generic == [
        {
            "Name": {"Family": p.Name.Family, "Personal": p.Name.Personal},
            "Email": [{"Kind": e.Kind, "Address": e.Address} for e in p.Email],
        }
        for p in people
    ]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(strategy_for(go_type(Every)))
def test_every_kind_round_trips(value: Every) -> None:
    data = Encoder().encode(value)
    (back,) = decode_chunks([data], Every)
    every = go_type(Every)
    assert isinstance(every, StructType)
    for f in every.fields:
        assert _same(getattr(back, f.attr), getattr(value, f.attr)), f.attr

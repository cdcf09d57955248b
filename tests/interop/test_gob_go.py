"""encoding/gob against Go 1.19 itself: a corpus of every gob kind, both ways.

``go/gobcorpus/main.go`` holds the same values in Go. Go -> Python: a fresh Go process
encodes a case; we decode it (whole, byte by byte, and in random pieces) and compare
with the Python value, and, where Go's bytes are deterministic, compare our own
encoding byte for byte. Python -> Go: we encode; Go decodes, checks the value against
its own copy (reflect.DeepEqual), and sends back its re-encoding, which we decode again.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import pytest
from gobtypes import TEMP

from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import (
    NEED_DATA,
    ArrayOf,
    BigInt,
    Complex64,
    Decoder,
    Encoder,
    Float32,
    GoValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Registry,
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
)
from reference_impls.gob.models import SAMPLE_PERSON, Person, Point, T

from .peers import PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

SOURCE = Path(__file__).resolve().parent / "go" / "gobcorpus" / "main.go"


# ----------------------------------------------------------- the corpus, in Python


@dataclass
class Inner:
    __gob_name__: ClassVar[str] = "main.Inner"
    S: str = ""
    N: int = 0


@dataclass
class All:
    __gob_name__: ClassVar[str] = "main.All"
    B: bool = False
    I: int = 0  # noqa: E741 (Go's field name)
    I8: Annotated[int, Int8] = 0
    I16: Annotated[int, Int16] = 0
    I32: Annotated[int, Int32] = 0
    I64: Annotated[int, Int64] = 0
    U: Annotated[int, Uint] = 0
    U8: Annotated[int, Uint8] = 0
    U16: Annotated[int, Uint16] = 0
    U32: Annotated[int, Uint32] = 0
    U64: Annotated[int, Uint64] = 0
    Uptr: Annotated[int, Uintptr] = 0
    F32: Annotated[float, Float32] = 0.0
    F64: float = 0.0
    C64: Annotated[complex, Complex64] = 0j
    C128: complex = 0j
    Str: str = ""
    Bytes: bytes = b""
    Ints: list[int] = field(default_factory=list)
    Strs: list[str] = field(default_factory=list)
    Arr: Annotated[list[int], ArrayOf(3)] = field(default_factory=lambda: [0, 0, 0])
    ByteArr: Annotated[bytes, ArrayOf(4)] = b"\0\0\0\0"
    M: dict[str, int] | None = None
    MI: dict[int, Inner] | None = None
    P: int | None = None
    PS: Inner | None = None
    In: Inner = field(default_factory=Inner)
    Ins: list[Inner] = field(default_factory=list)
    Nested: list[list[str]] = field(default_factory=list)
    Any: Any = None
    AnyNil: Any = None
    Big: Annotated[int | None, BigInt] = None
    Temp: Annotated[int, TEMP] = 0


@dataclass
class S:
    __gob_name__: ClassVar[str] = "main.S"
    V: Any = None
    Z: int = 0


@dataclass
class B:
    __gob_name__: ClassVar[str] = "main.B"
    X: Annotated[int | None, BigInt] = None
    Y: int = 0


@dataclass
class E:
    __gob_name__: ClassVar[str] = "main.E"
    M: dict[str, int] | None = None
    P: int | None = None
    S: list[int] = field(default_factory=list)


@dataclass
class Many:
    __gob_name__: ClassVar[str] = "main.Many"
    Vs: list[Any] = field(default_factory=list)


@dataclass
class Node:
    __gob_name__: ClassVar[str] = "main.Node"
    V: int = 0
    Next: Node | None = None


ALL = All(
    B=True, I=-1, I8=-128, I16=32767, I32=-(2**31), I64=-(2**63),
    U=1, U8=255, U16=256, U32=2**32 - 1, U64=2**64 - 1, Uptr=12345,
    F32=1.5, F64=-17.25, C64=complex(1, -2), C128=complex(0.5, 1e300),
    Str="héllo, 世界", Bytes=b"\x00\x01\xff", Ints=[1, -2, 3], Strs=["a", "", "bc"],
    Arr=[0, 5, 0], ByteArr=b"\x01\x02\x03\x04",
    M={"one": 1}, MI={-3: Inner("x", 9)},
    P=7, PS=Inner("p", 0), In=Inner("in", -1),
    Ins=[Inner("a", 1), Inner(), Inner("c", 3)], Nested=[["a"], [], ["b", "c"]],
    Any=Point(3, 4), Big=-(1 << 62), Temp=0x1234,
)  # fmt: skip

# name -> [(Go type as annotation, Python value), ...] (several: one Encoder, in order)
CASES: dict[str, list[tuple[Any, Any]]] = {
    "int7": [(int, 7)],
    "int_neg": [(int, -129)],
    "int64_min": [(Annotated[int, Int64], -(2**63))],
    "int8": [(Annotated[int, Int8], -128)],
    "uint_max": [(Annotated[int, Uint64], 2**64 - 1)],
    "uint16": [(Annotated[int, Uint16], 256)],
    "bool": [(bool, True)],
    "float": [(float, 17.0)],
    "float32": [(Annotated[float, Float32], 1.5)],
    "complex": [(complex, complex(1, 2))],
    "complex64": [(Annotated[complex, Complex64], complex(-0.5, 4))],
    "string": [(str, "héllo")],
    "bytes": [(bytes, b"\x00\x01\xff")],
    "strings": [(list[str], ["a", "bc"])],
    "array": [(Annotated[list[int], ArrayOf(2)], [0, 5])],
    "map": [(dict[str, int], {"a": 1})],
    "map_multi": [(dict[int, str], {1: "a", 2: "b", 3: "c"})],
    "T": [(T, T(7, "hi"))],
    "Point": [(Point, Point(22, 33))],
    "Person": [(Person, SAMPLE_PERSON)],
    "big": [(BigInt, 1000)],
    "big_neg": [(BigInt, -123456789012345678901234567890)],
    "big_zero": [(BigInt, 0)],
    "big_field_zero": [(B, B(0, 1))],
    "big_field_nil": [(B, B(None, 1))],
    "empty_map": [(E, E({}, None, []))],
    "all": [(All, ALL)],
    "all_zero": [(All, All())],
    "iface": [(S, S(Point(1, 2), 5))],
    "iface_int": [(S, S(7, 5))],
    "iface_nil": [(S, S(None, 5))],
    "ifaces": [(Many, Many([1, "x", Point(3, 4), None, ["s"], 2.5, Point(5, 6)]))],
    "node": [(Node, Node(1, Node(2, Node(3))))],
    "map_struct_key": [(dict[Point, str], {Point(1, 2): "a"})],
    "array_structs": [(Annotated[list[Point], ArrayOf(2)], [Point(1, 2), Point()])],
    "iface_bytes": [(S, S(b"\x01\x02", 0))],
    "iface_map": [(S, S({"a": 1}, 0))],
    "iface_big": [(S, S(GoValue(BigInt, -5), 0))],
    "iface_int8": [(S, S(GoValue(Int8, -5), 0))],
    "iface_nested": [(S, S(Many([Point(1, 2), S([1], 3), S(Point(5, 6), 0)]), 4))],
    "stream": [
        (T, T(1, "a")),
        (T, T()),
        (S, S(Point(1, 2), 0)),
        (S, S(Point(3, 4), 1)),
        (int, 42),
    ],
}

# Go writes maps in random order: compare values, not bytes.
RANDOM_ORDER = {"map_multi"}
# Interface values whose types are defined inline: byte-identical only with
# Encoder(inline_definitions=True) (by default we send the definitions first).
INLINE = {"all", "iface", "ifaces", "iface_big", "iface_map", "iface_nested", "stream"}

# The names interface values carry, as main.go registers them.
REGISTRY = Registry()
REGISTRY.register("main.Point", Point)
REGISTRY.register("main.S", S)
REGISTRY.register("main.Many", Many)
REGISTRY.register("map[string]int", dict[str, int])
REGISTRY.register("*big.Int", BigInt)


# -------------------------------------------------------------------- the Go side


def build_gobcorpus() -> Path:
    """Build gobcorpus once per version of its source and of Go; return the binary."""
    try:
        return build_go_program(SOURCE)
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)


@pytest.fixture(scope="module")
def gobcorpus() -> Iterator[Path]:
    yield build_gobcorpus()


def run(binary: Path, *args: str, stdin: str = "") -> str:
    proc = subprocess.run(
        [str(binary), *args], input=stdin, capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout.strip()


def python_encoding(name: str, *, inline: bool = False) -> bytes:
    enc = Encoder(inline_definitions=inline, registry=REGISTRY)
    return b"".join(enc.encode(value, tp) for tp, value in CASES[name])


def decode_case(name: str, data: bytes, chunks: list[bytes]) -> list[Any]:
    dec = Decoder(registry=REGISTRY)
    out = []
    targets: Iterator[Any] = iter([tp for tp, _ in CASES[name]])
    for chunk in chunks:
        dec.receive_data(chunk)
        while True:
            tp = next(targets, None)
            value = dec.next_value(tp)
            if value is NEED_DATA:
                targets = iter([tp, *targets])
                break
            out.append(value)
    dec.end_of_data()
    return out


def three_ways(data: bytes, seed: str) -> list[list[bytes]]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 6)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return [[data], [data[i : i + 1] for i in range(len(data))], pieces]


# ------------------------------------------------------------------------- tests


def test_the_corpus_is_the_same_on_both_sides(gobcorpus: Path) -> None:
    assert sorted(run(gobcorpus, "list").split()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_go_to_python(gobcorpus: Path, name: str) -> None:
    data = bytes.fromhex(run(gobcorpus, "encode", name))
    expected = [value for _, value in CASES[name]]
    for chunks in three_ways(data, name):
        assert decode_case(name, data, chunks) == expected
    if name not in RANDOM_ORDER:
        assert python_encoding(name, inline=True) == data
        if name not in INLINE:
            assert python_encoding(name) == data


@pytest.mark.parametrize("inline", [False, True], ids=["definitions-first", "inline"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_python_to_go(gobcorpus: Path, name: str, inline: bool) -> None:
    verdict = run(gobcorpus, "decode", name, stdin=python_encoding(name, inline=inline).hex())
    assert verdict.startswith("OK "), verdict
    again = bytes.fromhex(verdict[3:])
    assert decode_case(name, again, [again]) == [value for _, value in CASES[name]]


# ------------------------------------------------------------ differential fuzzing

# Parts of Go's messages that name types from the decoding process's own type table
# (gob's ids are process-global), so they depend on what that process did before.
_PROCESS_DEPENDENT = re.compile(r"(received remote type|undefined type) .*")


def _normalize(text: str) -> str:
    return _PROCESS_DEPENDENT.sub(r"\1 ...", text)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        special = rng.choice([0, 1, 2, 0x7F, 0x80, 0xF8, 0xFE, 0xFF, rng.randrange(256)])
        if op < 0.25 and buf:
            del buf[rng.randrange(len(buf))]
        elif op < 0.5:
            buf.insert(rng.randrange(len(buf) + 1), special)
        elif op < 0.6 and buf:
            del buf[rng.randrange(len(buf)) :]
        elif buf:
            buf[rng.randrange(len(buf))] = special
    return bytes(buf)


def _messages(data: bytes) -> list[bytes]:
    """A valid stream cut into its length-prefixed messages."""
    out, pos = [], 0
    while pos < len(data):
        count = data[pos]
        width = 1 if count < 0x80 else 257 - count
        size = count if count < 0x80 else int.from_bytes(data[pos + 1 : pos + width], "big")
        out.append(data[pos : pos + width + size])
        pos += width + size
    return out


def _random_value(rng: random.Random, data: bytes) -> bytes:
    """The stream's definitions, then its last message's type id and random bytes."""
    *defs, last = _messages(data)
    type_id = last[1:3] if last[1] >= 0x80 else last[1:2]
    specials = [0, 1, 2, 3, 4, 0x7F, 0x80, 0xF8, 0xFE, 0xFF]
    body = type_id + bytes(
        rng.choice([*specials, rng.randrange(256)]) for _ in range(rng.randrange(1, 30))
    )
    return b"".join(defs) + bytes([len(body)]) + body


def _ours(name: str, data: bytes) -> tuple[list[Any], str]:
    """Values of the case's first type until the input ends, then "EOF" or the error."""
    dec = Decoder(CASES[name][0][0], registry=REGISTRY)
    dec.receive_data(data)
    values: list[Any] = []
    try:
        while (value := dec.next_value()) is not NEED_DATA:
            values.append(value)
        dec.end_of_data()
    except RemoteProtocolError as exc:
        return values, "ERR " + _normalize(str(exc))
    return values, "EOF"


def _theirs(line: str) -> tuple[list[bytes], str]:
    tokens = line.split(" ")
    values = []
    while tokens[0] == "V":
        values.append(bytes.fromhex(tokens[1]))
        tokens = tokens[2:]
    if tokens[0] == "ERR":
        text = bytes.fromhex(tokens[1]).decode("utf-8", "surrogateescape")
        return values, "ERR " + _normalize(text)
    return values, " ".join(tokens)


def _same_value(name: str, ours: Any, go_again: bytes) -> bool:
    """Our value against Go's re-encoding of its own: each through one gob round trip
    (which loses what gob cannot carry, such as a pointer to 0), then compared."""
    tp = CASES[name][0][0]
    dec = Decoder(tp, registry=REGISTRY)
    dec.receive_data(Encoder(registry=REGISTRY).encode(ours, tp))
    a = dec.next_value()
    dec = Decoder(tp, registry=REGISTRY)
    dec.receive_data(go_again)
    b = dec.next_value()
    return bool(a == b) or repr(a) == repr(b)  # NaN != NaN


def test_differential_fuzz_against_go(gobcorpus: Path) -> None:
    """Mutated and random streams: Go and we agree on every value and every error text."""
    rng = random.Random(20261126)
    seeds = []
    for name in sorted(CASES):
        seeds.append((name, python_encoding(name)))
        seeds.append((name, python_encoding(name, inline=True)))
        seeds.append((name, bytes.fromhex(run(gobcorpus, "encode", name))))
    inputs = [(name, _mutate(rng, data)) for name, data in (rng.choice(seeds) for _ in range(3000))]
    inputs += [(name, _random_value(rng, data)) for name, data in rng.choices(seeds, k=2000)]
    inputs += [(name, rng.randbytes(rng.randrange(1, 40))) for name, _ in rng.choices(seeds, k=500)]
    # One case's bytes decoded as another case's type.
    inputs += [(rng.choice(sorted(CASES)), data) for _, data in rng.choices(seeds, k=1000)]
    lines = run(gobcorpus, "check", stdin="".join(f"{n} {d.hex()}\n" for n, d in inputs))
    disagreements = []
    for (name, data), line in zip(inputs, lines.splitlines(), strict=True):
        go_values, go_end = _theirs(line)
        values, end = _ours(name, data)
        if go_end == "EOF" and end == "ERR EOF":
            # A zero-length message: Go's Decode returns io.EOF (and would go on
            # reading after it); we call it an error.
            go_end = end
        same = len(values) == len(go_values) and end == go_end
        for value, again in zip(values, go_values, strict=False):
            same = same and _same_value(name, value, again)
        if not same:
            disagreements.append(f"{name} {data.hex()}: Go {go_end!r}, we {end!r}")
    assert not disagreements, "\n".join(disagreements[:10])

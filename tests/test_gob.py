"""encoding/gob: primitives, Go's worked examples byte for byte, the decoder, bad input.

Every hex string here is Go 1.19 output (a fresh process, so ids start at 65) or
was checked against a Go 1.19 decoder, error texts included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, make_dataclass
from typing import Annotated, Any, ClassVar

import pytest
from gobtypes import TEMP

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
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
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
    WireType,
    go_type,
    register,
)
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person, Point, T
from reference_impls.gob.primitives import (
    decode_int,
    decode_uint,
    encode_bool,
    encode_bytes,
    encode_complex,
    encode_float,
    encode_int,
    encode_string,
    encode_uint,
)
from reference_impls.gob.wire import decode_wire_type, encode_wire_type

register("main.Point", Point)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def msg(body: bytes) -> bytes:
    return encode_uint(len(body)) + body


def defs_of(value: Any, tp: Any = None) -> bytes:
    """The definition messages a fresh Encoder sends before ``value``."""
    enc = Encoder()
    first = enc.encode(value, tp)
    return first[: len(first) - len(enc.encode(value, tp))]


# --------------------------------------------------------------------------- models


@dataclass
class S:
    """``struct { V interface{}; Z int }``"""

    __gob_name__: ClassVar[str] = "main.S"
    V: Any = None
    Z: int = 0


@dataclass
class Many:
    __gob_name__: ClassVar[str] = "main.Many"
    Vs: list[Any] = field(default_factory=list)


@dataclass
class I8:
    __gob_name__: ClassVar[str] = "main.I8"
    A: Annotated[int, Int8] = 0


@dataclass
class F32:
    __gob_name__: ClassVar[str] = "main.F32"
    F: Annotated[float, Float32] = 0.0


@dataclass
class B:
    """``struct { X *big.Int; Y int }``"""

    __gob_name__: ClassVar[str] = "main.B"
    X: Annotated[int | None, BigInt] = None
    Y: int = 0


@dataclass
class Node:
    __gob_name__: ClassVar[str] = "main.Node"
    V: int = 0
    Next: Node | None = None


@dataclass
class Wide:
    """T with more fields than the sender's: matched by name, the rest zero."""

    __gob_name__: ClassVar[str] = "main.T"
    B: str = "default is not used"
    C: list[int] = field(default_factory=lambda: [9])
    A: int = -1


@dataclass
class Reading:
    """A BinaryMarshaler field (Go: ``Temp Temp`` with MarshalBinary on the value)."""

    __gob_name__: ClassVar[str] = "main.Reading"
    Temp: Annotated[int, TEMP] = 0


@dataclass
class OnlyB:
    __gob_name__: ClassVar[str] = "main.T"
    B: str = ""


@dataclass
class Hidden:
    __gob_name__: ClassVar[str] = "main.Hidden"
    A: int = 0
    lower: int = 5
    Renamed: int = field(default=0, metadata={"gob": "R"})
    Skipped: int = field(default=3, metadata={"gob": "-"})


ARRAY3 = Annotated[list[int], ArrayOf(3)]

# The doc's T definition, as Go's fresh process sends it (worked example (b)).
T_DEF = h("1b ff 81 03 01 01 01 54 01 ff 82 00 01 02 01 01 41 01 04 00 01 01 42 01 0c 00 00 00")

# The book's Person from a fresh Go 1.19 process (§6): definitions Person(65),
# Name(66), []main.Email(68), Email(67), then the 0x52-byte value message.
PERSON_GO = h(
    "29ff8103010106506572736f6e01ff8200010201044e616d6501ff84000105456d61696c01ff880000002aff"
    "83030101044e616d6501ff84000102010646616d696c79010c000108506572736f6e616c010c0000001bff87"
    "0201010c5b5d6d61696e2e456d61696c01ff880001ff86000028ff8503010105456d61696c01ff8600010201"
    "044b696e64010c00010741646472657373010c00000052ff820101084e65776d6172636801034a616e000102"
    "0104686f6d6501116a616e406e65776d617263682e6e616d65000104776f726b01196a2e6e65776d61726368"
    "40626f7868696c6c2e6564752e61750000"
)

# S{V: Point{1, 2}, Z: 5} from Go: the Point definition is inline, after the name, and
# the outer message is cut there; the value goes on in the next message.
IFACE_GO = h(
    "1bff81030101015301ff8200010201015601100001015a010400000"
    "02dff82010a6d61696e2e506f696e74ff8303010105506f696e7401ff84000102010158010400010159"
    "0104000000"
    "0bff84050102010400010a00"
)

# Many{[1, "x", Point{3,4}, nil, []string{"s"}, 2.5, Point{5,6}]} from Go.
IFACES_GO = h(
    "1aff81030101044d616e7901ff820001010102567301ff840000001cff830201010e5b5d696e7465726661"
    "6365207b7d01ff84000110000042ff82010703696e740402000206737472696e670c030001780a6d61696e"
    "2e506f696e74ff8503010105506f696e7401ff8600010201015801040001015901040000001eff86050106"
    "01080000085b5d737472696e67ff87020102ff8800010c000029ff88040001017307666c6f617436340804"
    "00fe04400a6d61696e2e506f696e74ff8605010a010c0000"
)
IFACES_VALUE = Many([1, "x", Point(3, 4), None, ["s"], 2.5, Point(5, 6)])


# ------------------------------------------------------------------------ primitives

UINTS = [
    (0, "00"),
    (7, "07"),
    (127, "7f"),
    (128, "ff 80"),
    (255, "ff ff"),
    (256, "fe 01 00"),
    (65535, "fe ff ff"),
    (1 << 24, "fc 01 00 00 00"),
    (2**64 - 1, "f8 ff ff ff ff ff ff ff ff"),
]

INTS = [
    (0, "00"),
    (3, "06"),
    (7, "0e"),
    (-1, "01"),
    (-2, "03"),
    (63, "7e"),
    (64, "ff 80"),
    (-64, "7f"),
    (-65, "ff 81"),
    (-129, "fe 01 01"),
    (-128, "ff ff"),
    (2**63 - 1, "f8 ff ff ff ff ff ff ff fe"),
    (-(2**63), "f8 ff ff ff ff ff ff ff ff"),
]

FLOATS = [
    (0.0, "00"),
    (2.0, "40"),
    (17.0, "fe 31 40"),
    (1.5, "fe f8 3f"),
    (-17.25, "fd 40 31 c0"),
    (float("inf"), "fe f0 7f"),
    (5e-324, "f8 01 00 00 00 00 00 00 00"),
]


@pytest.mark.parametrize(("value", "wire"), UINTS)
def test_uint(value: int, wire: str) -> None:
    assert encode_uint(value) == h(wire)
    assert decode_uint(h(wire)) == (value, len(h(wire)))


@pytest.mark.parametrize(("value", "wire"), INTS)
def test_int(value: int, wire: str) -> None:
    assert encode_int(value) == h(wire)
    assert decode_int(h(wire)) == (value, len(h(wire)))


@pytest.mark.parametrize(("value", "wire"), FLOATS)
def test_float(value: float, wire: str) -> None:
    assert encode_float(value) == h(wire)
    dec = Decoder(float)
    dec.receive_data(msg(b"\x08\x00" + h(wire)))
    assert dec.next_value() == value


def test_float32_is_widened_and_complex_is_two_floats() -> None:
    assert encode_float(1.5, float32=True) == h("fe f8 3f")
    assert encode_float(0.1, float32=True) == encode_float(0.10000000149011612)
    assert encode_complex(complex(1, 2)) == h("fe f0 3f 40")
    assert encode_bool(True) == b"\x01"
    assert encode_bool(False) == b"\x00"
    assert encode_string("hé") == h("03 68 c3 a9")
    assert encode_bytes(b"\x00\xff") == h("02 00 ff")


def test_uint_count_byte_over_8_is_out_of_range() -> None:
    with pytest.raises(RemoteProtocolError, match=r"^gob: encoded unsigned integer out of range$"):
        decode_uint(h("f7 01 02 03 04 05 06 07 08 09"))


def test_uint_short_of_its_bytes() -> None:
    with pytest.raises(RemoteProtocolError, match="invalid uint data length 2: exceeds input"):
        decode_uint(h("fe 01"))


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_uint_range_is_the_callers_business(bad: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_uint(bad)


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1])
def test_int_range(bad: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_int(bad)


# -------------------------------------------------------------------- worked examples


def test_example_a_singleton_int() -> None:
    assert Encoder().encode(7) == h("03 04 00 0e")
    assert Encoder().encode(3) == h("03 04 00 06")
    assert decode_all(h("03 04 00 0e 03 04 00 06"), int) == [7, 3]


def test_example_b_struct_then_zero_fields_left_out() -> None:
    enc = Encoder()
    assert enc.encode(T(7, "hi")) == T_DEF + h("09 ff 82 01 0e 01 02 68 69 00")
    assert enc.encode(T(0, "x")) == h("06 ff 82 02 01 78 00")
    assert enc.encode(T()) == h("03 ff 82 00")
    data = T_DEF + h("09 ff 82 01 0e 01 02 68 69 00  06 ff 82 02 01 78 00  03 ff 82 00")
    assert decode_all(data, T) == [T(7, "hi"), T(0, "x"), T()]


def test_example_c_top_level_slice_has_no_name() -> None:
    out = Encoder().encode(["a", "bc"], list[str])
    assert out == h("0c ff 81 02 01 02 ff 82 00 01 0c 00 00  09 ff 82 00 02 01 61 02 62 63")
    assert decode_all(out, list[str]) == decode_all(out) == [["a", "bc"]]
    assert Encoder().encode(["a", "bc"]) == out  # a list of str is a []string


def test_example_d_doc_point() -> None:
    enc = Encoder()
    first = h(
        "1f ff 81 03 01 01 05 50 6f 69 6e 74 01 ff 82 00 01 02 01 01 58 01 04 00 01 01 59 01"
        "04 00 00 00 07 ff 82 01 2c 01 42 00"
    )
    assert enc.encode(Point(22, 33)) == first
    assert enc.encode(Point(22, 33)) == h("07 ff 82 01 2c 01 42 00")
    assert decode_all(first + h("07 ff 82 01 2c 01 42 00"), Point) == [Point(22, 33)] * 2


def test_book_person_is_byte_identical_to_go() -> None:
    assert Encoder().encode(SAMPLE_PERSON) == PERSON_GO
    assert PERSON_GO[-0x53] == 0x52  # the value message


def test_map_and_array_dumps() -> None:
    assert Encoder().encode({"a": 1}, dict[str, int]) == h(
        "0e ff 81 04 01 02 ff 82 00 01 0c 01 04 00 00  07 ff 82 00 01 01 61 02"
    )
    array = Encoder().encode([0, 5], Annotated[list[int], ArrayOf(2)])
    assert array == h("0e ff 81 01 01 02 ff 82 00 01 04 01 04 00 00  06 ff 82 00 02 00 0a")
    assert decode_all(array) == [[0, 5]]
    assert decode_all(Encoder().encode({"a": 1}, dict[str, int]), dict[str, int]) == [{"a": 1}]


def test_interface_field_holding_int() -> None:
    out = Encoder().encode(S(7, 5))
    assert out.endswith(h("ff 82 01 03 69 6e 74 04 02 00 0e 01 0a 00"))
    assert decode_all(out, S) == [S(7, 5)]


def test_go_inline_layout_for_interface_values() -> None:
    assert Encoder(inline_definitions=True).encode(S(Point(1, 2), 5)) == IFACE_GO
    assert Encoder(inline_definitions=True).encode(IFACES_VALUE) == IFACES_GO
    # Already-described types are not described again, in either layout.
    for inline in (False, True):
        enc = Encoder(inline_definitions=inline)
        enc.encode(S(Point(1, 2), 5))
        assert enc.encode(S(Point(3, 4), 1)) == h(
            "19 ff 82 01 0a 6d 61 69 6e 2e 50 6f 69 6e 74 ff 84 05 01 06 01 08 00 01 02 00"
        )


def test_big_int_examples() -> None:
    enc = Encoder()
    assert enc.encode(1000, BigInt) == h(
        "0a ff 81 05 01 02 ff 84 00 00 00  07 ff 82 00 03 02 03 e8"
    )
    assert enc.encode(-5, BigInt) == h("06 ff 82 00 02 03 05")
    assert enc.encode(0, BigInt) == h("05 ff 82 00 01 02")
    stream = h("0a ff 81 05 01 02 ff 84 00 00 00  07 ff 82 00 03 02 03 e8")
    assert decode_all(stream + h("06 ff 82 00 02 03 05  05 ff 82 00 01 02"), BigInt) == [
        1000,
        -5,
        0,
    ]
    # The doc's process had used ids up to 73: definition 74, inner CommonType.Id 75.
    assert Encoder(first_id=74).encode(1000, BigInt)[:11] == h("0a ff 93 05 01 02 ff 96 00 00 00")


def test_big_int_field_allocates_the_inner_id_when_sent() -> None:
    # Go: B{big.NewInt(7), 1} in a fresh process.
    go = h(
        "1c ff 81 03 01 01 01 42 01 ff 82 00 01 02 01 01 58 01 ff 84 00 01 01 59 01 04 00 00 00"
        "0a ff 83 05 01 02 ff 86 00 00 00  09 ff 82 01 02 02 07 01 02 00"
    )
    assert Encoder().encode(B(7, 1)) == go
    assert decode_all(go, B) == [B(7, 1)]
    # Go: nil is left out, a non-nil zero is sent (B{big.NewInt(0), 1}).
    assert Encoder().encode(B(None, 1)).endswith(h("05 ff 82 02 02 00"))
    assert Encoder().encode(B(0, 1)).endswith(h("08 ff 82 01 01 02 01 02 00"))
    assert decode_all(Encoder().encode(B(None, 1)), B) == [B(None, 1)]


def test_struct_used_first_inside_a_map_gets_no_name() -> None:
    @dataclass
    class Holder:
        M: dict[int, Point]
        P: Point

    enc = Encoder()
    data = enc.encode(Holder({1: Point()}, Point()))
    assert enc.sent_types == {"main.Holder": 65, "map[int]main.Point": 67, "main.Point": 66}
    dec = Decoder(Holder)
    dec.receive_data(data)
    assert dec.next_value() == Holder({1: Point()}, Point())
    assert dec.wire_types[66] == WireType("struct", "", 66, fields=(("X", 2), ("Y", 2)))


# ------------------------------------------------------------------ decoding helpers


def chunkings(data: bytes, seed: int = 0) -> list[tuple[str, list[bytes]]]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 7))) if len(data) > 1 else []
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return [
        ("whole", [data]),
        ("bytewise", [data[i : i + 1] for i in range(len(data))]),
        ("random", pieces),
    ]


def decode_all(data: bytes, into: Any = None, *, how: str = "whole", **kw: Any) -> list[Any]:
    chunks = dict(chunkings(data))[how]
    dec = Decoder(into, **kw)
    out = []
    for chunk in chunks:
        dec.receive_data(chunk)
        while (value := dec.next_value()) is not NEED_DATA:
            out.append(value)
    dec.end_of_data()
    assert dec.buffered == 0
    return out


HOW = ["whole", "bytewise", "random"]

DECODE_CASES: list[tuple[str, bytes, Any, list[Any]]] = [
    ("int", h("03 04 00 0e"), int, [7]),
    ("T", T_DEF + h("09 ff 82 01 0e 01 02 68 69 00 06 ff 82 02 01 78 00 03 ff 82 00"), T,
     [T(7, "hi"), T(0, "x"), T()]),
    ("Person", PERSON_GO, Person, [SAMPLE_PERSON]),
    ("Person twice", Encoder().encode(SAMPLE_PERSON) * 1 + Encoder().encode(SAMPLE_PERSON)[-0x53:],
     Person, [SAMPLE_PERSON, SAMPLE_PERSON]),
    ("iface, Go's inline layout", IFACE_GO, S, [S(Point(1, 2), 5)]),
    ("ifaces, Go's inline layout", IFACES_GO, Many, [IFACES_VALUE]),
    ("iface, our layout", Encoder().encode(S(Point(1, 2), 5)), S, [S(Point(1, 2), 5)]),
    ("big", h("0a ff 81 05 01 02 ff 84 00 00 00 07 ff 82 00 03 02 03 e8 06 ff 82 00 02 03 05"),
     BigInt, [1000, -5]),
    ("missing terminator", T_DEF + h("04 ff 82 01 0e"), T, [T(7, "")]),
    ("rest of message dropped", T_DEF + h("07 ff 82 01 0e 00 99 98"), T, [T(7, "")]),
    ("by name, extra local fields zero", T_DEF + h("09 ff 82 01 0e 01 02 68 69 00"), Wide,
     [Wide("hi", [], 7)]),
    ("unknown wire field skipped", T_DEF + h("09 ff 82 01 0e 01 02 68 69 00"), OnlyB,
     [OnlyB("hi")]),
    ("generic", PERSON_GO, None, [{
        "Name": {"Family": "Newmarch", "Personal": "Jan"},
        "Email": [{"Kind": "home", "Address": "jan@newmarch.name"},
                  {"Kind": "work", "Address": "j.newmarch@boxhill.edu.au"}],
    }]),
    ("generic zero-filled", T_DEF + h("03 ff 82 00"), None, [{"A": 0, "B": ""}]),
    ("generic interface", IFACES_GO, None, [{"Vs": IFACES_VALUE.Vs}]),
]  # fmt: skip


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("data", "into", "expected"), [c[1:] for c in DECODE_CASES],
                         ids=[c[0] for c in DECODE_CASES])  # fmt: skip
def test_decode(data: bytes, into: Any, expected: list[Any], how: str) -> None:
    assert decode_all(data, into, how=how) == expected


def test_next_value_target_override_and_wire_types() -> None:
    dec = Decoder()
    dec.receive_data(T_DEF + h("09 ff 82 01 0e 01 02 68 69 00 03 04 00 0e"))
    assert dec.next_value(T) == T(7, "hi")
    assert dec.next_value(Annotated[int, Int8]) == 7
    assert dec.next_value() is NEED_DATA
    assert dec.wire_types == {
        65: WireType("struct", "T", 65, fields=(("A", 2), ("B", 6))),
    }


def test_interface_split_waits_for_the_next_message() -> None:
    dec = Decoder(S)
    cut = IFACE_GO.index(h("0b ff 84"))
    dec.receive_data(IFACE_GO[:cut])
    assert dec.next_value() is NEED_DATA
    assert 66 not in dec.wire_types  # the inline definition was not kept half-done
    dec.receive_data(IFACE_GO[cut:])
    assert dec.next_value() == S(Point(1, 2), 5)
    assert set(dec.wire_types) == {65, 66}


def test_recursive_type_round_trip() -> None:
    value = Node(1, Node(2, Node(3)))
    data = Encoder().encode(value)
    assert decode_all(data, Node) == [value]
    # The wire does not say Next is a pointer: generically, a missing struct field is a
    # zero struct (whose own recursive field is then None).
    last = {"V": 3, "Next": {"V": 0, "Next": None}}
    assert decode_all(data) == [{"V": 1, "Next": {"V": 2, "Next": last}}]


def test_unexported_renamed_and_skipped_fields() -> None:
    data = Encoder().encode(Hidden(1, 2, 3, 4))
    dec = Decoder()
    dec.receive_data(data)
    assert dec.next_value() == {"A": 1, "R": 3}
    assert decode_all(data, Hidden) == [Hidden(1, 5, 3, 3)]


def test_every_scalar_kind_round_trips() -> None:
    @dataclass
    class Kinds:
        I8: Annotated[int, Int8] = -128
        I16: Annotated[int, Int16] = 32767
        I32: Annotated[int, Int32] = -(2**31)
        I64: Annotated[int, Int64] = 2**63 - 1
        U8: Annotated[int, Uint8] = 255
        U16: Annotated[int, Uint16] = 65535
        U32: Annotated[int, Uint32] = 2**32 - 1
        U64: Annotated[int, Uint64] = 2**64 - 1
        Up: Annotated[int, Uintptr] = 1
        F: Annotated[float, Float32] = 0.5
        C: Annotated[complex, Complex64] = complex(0.25, -2)
        Arr: Annotated[bytes, ArrayOf(3)] = b"abc"
        M: dict[str, list[int]] = field(default_factory=lambda: {"x": [1, 2]})
        P: int | None = 0
        Q: Point | None = None

    value = Kinds()
    assert decode_all(Encoder().encode(value), Kinds) == [Kinds(P=None)]  # *int to 0: left out


def test_gob_encoded_binary_marshaler_round_trip() -> None:
    data = Encoder().encode(Reading(0x1234))
    assert h("ff 83 06 01 01 04 54 65 6d 70 01 ff 84 00 00 00") in data
    assert decode_all(data, Reading) == [Reading(0x1234)]
    assert decode_all(Encoder().encode(Reading(0)), Reading) == [Reading(0)]


def test_interface_values_need_registration() -> None:
    @dataclass
    class Unregistered:
        A: int = 0

    with pytest.raises(LocalProtocolError, match="type not registered for interface"):
        Encoder().encode(S(Unregistered(1)))
    registry = Registry()
    registry.register("x.U", Unregistered)
    data = Encoder(registry=registry).encode(S(Unregistered(1)))
    assert decode_all(data, S, registry=registry) == [S(Unregistered(1))]
    # A concrete type the Python value alone does not tell comes back in a GoValue.
    assert decode_all(Encoder().encode(S(GoValue(Int8, 5))), S) == [S(GoValue(Int8, 5))]
    assert decode_all(Encoder().encode(S(GoValue(list[int], []))), S) == [S(GoValue(list[int], []))]


def test_encoder_misuse_is_local_and_leaves_the_stream_usable() -> None:
    enc = Encoder()
    with pytest.raises(LocalProtocolError, match="out of range"):
        enc.encode(I8(300))
    with pytest.raises(LocalProtocolError, match="cannot encode nil value"):
        enc.encode(None, Point | None)
    with pytest.raises(LocalProtocolError, match="needs 2 elements"):
        enc.encode([1], Annotated[list[int], ArrayOf(2)])
    with pytest.raises(LocalProtocolError):
        enc.encode(Person(Name(), [Email("a"), "not an email"]))  # type: ignore[list-item]
    with pytest.raises(LocalProtocolError):
        enc.encode([1, "a"])  # no one Go type for a mixed list
    # Nothing half-sent: the next value gets its definition with the first id.
    assert enc.encode(Point(22, 33))[:3] == h("1f ff 81")
    assert enc.encode(I8(-1)) == h("16 ff 83 03 01 01 02 49 38 01 ff 84 00 01 01 01 01 41 01"
                                   "04 00 00 00 05 ff 84 01 01 00")  # fmt: skip


def test_struct_without_exported_fields_is_refused_like_go() -> None:
    @dataclass
    class Private:
        a: int = 0

    @dataclass
    class Empty:
        pass

    with pytest.raises(LocalProtocolError, match=r"^gob: type main\.Private has no exported"):
        Encoder().encode(Private())
    # Go: Encode(Empty{}) in a fresh process.
    go = h("11 ff 81 03 01 01 05 45 6d 70 74 79 01 ff 82 00 00 00  03 ff 82 00")
    assert Encoder().encode(Empty()) == go
    assert decode_all(go, Empty) == [Empty()]


def test_go_type_resolution() -> None:
    assert go_type(list[Email]).go_string == "[]main.Email"
    assert go_type(dict[str, Person | None]).go_string == "map[string]*main.Person"
    assert go_type(Annotated[list[int], ArrayOf(3)]).go_string == "[3]int"
    assert go_type(list[Annotated[int, Uint8]]).go_string == "[]uint8"
    assert go_type(Any).go_string == "interface {}"
    with pytest.raises(TypeError):
        go_type(int | str)


def test_wire_type_round_trip() -> None:
    from reference_impls.gob.primitives import Reader

    for wt in [
        WireType("struct", "T", 65, fields=(("A", 2), ("B", 6))),
        WireType("slice", "", 66, elem=6),
        WireType("array", "[3]int", 67, elem=2, length=3),
        WireType("map", "", 68, key=6, elem=2),
        WireType("gob", "", 69),
        WireType("struct", "Empty", 70),
    ]:
        assert decode_wire_type(Reader(encode_wire_type(wt))) == wt


# ---------------------------------------------------------------------- bad input

BAD_CASES: list[tuple[str, bytes, Any, str]] = [
    ("duplicate type", T_DEF + T_DEF, T, "gob: duplicate type received"),
    ("id below 64", msg(h("ff 7d") + T_DEF[3:]), T, "gob: duplicate type received"),
    ("string past message", T_DEF + msg(h("ff 82 02 05 68")), T, "gob: bad string slice length: 0"),
    ("bytes past message", h("05 0a 00 05 61 62"), bytes, r"gob: bad \[\]uint8 slice length: 0"),
    ("field out of bounds", T_DEF + msg(h("ff 82 03 0e 00")), T,
     "gob: bad data: field numbers out of bounds"),
    ("negative delta", T_DEF + msg(h("ff 82 f8 ff ff ff ff ff ff ff ff 00")), T,
     "gob: decode: corrupted data: negative delta"),
    ("oversize message (Go's 8 GiB)", h("f9 01 00 00 00 00 00 00 04 00 0e"), int,
     "^invalid message length$"),
    ("non-struct for struct", h("03 0c 00 00"), T,
     r"gob: type mismatch in decoder: want struct type main\.T; got non-struct"),
    ("singleton type mismatch", h("03 0c 00 00"), int,
     r"gob: decoding into local type \*int, received remote type string"),
    ("no fields matched", T_DEF + msg(h("ff 82 00")), Person,
     "gob: type mismatch: no fields matched compiling decoder for Person"),
    ("wrong field type", Encoder().encode(OnlyB("x")).replace(b"\x01\x0c", b"\x01\x04"), OnlyB,
     r"gob: wrong type \(string\) for received field T\.B"),
    ("non-zero singleton delta", h("03 04 01 0e"), int,
     "gob: decode: corrupted data: non-zero delta for singleton"),
    ("extra data after a definition", msg(T_DEF[1:] + b"\x00"), T, "^extra data in buffer$"),
    ("uint count byte", h("03 04 00 f7"), int, "gob: encoded unsigned integer out of range"),
    ("value cut short", T_DEF + msg(h("ff 82 01")), T, "^EOF$"),
    ("int8 overflow in a field", defs_of(I8()) + msg(h("ff 82 01 fe 02 58 00")), I8,
     'value for "A" out of range'),
    ("int8 overflow at top level", h("05 04 00 fe 02 58"), Annotated[int, Int8],
     r'value for "\*int8" out of range'),
    ("float32 overflow", defs_of(F32()) + msg(h("ff 82 01 f8 9c 75 00 88 3c e4 37 7e 00")), F32,
     'value for "F" out of range'),
    ("unregistered interface name", Encoder().encode(S(7, 5)).replace(b"\x03int", b"\x03inx"), S,
     'gob: name not registered for interface: "inx"'),
    ("interface name past message", defs_of(S()) + msg(h("ff 82 01 09 69")), S,
     "gob: invalid type name length 9: exceeds input size"),
    ("big.Int version", Encoder().encode(B(7, 1)).replace(h("02 02 07"), h("02 04 07")), B,
     "Int.GobDecode: encoding version 2 not supported"),
    ("slice count past data", defs_of([1], list[int]) + msg(h("ff 82 00 05 02")), list[int],
     r"gob: decoding int array or slice: length exceeds input size \(5 elements\)"),
    ("slice count too big", defs_of(Many()) + msg(h("ff 82 01 f8 7f") + b"\xff" * 7 + b"\0"), Many,
     r"^gob: interface \{\} slice too big: 9223372036854775807 elements of 16 bytes$"),
    ("array count mismatch", defs_of([1, 2, 3], ARRAY3) + msg(h("ff 82 00 02 02 04")), ARRAY3,
     "gob: length mismatch in decodeArray"),
    ("array length mismatch", Encoder().encode([1, 2], Annotated[list[int], ArrayOf(2)]),
     Annotated[list[int], ArrayOf(3)], r"gob: decoding into local type \*\[3\]int"),
    ("undefined type id", msg(h("ff 90 00 0e")), int,
     r"gob: decoding into local type \*int, received remote type unknown type"),
    ("undefined struct id", msg(h("ff 90 00 0e")), T, "gob: unknown type id or corrupted data"),
    ("skipped field of a reserved id", h("1bff81030101015401ff820001020101410104000101430112000000")
     + h("05ff82010e00"), T, "^gob: bad data: undefined type _reserved1$"),
    ("empty message", h("00 03 04 00 0e"), int, "^EOF$"),
]  # fmt: skip


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("data", "into", "pattern"), [c[1:] for c in BAD_CASES],
                         ids=[c[0] for c in BAD_CASES])  # fmt: skip
def test_bad_input(data: bytes, into: Any, pattern: str, how: str) -> None:
    with pytest.raises(RemoteProtocolError, match=pattern):
        decode_all(data, into, how=how)


@pytest.mark.parametrize("how", HOW)
def test_max_message_size(how: str) -> None:
    assert decode_all(PERSON_GO, Person, how=how, max_message_size=0x52) == [SAMPLE_PERSON]
    with pytest.raises(RemoteProtocolError, match=r"^invalid message length$"):
        decode_all(PERSON_GO, Person, how=how, max_message_size=0x51)


def test_truncated_stream_is_unexpected_eof() -> None:
    dec = Decoder(T)
    dec.receive_data(T_DEF + h("09 ff 82 01 0e"))
    assert dec.next_value() is NEED_DATA
    with pytest.raises(RemoteProtocolError, match=r"^unexpected EOF$"):
        dec.end_of_data()


def test_errors_are_sticky() -> None:
    dec = Decoder(int)
    dec.receive_data(h("03 04 01 0e"))
    with pytest.raises(RemoteProtocolError) as first:
        dec.next_value()
    dec.receive_data(h("03 04 00 0e"))
    with pytest.raises(RemoteProtocolError) as again:
        dec.next_value()
    assert again.value is first.value


def test_deep_nesting_is_a_protocol_error() -> None:
    # A Node list 5000 deep: Go takes it; we refuse it, without a RecursionError.
    data = defs_of(Node(1)) + msg(h("ff 82") + h("01 02 01") * 5000)
    with pytest.raises(RemoteProtocolError, match="nested too deeply"):
        decode_all(data, Node)
    assert decode_all(defs_of(Node(1)) + msg(h("ff 82") + h("01 02 01") * 50), Node)


def test_docstring_example() -> None:
    import doctest

    import reference_impls.gob

    assert doctest.testmod(reference_impls.gob).failed == 0


def test_registry_and_encoder_misuse() -> None:
    registry = Registry()
    registry.register("main.Point", Point)
    registry.register("main.Point", Point)  # the same again is fine
    with pytest.raises(LocalProtocolError, match="duplicate types"):
        registry.register("main.Point", T)
    with pytest.raises(LocalProtocolError, match="duplicate names"):
        registry.register("main.P2", Point)
    assert registry.type_for("[]string") == go_type(list[str])
    assert registry.name_for(go_type(bytes)) == "[]uint8"
    with pytest.raises(LocalProtocolError):
        Encoder(first_id=64)


def test_error_offsets_count_from_the_start_of_the_stream() -> None:
    dec = Decoder(T)
    for i in range(3):
        dec.receive_data(T_DEF if i == 0 else b"")
        dec.receive_data(h("09 ff 82 01 0e 01 02 68 69 00"))
        assert dec.next_value() == T(7, "hi")
    bad = h("05 ff 82 03 0e 00")
    dec.receive_data(bad)
    with pytest.raises(RemoteProtocolError) as info:
        dec.next_value()
    assert info.value.offset == len(T_DEF) + 3 * 10 + 4  # just after the bad delta


# ----------------------------------------------------------- compiled codecs, fast paths


@dataclass
class Leaf:
    __gob_name__: ClassVar[str] = "main.Leaf"
    S: str = ""
    N: int = 0


@dataclass
class Mixed:
    """A field of every kind the compiled struct codecs treat on their own."""

    __gob_name__: ClassVar[str] = "main.Mixed"
    A: int = 0
    B: Annotated[int, Int8] = 0
    C: Annotated[int, Uint64] = 0
    D: bool = False
    E: str = ""
    F: list[str] = field(default_factory=list)
    G: Leaf = field(default_factory=Leaf)
    H: list[Leaf] = field(default_factory=list)
    Iface: Any = None
    J: dict[str, int] = field(default_factory=dict)
    K: float = 0.0
    L: Leaf | None = None
    M: bytes = b""
    N: Annotated[list[int], ArrayOf(2)] = field(default_factory=lambda: [0, 0])


@dataclass
class MixedFew:
    """Mixed as another program has it: fewer fields, in another order, one extra."""

    __gob_name__: ClassVar[str] = "main.Mixed"
    E: str = "not used"
    A: int = 5
    H: list[Leaf] = field(default_factory=list)
    Z: int = 3


def _mixed_values(rng: random.Random) -> list[Mixed]:
    return [
        Mixed(
            rng.choice([0, 1, -1, 63, 64, -65, 300, 2**40, -(2**63)]),
            rng.choice([0, 5, -128, 127]),
            rng.choice([0, 1, 127, 128, 2**64 - 1]),
            rng.random() < 0.5,
            "é" * rng.randrange(140),
            ["a", "", "bc" * rng.randrange(70)][: rng.randrange(4)],
            Leaf("in", rng.randrange(-200, 200)),
            [Leaf(str(i), i) for i in range(rng.randrange(4))],
            rng.choice([None, 5, "s", Point(1, 2), [1, 2]]),
            {"k": 1} if rng.random() < 0.5 else {},
            rng.choice([0.0, 1.5, -2.25e300]),
            rng.choice([None, Leaf("p", 2)]),
            bytes(rng.randrange(3)),
            [rng.randrange(-3, 3), 1],
        )
        for _ in range(6)
    ]


def _outcome(data: bytes, into: Any, chunks: list[bytes]) -> tuple[Any, ...]:
    dec = Decoder(into)
    out = []
    try:
        for chunk in chunks:
            dec.receive_data(chunk)
            while (value := dec.next_value()) is not NEED_DATA:
                out.append(value)
        dec.end_of_data()
    except RemoteProtocolError as exc:
        return ("error", out, str(exc), exc.offset)
    return ("ok", out)


def test_compiled_struct_codecs_agree_with_the_table_driven_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same bytes out, and the same values, errors and offsets in, for good and
    mutated streams, whole and split."""
    from reference_impls.gob import codec

    rng = random.Random(7)
    cases: list[tuple[bytes, list[bytes]]] = []
    for _ in range(6):
        enc = Encoder()
        stream = b"".join(enc.encode(v) for v in _mixed_values(rng))
        for m in range(12):
            data = bytearray(stream)
            for _ in range(rng.randrange(1, 4) if m else 0):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256) if m % 2 else (data[i] + rng.randrange(1, 4)) % 256
            cuts = sorted(rng.sample(range(1, len(data)), 5))
            pieces = [bytes(data[a:b]) for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
            cases.append((bytes(data), pieces))
    values = _mixed_values(random.Random(8))

    def run() -> list[Any]:
        enc = Encoder()
        results: list[Any] = [[enc.encode(v) for v in values]]
        for data, pieces in cases:
            for into in (Mixed, MixedFew, None):
                results.append(_outcome(data, into, [data]))
                results.append(_outcome(data, into, pieces))
        return results

    compiled = run()
    monkeypatch.setattr(codec, "_MAX_COMPILED_FIELDS", -1)
    monkeypatch.setattr(codec, "_SHARED", {})
    monkeypatch.setattr(codec, "_enc_cache", {})
    table_driven = run()
    assert compiled == table_driven
    assert sum(r[0] == "error" for r in compiled[1:]) > 50  # the mutations did bite


def test_wide_struct_keeps_the_table_driven_codecs() -> None:
    wide = make_dataclass("Wide60", [(f"F{i}", int, field(default=0)) for i in range(60)])
    value = wide(**{f"F{i}": i * 1000 for i in range(60)})
    assert decode_all(Encoder().encode(value), wide) == [value]


def test_next_value_fast_path_framing() -> None:
    """Messages of one-byte, 0xFF-prefixed and longer lengths, two types in turn,
    a target changed in the middle, and the size limit still checked."""
    values = [T(1, "x" * n) for n in (0, 100, 126, 127, 200, 300, 70000, 5)]
    enc = Encoder()
    stream = b"".join(enc.encode(v) + enc.encode(Point(i, -i)) for i, v in enumerate(values))
    for how in HOW:
        got = decode_all(stream, None, how=how)
        assert got[::2] == [{"A": v.A, "B": v.B} for v in values]
    dec = Decoder(T)
    dec.receive_data(stream)
    out = []
    for _ in values:
        out.append(dec.next_value())
        out.append(dec.next_value(Point))
    assert out == [x for i, v in enumerate(values) for x in (v, Point(i, -i))]
    assert dec.next_value() is NEED_DATA
    small = Encoder()
    data = small.encode(T(1, "a")) + small.encode(T(1, "a" * 40))
    dec = Decoder(T, max_message_size=30)
    dec.receive_data(data)
    assert dec.next_value() == T(1, "a")
    with pytest.raises(RemoteProtocolError, match=r"^invalid message length$"):
        dec.next_value()


def test_encoder_fast_path_still_sends_new_definitions_and_rolls_back() -> None:
    @dataclass
    class Unregistered:
        X: int = 1

    def run(enc: Encoder, *, fast: bool) -> list[bytes | str]:
        out: list[bytes | str] = []
        bad: Any = "not an int"
        for value in [S(5, 1), S(6, 2), S(Unregistered(), 3), S(1, bad), S(Point(1, 2), 4),
                      S(Point(3, 4), 5), Person(Name("a", "b")), S(None, 6)]:  # fmt: skip
            if not fast:
                enc._fast.clear()
            try:
                out.append(enc.encode(value))
            except LocalProtocolError as exc:
                out.append(str(exc))
        return out

    got = run(Encoder(), fast=True)
    assert got == run(Encoder(), fast=False)
    assert "not registered" in str(got[2]) and "cannot encode" in str(got[3])
    stream = b"".join(x for x in got if isinstance(x, bytes))
    assert decode_all(stream, None)[-1] == {"V": None, "Z": 6}

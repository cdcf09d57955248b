"""jsoncodec parser, encoder and models: Go 1.19's encoding/json, checked case by case.

Every expected error message and float spelling below was produced by Go 1.19's
encoding/json (offsets: Go's ``SyntaxError.Offset`` minus one for a bad byte, equal
for a premature end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.jsoncodec import (
    BOOK_PERSON_JSON,
    Email,
    GoString,
    Name,
    Number,
    Person,
    RawMessage,
    Tag,
    book_person,
    format_float,
    marshal,
    marshal_model,
    model_from_value,
    parse,
    unmarshal_model,
)

# ----------------------------------------------------------------- helpers


def same(a: Any, b: Any) -> bool:
    """Equal, with types and the sign of zero (1 is not 1.0, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def equal_values(a: Any, b: Any) -> bool:
    """Equal as JSON values: numbers by value (1 == 1.0) and zero's sign, dicts unordered."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if type(a) is int and type(b) is int:
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        # A float marshals to its shortest digits, which may parse back as an int.
        return float(a) == float(b) and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal_values(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def depth_of(value: Any) -> int:
    """Nesting depth of single-element lists, without recursion."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth


# ------------------------------------------------------------ parser: valid

VALID: list[tuple[bytes, Any]] = [
    (b"null", None),
    (b"true", True),
    (b" \t\r\nfalse \t\r\n", False),
    (b"0", 0),
    (b"-0", -0.0),
    (b"-0.0", -0.0),
    (b"123", 123),
    (b"-45", -45),
    (b"12345678901234567890123", 12345678901234567890123),
    (b"1.5", 1.5),
    (b"1e5", 100000.0),
    (b"1E+2", 100.0),
    (b"-1.25e-3", -0.00125),
    (b"1.7976931348623157e308", 1.7976931348623157e308),
    (b"5e-324", 5e-324),
    (b"1e-400", 0.0),
    (b'""', ""),
    (b'"abc"', "abc"),
    (b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\/\b\f\n\r\t'),
    (b'"\\u0000\\u001f\\u00e9\\u20AC"', "\x00\x1fé€"),
    (b'"\\ud83d\\ude00"', "😀"),
    (b'"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"', "café € 😀"),
    (b'"\x7f"', "\x7f"),
    # Go: lone surrogates in \u escapes become U+FFFD, and so does each invalid byte.
    (b'"\\ud800"', "\ufffd"),
    (b'"\\udc00"', "\ufffd"),
    (b'"\\ud800\\u0041"', "\ufffdA"),
    (b'"\\ud800\\ud800\\udc00"', "\ufffd\U00010000"),
    (b'"\\ude00\\ud83d"', "\ufffd\ufffd"),
    (b'"\xff"', "\ufffd"),
    (b'"\xe2\x82"', "\ufffd\ufffd"),
    (b'"\xed\xa0\x80"', "\ufffd\ufffd\ufffd"),
    (b'"\xf0\x9f\x98"', "\ufffd\ufffd\ufffd"),
    (b'"\xc0\xaf"', "\ufffd\ufffd"),
    (b"[]", []),
    (b"[ ]", []),
    (b"{}", {}),
    (b"[1,[2,[3]],{}]", [1, [2, [3]], {}]),
    (b'{"a":1,"b":[true,null],"c":{"d":"e"}}', {"a": 1, "b": [True, None], "c": {"d": "e"}}),
    (b' { "a" : 1 , "b" : 2 } ', {"a": 1, "b": 2}),
    # Go: for a repeated key the last one wins.
    (b'{"a":1,"b":2,"a":3}', {"a": 3, "b": 2}),
    (b'{"":0}', {"": 0}),
    (b'{"\\u0041":1,"A":2}', {"A": 2}),
]


@pytest.mark.parametrize(("data", "expected"), VALID, ids=[repr(d) for d, _ in VALID])
def test_parse_valid(data: bytes, expected: Any) -> None:
    assert same(parse(data), expected)


def test_parse_object_keeps_key_order() -> None:
    assert list(parse(b'{"z":1,"a":2,"m":3}')) == ["z", "a", "m"]


def test_parse_number_literals() -> None:
    value = parse(b"[1, -0, 1.50, 1e400, 12345678901234567890]", number_literals=True)
    assert value == ["1", "-0", "1.50", "1e400", "12345678901234567890"]
    assert all(isinstance(v, Number) for v in value)


def test_parse_accepts_bytearray_and_memoryview() -> None:
    assert parse(bytearray(b"[1]")) == [1]
    assert parse(memoryview(b"[1]")) == [1]


# ---------------------------------------------------------- parser: invalid

INVALID: list[tuple[bytes, str, int]] = [
    (b"", "unexpected end of JSON input", 0),
    (b" ", "unexpected end of JSON input", 1),
    (b"[", "unexpected end of JSON input", 1),
    (b"{", "unexpected end of JSON input", 1),
    (b"[1", "unexpected end of JSON input", 2),
    (b'{"a"', "unexpected end of JSON input", 4),
    (b'{"a":', "unexpected end of JSON input", 5),
    (b'"abc', "unexpected end of JSON input", 4),
    # At the end, Go steps a virtual space through the scanner's state.
    (b"-", "invalid character ' ' in numeric literal", 1),
    (b"1.", "invalid character ' ' after decimal point in numeric literal", 2),
    (b"1e", "invalid character ' ' in exponent of numeric literal", 2),
    (b"1e+", "invalid character ' ' in exponent of numeric literal", 3),
    (b"tru", "invalid character ' ' in literal true (expecting 'e')", 3),
    (b"nul", "invalid character ' ' in literal null (expecting 'l')", 3),
    (b'"\\', "invalid character ' ' in string escape code", 2),
    (b'"\\u12', "invalid character ' ' in \\u hexadecimal character escape", 5),
    # Leading zeros: the number ends after the 0.
    (b"01", "invalid character '1' after top-level value", 1),
    (b"[01]", "invalid character '1' after array element", 2),
    (b'{"a":01}', "invalid character '1' after object key:value pair", 6),
    (b"-01", "invalid character '1' after top-level value", 2),
    # Trailing commas.
    (b"[1,]", "invalid character ']' looking for beginning of value", 3),
    (b'{"a":1,}', "invalid character '}' looking for beginning of object key string", 7),
    (b"[,1]", "invalid character ',' looking for beginning of value", 1),
    # Not JSON at all.
    (b"x", "invalid character 'x' looking for beginning of value", 0),
    (b"NaN", "invalid character 'N' looking for beginning of value", 0),
    (b"Infinity", "invalid character 'I' looking for beginning of value", 0),
    (b"-Infinity", "invalid character 'I' in numeric literal", 1),
    (b"+1", "invalid character '+' looking for beginning of value", 0),
    (b".5", "invalid character '.' looking for beginning of value", 0),
    (b"True", "invalid character 'T' looking for beginning of value", 0),
    (b"'a'", "invalid character '\\'' looking for beginning of value", 0),
    (b"[x", "invalid character 'x' looking for beginning of value", 1),
    (b"{x", "invalid character 'x' looking for beginning of object key string", 1),
    (b"{1:2}", "invalid character '1' looking for beginning of object key string", 1),
    (b'{"a" x', "invalid character 'x' after object key", 5),
    (b'{"a",1}', "invalid character ',' after object key", 4),
    (b'{"a":1 x', "invalid character 'x' after object key:value pair", 7),
    (b"[1 x", "invalid character 'x' after array element", 3),
    (b"[1:2]", "invalid character ':' after array element", 2),
    (b"1.x", "invalid character 'x' after decimal point in numeric literal", 2),
    (b"1ex", "invalid character 'x' in exponent of numeric literal", 2),
    (b"-x", "invalid character 'x' in numeric literal", 1),
    (b"trux", "invalid character 'x' in literal true (expecting 'e')", 3),
    (b"nulL", "invalid character 'L' in literal null (expecting 'l')", 3),
    (b"fals", "invalid character ' ' in literal false (expecting 'e')", 4),
    # Strings: control characters and escapes.
    (b'"\x01"', "invalid character '\\x01' in string literal", 1),
    (b'"a\nb"', "invalid character '\\n' in string literal", 2),
    (b'"\t"', "invalid character '\\t' in string literal", 1),
    (b'"\x00"', "invalid character '\\x00' in string literal", 1),
    (b'"\\x"', "invalid character 'x' in string escape code", 2),
    (b'"\\U0041"', "invalid character 'U' in string escape code", 2),
    (b'"\\\'"', "invalid character '\\'' in string escape code", 2),
    (b'"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape", 5),
    # Bytes outside ASCII, shown as Go shows them (as Latin-1 runes).
    (b"\xff", "invalid character 'ÿ' looking for beginning of value", 0),
    (b"\x80", "invalid character '\\u0080' looking for beginning of value", 0),
    (b"\xa0", "invalid character '\\u00a0' looking for beginning of value", 0),
    (b"\xad", "invalid character '\\u00ad' looking for beginning of value", 0),
    (b"\x7f", "invalid character '\\x7f' looking for beginning of value", 0),
    (b"\xef\xbb\xbf{}", "invalid character 'ï' looking for beginning of value", 0),
    # Garbage after the value.
    (b"[1] x", "invalid character 'x' after top-level value", 4),
    (b"1 2", "invalid character '2' after top-level value", 2),
    (b"{}{}", "invalid character '{' after top-level value", 2),
    (b"[1e400] x", "invalid character 'x' after top-level value", 8),
    # A number a float64 cannot hold (reported after the syntax check, as by Go).
    (b"1e400", "json: cannot unmarshal number 1e400 into Go value of type float64", 0),
    (b"[0, -1e400]", "json: cannot unmarshal number -1e400 into Go value of type float64", 4),
]


@pytest.mark.parametrize(("data", "message", "offset"), INVALID, ids=[repr(d) for d, *_ in INVALID])
def test_parse_invalid(data: bytes, message: str, offset: int) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse(data)
    assert str(info.value) == message
    assert info.value.offset == offset


def test_parse_huge_integer_is_refused_not_a_crash() -> None:
    with pytest.raises(RemoteProtocolError, match="cannot unmarshal number 1111"):
        parse(b"1" * 5000)


# ------------------------------------------------------------ nesting depth


def test_depth_10000_parses() -> None:
    value = parse(b"[" * 10000 + b"]" * 10000)
    assert depth_of(value) == 10000


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"[" * 10001 + b"]" * 10001, 10000),
        (b"[" * 100000, 10000),
        (b'{"a":' * 10001, 50000),
        (b"[{}," * 9999 + b"[[", 39997),
    ],
    ids=["10001-arrays", "100000-open", "10001-objects", "mixed"],
)
def test_too_deep_is_a_protocol_error_not_recursion(data: bytes, offset: int) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse(data)
    assert str(info.value) == f"invalid character '{chr(data[offset])}' exceeded max depth"
    assert info.value.offset == offset


def test_max_depth_is_configurable() -> None:
    assert parse(b"[[[]]]", max_depth=3) == [[[]]]
    with pytest.raises(RemoteProtocolError, match="exceeded max depth"):
        parse(b"[[[[]]]]", max_depth=3)
    with pytest.raises(ValueError, match="max_depth"):
        parse(b"1", max_depth=0)


def test_deep_value_round_trips_without_recursion() -> None:
    deep: list[Any] = []
    cursor = deep
    for _ in range(100_000):
        inner: list[Any] = []
        cursor.append(inner)
        cursor = inner
    data = marshal(deep)
    assert data == b"[" * 100_001 + b"]" * 100_001
    assert depth_of(parse(data, max_depth=200_000)) == 100_001


# ------------------------------------------------------- parser: properties

_TOKENS = (
    b'{ } [ ] , : " \\ u d8 0 1 9 - . e E + true null fals \xff \xc3 \x00 \x1f a "k" 1e400 \\u00'
)
_JSONISH = st.lists(st.sampled_from([*_TOKENS.split(b" "), b" ", b"\n"]), max_size=40).map(b"".join)


@given(st.one_of(st.binary(max_size=64), _JSONISH))
@example(b"[" * 20000)
@example(b'"\\ud800\\u')
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_any_bytes_parse_or_raise_remote_protocol_error(data: bytes) -> None:
    try:
        parse(data)
    except RemoteProtocolError as exc:
        assert exc.offset is not None
        assert 0 <= exc.offset <= len(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_round_trip_parse_of_marshal(value: Any) -> None:
    assert equal_values(parse(marshal(value)), value)


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(-0.0)
@example(5e-324)
@example(1e21)
@example(1e-7)
def test_float_text_round_trips_exactly(value: float) -> None:
    text = format_float(value)
    back = float(text)
    assert back == value
    assert math.copysign(1, back) == math.copysign(1, value)


# ---------------------------------------------------------------- encoder

MARSHAL: list[tuple[Any, bytes]] = [
    (None, b"null"),
    (True, b"true"),
    (False, b"false"),
    (0, b"0"),
    (-7, b"-7"),
    (2**64, b"18446744073709551616"),
    (0.0, b"0"),
    (-0.0, b"-0"),
    (1.0, b"1"),
    (0.1, b"0.1"),
    (1e20, b"100000000000000000000"),
    (1e21, b"1e+21"),
    (2.5e22, b"2.5e+22"),
    (1e-6, b"0.000001"),
    (1e-5, b"0.00001"),
    (1e-7, b"1e-7"),
    (1.5e-7, b"1.5e-7"),
    (1.23e-7, b"1.23e-7"),
    (-1e-10, b"-1e-10"),
    (5e-324, b"5e-324"),
    (1e100, b"1e+100"),
    (1e-100, b"1e-100"),
    (123456789.0, b"123456789"),
    (12345678901234567890.0, b"12345678901234567000"),
    (1.7976931348623157e308, b"1.7976931348623157e+308"),
    ("", b'""'),
    ("<>&", b'"\\u003c\\u003e\\u0026"'),
    ("\u2028\u2029", b'"\\u2028\\u2029"'),
    ("\x00\x01\x08\x0c\x1f", b'"\\u0000\\u0001\\u0008\\u000c\\u001f"'),
    ('\n\r\t"\\/\x7f', b'"\\n\\r\\t\\"\\\\/\x7f"'),
    ("é€😀\ufffd", '"é€😀\ufffd"'.encode()),
    ("\ud800x", b'"\xef\xbf\xbdx"'),
    (GoString(b"\xff"), b'"\\ufffd"'),
    (GoString(b'a\xe2\x82"\xed\xa0\x80'), b'"a\\ufffd\\ufffd\\"\\ufffd\\ufffd\\ufffd"'),
    (GoString("é".encode()), '"é"'.encode()),
    (b"hi?", b'"aGk/"'),
    (b"", b'""'),
    (bytearray(b"\x00"), b'"AA=="'),
    ([], b"[]"),
    ((1, "a"), b'[1,"a"]'),
    ([None, [True, []], {}], b"[null,[true,[]],{}]"),
    ({}, b"{}"),
    ({"b": 1, "a": 2, "A": 3, "é": 4, "z": 5}, '{"A":3,"a":2,"b":1,"z":5,"é":4}'.encode()),
    ({10: 1, 2: 2, -1: 3}, b'{"-1":3,"10":1,"2":2}'),
    ({"<": "&"}, b'{"\\u003c":"\\u0026"}'),
    ({GoString(b"\xff"): 1, GoString(b"\xfe"): 2}, b'{"\\ufffd":2,"\\ufffd":1}'),
    (RawMessage(b' { "b" : [1, 2] , "a":"<x y>" } '), b'{"b":[1,2],"a":"\\u003cx y\\u003e"}'),
]


@pytest.mark.parametrize(("value", "expected"), MARSHAL, ids=[repr(v) for v, _ in MARSHAL])
def test_marshal(value: Any, expected: bytes) -> None:
    assert marshal(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "json: unsupported value: NaN"),
        (float("inf"), "json: unsupported value: +Inf"),
        (float("-inf"), "json: unsupported value: -Inf"),
        ([1, float("nan")], "json: unsupported value: NaN"),
        (object(), "json: unsupported type: object"),
        ({1.5: 2}, "json: unsupported type: map key float"),
        ({True: 2}, "json: unsupported type: map key bool"),
        (RawMessage(b"[1,"), "json: error calling MarshalJSON for type json.RawMessage"),
        ({1: 1, "1": 2}, "json: map has the key b'1' twice"),
        ({"": 1, GoString(b""): 2}, "json: map has the key b'' twice"),
        (dict([("\ud800", 1), ("\ufffd", 2)]), "json: map has the key b'\\xef\\xbf\\xbd' twice"),
    ],
)
def test_marshal_refuses(value: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError) as info:
        marshal(value)
    assert str(info.value).startswith(message)


def test_marshal_refuses_cycles() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(LocalProtocolError, match="encountered a cycle"):
        marshal(loop)
    mapping: dict[str, Any] = {}
    mapping["me"] = [mapping]
    with pytest.raises(LocalProtocolError, match="encountered a cycle"):
        marshal(mapping)


def test_marshal_shared_value_is_not_a_cycle() -> None:
    shared = [1]
    assert marshal([shared, shared, {"a": shared}]) == b'[[1],[1],{"a":[1]}]'


# ----------------------------------------------------------------- models


def test_book_person_marshals_exactly() -> None:
    assert marshal_model(book_person()) == (
        b'{"Name":{"Family":"Newmarch","Personal":"Jan"},"Email":[{"Kind":"home",'
        b'"Address":"jan@newmarch.name"},{"Kind":"work","Address":"j.newmarch@boxhill.edu.au"}]}'
    )
    assert marshal_model(book_person()) == BOOK_PERSON_JSON


def test_book_person_round_trips() -> None:
    assert unmarshal_model(Person, BOOK_PERSON_JSON) == book_person()


def test_nil_versus_empty_slice() -> None:
    assert marshal_model(Person()) == b'{"Name":{"Family":"","Personal":""},"Email":null}'
    assert marshal_model(Person(Email=[])).endswith(b'"Email":[]}')
    assert unmarshal_model(Person, b'{"Email":null}').Email is None
    assert unmarshal_model(Person, b'{"Email":[]}').Email == []


def test_keys_match_case_insensitively_and_unknown_keys_are_ignored() -> None:
    data = b'{"name":{"family":"N","PERSONAL":"J"},"EMAIL":[{"kInD":"k"}],"zzz":[1,{}]}'
    assert unmarshal_model(Person, data) == Person(Name("N", "J"), [Email(Kind="k")])


def test_repeated_keys_decode_into_the_same_field() -> None:
    # Go decodes each occurrence in turn, into the same struct value.
    data = b'{"Name":{"Family":"a"},"name":{"Personal":"b"}}'
    assert unmarshal_model(Person, data).Name == Name("a", "b")


def test_disallow_unknown_fields() -> None:
    with pytest.raises(RemoteProtocolError, match='json: unknown field "Zzz"'):
        unmarshal_model(Person, b'{"Zzz":1}', disallow_unknown_fields=True)


@dataclass
class Tagged:
    A: Annotated[int, Tag("a,omitempty")] = 0
    B: Annotated[str, Tag(",omitempty")] = ""
    C: Annotated[float, Tag("c,string")] = 0.0
    D: Annotated[bool, Tag("-")] = False
    E: Annotated[int, Tag("-,")] = 0
    F: bytes | None = None
    G: Annotated[Name | None, Tag(",omitempty")] = None
    H: dict[str, int] | None = None
    I: list[int] | None = None  # noqa: E741 (a Go field name)
    S: Annotated[str, Tag("s,string")] = ""
    Bad: Annotated[str, Tag("a bé")] = ""
    Q: Annotated[str, Tag('q"x')] = ""
    x: int = 0
    K: int = field(default=0, metadata={"json": "k"})
    V: Any = None


def test_tags_as_go_writes_them() -> None:
    # Go 1.19 output for the equivalent struct.
    assert marshal_model(Tagged(C=1.5, S='<a"b>', F=b"", I=[])) == (
        b'{"c":"1.5","-":0,"F":"","H":null,"I":[],"s":"\\"\\\\u003ca\\\\\\"b\\\\u003e\\"",'
        b'"a b\xc3\xa9":"","Q":"","k":0,"V":null}'
    )
    assert marshal_model(Tagged(A=1, B="x", G=Name(), H={}, x=9)) == (
        b'{"a":1,"B":"x","c":"0","-":0,"F":null,"G":{"Family":"","Personal":""},"H":{},'
        b'"I":null,"s":"\\"\\"","a b\xc3\xa9":"","Q":"","k":0,"V":null}'
    )


def test_tagged_decoding() -> None:
    got = unmarshal_model(
        Tagged,
        b'{"c":"2.5","s":"\\"hi\\"","\\u212a":7,"A":8,"a b\xc3\xa9":"v","F":"aG\\nk/","x":1,'
        b'"V":[1,2.5,{"k":null}],"H":{"z":1},"G":{"Family":"f"},"D":true}',
    )
    assert got == Tagged(
        A=8, C=2.5, S="hi", K=7, Bad="v", F=b"hi?", V=[1, 2.5, {"k": None}], H={"z": 1},
        G=Name(Family="f"),
    )  # fmt: skip


_LOW = b"-9223372036854775809"  # one below int64's range


@pytest.mark.parametrize(
    ("cls", "data", "what", "where", "go_type"),
    [
        (Person, b'{"Name":{"Family":1}}', "number", "struct field Name.Name.Family", "string"),
        (Person, b'{"Email":[{"Kind":true}]}', "bool", "struct field Email.Email.Kind", "string"),
        (Person, b'{"Name":[]}', "array", "struct field Person.Name", "models.Name"),
        (Person, b'{"Email":{}}', "object", "struct field Person.Email", "[]models.Email"),
        (Person, b'"x"', "string", "value", "models.Person"),
        (Tagged, b'{"k":1.5}', "number 1.5", "struct field Tagged.k", "int"),
        (Tagged, b'{"k":1e2}', "number 1e2", "struct field Tagged.k", "int"),
        (Tagged, b'{"k":%s}' % _LOW, f"number {_LOW.decode()}", "struct field Tagged.k", "int"),
        (Tagged, b'{"V":1e400}', "number 1e400", "struct field Tagged.V", "float64"),
        (Tagged, b'{"H":{"a":"1"}}', "string", "struct field Tagged.H", "int"),
    ],
)  # fmt: skip
def test_type_errors_read_like_go(
    cls: type, data: bytes, what: str, where: str, go_type: str
) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        unmarshal_model(cls, data)
    assert str(info.value) == f"json: cannot unmarshal {what} into Go {where} of type {go_type}"


_INVALID_STRING_TAG = "json: invalid use of ,string struct tag, trying to unmarshal"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"F":"aGk"}', "illegal base64 data at input byte 0"),
        (b'{"F":"a!k/"}', "illegal base64 data at input byte 1"),
        (b'{"c":2.5}', f"{_INVALID_STRING_TAG} unquoted value into float64"),
        (b'{"s":"hi"}', f'{_INVALID_STRING_TAG} "hi" into string'),
        (b'{"c":"x"}', f'{_INVALID_STRING_TAG} "x" into float64'),
        (b'{"a":', "unexpected end of JSON input"),
    ],
)
def test_other_decode_errors(data: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        unmarshal_model(Tagged, data)
    assert str(info.value) == message


def test_null_leaves_non_nullable_fields_alone() -> None:
    got = unmarshal_model(Tagged, b'{"a":null,"B":null,"I":null,"G":null,"V":null}')
    assert got == Tagged()


def test_model_from_parsed_value() -> None:
    assert model_from_value(Person, parse(BOOK_PERSON_JSON)) == book_person()
    with pytest.raises(RemoteProtocolError, match=r"number 1\.5 into"):
        model_from_value(Tagged, {"k": 1.5})


@dataclass
class Node:
    Children: list[Node] | None = None
    Value: Any = None


def test_recursive_model_too_deep_is_a_protocol_error() -> None:
    data = b'{"Children":[' * 3000 + b"{}" + b"]}" * 3000
    with pytest.raises(RemoteProtocolError, match="nested too deeply"):
        unmarshal_model(Node, data)


def test_any_field_holds_deep_values() -> None:
    node = unmarshal_model(Node, b'{"Value":' + b"[" * 9999 + b"]" * 9999 + b"}")
    assert depth_of(node.Value) == 9999


def test_marshal_model_wants_a_struct() -> None:
    with pytest.raises(LocalProtocolError):
        marshal_model({"Name": 1})


@dataclass
class Containers:
    H: dict[str, int] | None = None
    V: Any = None
    K: Annotated[int, Tag("k")] = 0
    M: dict[int, str] | None = None
    L: list[int] | None = None
    P: int | None = None


_SF = "json: cannot unmarshal {} into Go struct field Containers.{} of type {}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"H":{"a":"1"}}', _SF.format("string", "H", "int")),
        (b'{"V":[1,{"a":1e400}]}', _SF.format("number 1e400", "V", "float64")),
        (b'{"M":{"+5":"a","007":"b"}}', Containers(M={5: "a", 7: "b"})),
        (b'{"M":{"x":"a"}}', _SF.format("number x", "M", "int")),
        (b'{"L":[1,"x",3]}', _SF.format("string", "L", "int")),
        (b'{"P":"x"}', _SF.format("string", "P", "int")),
        (b'{"P":7}', Containers(P=7)),
        (b'{"k":-0}', Containers()),
        (b'{"k":"5"}', _SF.format("string", "k", "int")),
        # Go adds to a map already there, and replaces a slice.
        (b'{"H":{"a":1},"H":{"b":2}}', Containers(H={"a": 1, "b": 2})),
        (b'{"L":[1,2,3],"L":[4]}', Containers(L=[4])),
    ],
)
def test_containers_as_go_decodes_them(data: bytes, expected: Containers | str) -> None:
    # Expected values and messages are Go 1.19's, for the equivalent struct.
    if isinstance(expected, str):
        with pytest.raises(RemoteProtocolError) as info:
            unmarshal_model(Containers, data)
        assert str(info.value) == expected
    else:
        assert unmarshal_model(Containers, data) == expected


def test_int_map_keys_sort_as_strings() -> None:
    assert marshal_model(Containers(M={10: "a", 2: "b", -1: "c"})) == (
        b'{"H":null,"V":null,"k":0,"M":{"-1":"c","10":"a","2":"b"},"L":null,"P":null}'
    )


@dataclass
class Escapes:
    A: Annotated[str, Tag("a<,string")] = ""
    R: RawMessage | None = None
    M: dict[str, str] | None = None


def test_escape_html_like_go_encoder() -> None:
    # Go 1.19: json.Marshal, and a json.Encoder after SetEscapeHTML(false).
    value = Escapes(A="<&>\u2028", R=RawMessage('{ "x" : "<\u2028>" }'.encode()), M={"<k>": "&"})
    assert marshal(value) == (
        b'{"a\\u003c":"\\"\\\\u003c\\\\u0026\\\\u003e\\\\u2028\\"",'
        b'"R":{"x":"\\u003c\\u2028\\u003e"},"M":{"\\u003ck\\u003e":"\\u0026"}}'
    )
    assert marshal(value, escape_html=False) == (
        '{"a<":"\\"<&>\\\\u2028\\"","R":{"x":"<\u2028>"},"M":{"<k>":"&"}}'.encode()
    )

"""jsoncodec against Go's own encoding/json, byte for byte, over Hypothesis corpora.

The Go side is ``go/jsonmarshal/main.go`` (standard library only), built once per
version of its source and of Go into the cache directory that ``peers.py`` uses,
and run as one long-lived process answering a line per question.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.jsoncodec import (
    BOOK_PERSON_JSON,
    END_OF_STREAM,
    NEED_DATA,
    Email,
    GoString,
    JSONStreamDecoder,
    Name,
    Number,
    Person,
    marshal,
    marshal_model,
    unmarshal_model,
)
from reference_impls.jsoncodec._text import go_encode
from reference_impls.jsoncodec.parser import Members, parse_members

from .peers import PeerUnavailable, build_go_program

pytestmark = pytest.mark.interop

GO_SOURCE = Path(__file__).resolve().parent / "go" / "jsonmarshal" / "main.go"
_INT64 = (-(1 << 63), (1 << 63) - 1)


# ------------------------------------------------------------- the Go side


def build_jsonmarshal() -> Path:
    """Build ``main.go`` and return the binary's path (skip without Go)."""
    try:
        return build_go_program(GO_SOURCE)
    except PeerUnavailable as exc:
        pytest.skip(exc.reason)


class GoJSON:
    """The running Go helper: one request line in, one answer line out."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def ask(self, kind: str, arg: str) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{kind} {arg}\n".encode("ascii"))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the Go helper exited ({self.proc.poll()})")
        words = line.decode("ascii").split()
        if words[0] == "BAD":
            raise RuntimeError(f"the Go helper refused {kind} {arg[:80]}: {unhex(words[1])}")
        return words

    def marshal(self, value: Any) -> bytes | str:
        """Go's json.Marshal of the Go value for ``value``: bytes, or the error text."""
        words = self.ask("M", json.dumps(tagged(value), separators=(",", ":")))
        return bytes.fromhex(words[1]) if words[0] == "OK" and len(words) > 1 else unhex(words[1])

    def unmarshal(self, data: bytes) -> tuple[str, ...]:
        words = self.ask("U", data.hex())
        if words[0] == "OK":
            return ("OK", unhex(words[1]) if len(words) > 1 else "")
        if words[0] == "SYN":
            return ("SYN", words[1], unhex(words[2]))
        return ("ERR", unhex(words[1]))

    def stream(self, data: bytes) -> list[str]:
        return [decode_part(part) for part in self.ask("S", data.hex())]

    def person(self, data: bytes) -> tuple[str, str]:
        words = self.ask("P", data.hex())
        return (words[0], unhex(words[1]))


def unhex(text: str) -> str:
    return bytes.fromhex(text).decode("utf-8", "surrogateescape")


def decode_part(part: str) -> str:
    kind, _, payload = part.partition(":")
    return f"{kind}:{unhex(payload)}" if payload else kind


@pytest.fixture(scope="module")
def go_json() -> Iterator[GoJSON]:
    binary = build_jsonmarshal()
    proc = subprocess.Popen(
        [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        yield GoJSON(proc)
    finally:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


# ------------------------------------------------- Python value -> Go value


def tagged(value: Any) -> Any:
    """The Go helper's tagged form of a Python value (see main.go)."""
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i" if _INT64[0] <= value <= _INT64[1] else "I", str(value)]
    if isinstance(value, float):
        return ["f", struct.pack(">d", value).hex()]
    if isinstance(value, GoString):
        return ["s", bytes(value).hex()]
    if isinstance(value, str):
        return ["s", go_encode(value).hex()]
    if isinstance(value, bytes):
        return ["y", value.hex()]
    if isinstance(value, list):
        return ["l", [tagged(v) for v in value]]
    if isinstance(value, dict):
        if all(isinstance(k, int) for k in value):
            return ["k", [[str(k), tagged(v)] for k, v in value.items()]]
        return ["m", [[_key_bytes(k).hex(), tagged(v)] for k, v in value.items()]]
    raise TypeError(value)


def _key_bytes(key: str | GoString) -> bytes:
    return bytes(key) if isinstance(key, GoString) else go_encode(key)


def _distinct_go_keys(mapping: dict[str | GoString, Any]) -> bool:
    """Whether the keys are distinct as Go strings (as a Go map's must be)."""
    return len({_key_bytes(k) for k in mapping}) == len(mapping)


# --------------------------------------------------------------- corpora

_SPECIAL_TEXT = '<>&\u2028\u2029\x00\x01\x08\x0c\x1f\x7f\n\r\t"\\/é€😀\ufffd\ud800\udfff a'
texts = st.text(st.sampled_from(_SPECIAL_TEXT) | st.characters(), max_size=12)
go_strings = st.binary(max_size=12).map(GoString) | st.lists(
    st.sampled_from([b"\xff", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\xc0\xaf",
                     b"\xe2\x80\xa8", b"<", b"a", "é".encode(), b"\x00", b"\x7f", b"\xef\xbf\xbd"]),
    max_size=6,
).map(lambda parts: GoString(b"".join(parts)))  # fmt: skip
_FLOAT_EDGES = [1e21, 1e20, 999999999999999999999.0, 1e-6, 1e-7, 9.99999e-7, 5e-324, -0.0, 0.0,
                2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, 2.0**53 + 2,
                123456789.125, 1e-5, 1.5e300, 4.35e-7]  # fmt: skip
floats = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(_FLOAT_EDGES)
    | st.integers(-(2**70), 2**70).map(float)
    | st.integers(-30, 30).map(lambda e: 10.0**e)
)
ints = st.integers(*_INT64) | st.integers(-(10**30), 10**30)
scalars = st.none() | st.booleans() | ints | floats | texts | go_strings | st.binary(max_size=8)
go_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(texts | go_strings, children, max_size=4).filter(_distinct_go_keys)
        | st.dictionaries(st.integers(*_INT64), children, max_size=4)
    ),
    max_leaves=16,
)

_TOKENS = b'{ } [ ] , : " \\ u d8 00 0 1 9 - . e E + true null fals \xff \xc3 \x00 \x1f a "k" 1e400'
jsonish = st.lists(st.sampled_from([*_TOKENS.split(b" "), b" ", b"\n"]), max_size=30).map(b"".join)
json_inputs = st.binary(max_size=40) | jsonish | go_values.map(marshal)


# ---------------------------------------------------------------- marshal


@given(go_values)
@example([1e21, 1e-7, 5e-324, -0.0, 2.0**64, 1e20])
@example(GoString(b"<\xff\xe2\x82\x22\xed\xa0\x80\xe2\x80\xa8>&\x00\x7f"))
@example({GoString(b"\xff"): 1, GoString(b"\xfe"): 2, "A": 3, "a": 4, "é": 5})
@example({10: 1, 2: 2, -1: 3})
@example([b"", b"hi?", b"\x00\xff"])
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_marshal_matches_go(go_json: GoJSON, value: Any) -> None:
    assert marshal(value) == go_json.marshal(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1, {"a": math.nan}]])
def test_marshal_errors_match_go(go_json: GoJSON, value: Any) -> None:
    with pytest.raises(LocalProtocolError) as info:
        marshal(value)
    assert str(info.value) == go_json.marshal(value)


def test_nil_byte_slice(go_json: GoJSON) -> None:
    assert go_json.ask("M", '["Y"]') == ["OK", b"null".hex()]
    assert marshal(None) == b"null"


# -------------------------------------------------------------- unmarshal


def as_go_interface(value: Any) -> Any:
    """What Go's Unmarshal into interface{} holds: every number a float64."""
    if isinstance(value, Number):
        number = float(value)
        if math.isinf(number):
            raise OverflowError(str(value))
        return number
    if isinstance(value, Members):
        # Every occurrence of a repeated key is decoded (and may fail); the last wins.
        return {k: as_go_interface(v) for k, v in value}
    if isinstance(value, list):
        return [as_go_interface(v) for v in value]
    return value


def ours_unmarshal(data: bytes) -> tuple[str, ...]:
    try:
        value = parse_members(data, max_depth=10000)
    except RemoteProtocolError as exc:
        assert exc.offset is not None
        if str(exc).startswith("json: "):
            return ("ERR", str(exc))
        # Go's Offset counts the bad byte; at a premature end there is none.
        offset = exc.offset if exc.offset == len(data) else exc.offset + 1
        return ("SYN", str(offset), str(exc))
    try:
        return ("OK", marshal(as_go_interface(value)).decode("utf-8", "surrogateescape"))
    except OverflowError as exc:
        return ("ERR", f"json: cannot unmarshal number {exc} into Go value of type float64")


@given(json_inputs)
@example(b"[" * 10001)
@example(b'{"a":' * 10001)
@example(b'"\\ud800\\ud800\\udc00\xed\xa0\x80"')
@example(b"[1e400] x")
@example(b"-")
@example(b"\xef\xbb\xbf[]")
@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
def test_unmarshal_matches_go(go_json: GoJSON, data: bytes) -> None:
    assert ours_unmarshal(data) == go_json.unmarshal(data)


def ours_stream(data: bytes) -> list[str]:
    decoder = JSONStreamDecoder()
    decoder.receive_data(data)
    decoder.receive_eof()
    parts: list[str] = []
    while True:
        try:
            value = decoder.next_value()
        except RemoteProtocolError as exc:
            if str(exc).startswith("json: cannot unmarshal"):
                parts.append(f"E:{exc}")
                continue
            parts.append(f"FAIL:{exc}")
            return parts
        assert value is not NEED_DATA
        if value is END_OF_STREAM:
            parts.append("END")
            return parts
        parts.append("V:" + marshal(_floats(value)).decode("utf-8", "surrogateescape"))


def _floats(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    return value


def _stream_inputs() -> st.SearchStrategy[bytes]:
    gaps = st.sampled_from([b"", b" ", b"\n", b"\t\r\n"])
    values = st.lists(st.tuples(go_values.map(marshal), gaps), max_size=4).map(
        lambda pairs: b"".join(v + g for v, g in pairs)
    )
    return values | jsonish | st.binary(max_size=30)


@given(_stream_inputs())
@example(b"01 -01 truex")
@example(b"1e400 [2] 1.5.")
@example(b'[1][2]{}"a""b"nul')
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_stream_matches_go_decoder(go_json: GoJSON, data: bytes) -> None:
    assert ours_stream(data) == go_json.stream(data)


# ----------------------------------------------------------------- Person


def ours_person(data: bytes) -> tuple[str, str]:
    try:
        person = unmarshal_model(Person, data)
    except RemoteProtocolError as exc:
        return ("ERR", str(exc).replace("models.", "main."))
    return ("OK", marshal_model(person).decode("utf-8", "surrogateescape"))


def _recase(word: str) -> st.SearchStrategy[str]:
    """``word`` in random case, sometimes with Go's special folds (K for k, ſ for s)."""
    variants = {"k": "kK\u212a", "s": "sSſ"}
    letters = [st.sampled_from(variants.get(c.lower(), c.lower() + c.upper())) for c in word]
    return st.tuples(*letters).map("".join) | st.just(word)


def _person_json() -> st.SearchStrategy[bytes]:
    text = texts | st.integers(0, 9) | st.none() | st.booleans()
    email = st.dictionaries(_recase("Kind") | _recase("Address") | texts, text, max_size=3)
    name = st.dictionaries(_recase("Family") | _recase("Personal") | texts, text, max_size=3)
    member = st.one_of(
        st.tuples(_recase("Name"), name | st.none() | text),
        st.tuples(_recase("Email"), st.lists(email | st.none(), max_size=3) | st.none() | text),
        st.tuples(texts, text),
    )

    def encode(members: list[tuple[str, Any]]) -> bytes:
        body = b",".join(marshal(k) + b":" + marshal(v) for k, v in members)
        return b"{" + body + b"}"

    return st.lists(member, max_size=4).map(encode)


@given(_person_json())
@example(BOOK_PERSON_JSON)
@example(b'{"name":{"family":"N","PERSONAL":"J"},"email":null,"zzz":1}')
@example(b'{"Name":{"Family":"a"},"NAME":{"Personal":"b"},"Email":[{"Kind":1}]}')
@example('{"Emai\u017f":[{"\u212aind":"x"}]}'.encode())
@example(b'{"Name":[]}')
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_person_decoding_matches_go(go_json: GoJSON, data: bytes) -> None:
    assert ours_person(data) == go_json.person(data)


@given(
    st.builds(
        Person,
        Name=st.builds(Name, Family=texts, Personal=texts),
        Email=st.none() | st.lists(st.builds(Email, Kind=texts, Address=texts), max_size=3),
    )
)
@settings(max_examples=200)
def test_person_encoding_matches_go(go_json: GoJSON, person: Person) -> None:
    data = marshal_model(person)
    assert go_json.person(data) == ("OK", data.decode("utf-8", "surrogateescape"))


def test_book_person_matches_go(go_json: GoJSON) -> None:
    assert go_json.person(BOOK_PERSON_JSON) == ("OK", BOOK_PERSON_JSON.decode())

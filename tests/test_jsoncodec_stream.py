"""JSONStreamDecoder: concatenated values as Go 1.19's json.Decoder reads them.

Every case is fed three ways (whole, a byte at a time, split at random points) and
must give the same values, the same bytes left over before the end of the stream,
and the same final outcome (Go's messages; offsets count from the stream's start).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import (
    END_OF_STREAM,
    NEED_DATA,
    JSONStreamDecoder,
    marshal,
    parse,
)

Outcome = tuple[list[Any], bytes | None, tuple[Any, ...]]


def same(a: Any, b: Any) -> bool:
    """Equal, with types and the sign of zero."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return bool(a == b)
    return bool(a == b)


def drive(decoder: JSONStreamDecoder, chunks: Iterable[bytes]) -> Outcome:
    """Feed ``chunks``, then EOF. Returns the values and errors in order (an error
    as ``("error", message, offset)``), the bytes left over just before EOF (None if
    the stream failed before), and how it ended: ``("end",)`` or the final error."""
    events: list[Any] = []

    def pull() -> tuple[Any, ...] | None:
        """Take values until NEED_DATA (None) or the end or a final error."""
        last: RemoteProtocolError | None = None
        while True:
            try:
                value = decoder.next_value()
            except RemoteProtocolError as exc:
                if exc is last:  # raised again: the stream is dead
                    return ("error", str(exc), exc.offset)
                events.append(("error", str(exc), exc.offset))
                last = exc
                continue
            if value is NEED_DATA:
                return None
            if value is END_OF_STREAM:
                return ("end",)
            events.append(value)

    for chunk in chunks:
        decoder.receive_data(chunk)
        final = pull()
        if final is not None:
            return events[:-1], None, final
    leftover = decoder.buffered
    decoder.receive_eof()
    final = pull()
    assert final is not None, "NEED_DATA after receive_eof()"
    if final[0] == "error":
        events.pop()
    return events, leftover, final


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def random_splits(data: bytes, seed: int) -> list[bytes]:
    if len(data) < 2:
        return [data]
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 8))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def three_ways(data: bytes) -> Iterator[tuple[str, list[bytes]]]:
    yield "whole", whole(data)
    yield "bytewise", bytewise(data)
    for seed in range(5):
        yield f"random{seed}", random_splits(data, seed)


END = ("end",)


def err(message: str, offset: int) -> tuple[str, str, int]:
    return ("error", message, offset)


# (input, values, bytes left over before EOF, final outcome)
CASES: list[tuple[bytes, list[Any], bytes | None, tuple[Any, ...]]] = [
    (b"", [], b"", END),
    (b" \t\r\n ", [], b"", END),
    (b"1", [1], b"1", END),
    (b"1 2", [1, 2], b"2", END),
    (b'{"a":1} [2,3] "x" 4 true null', [{"a": 1}, [2, 3], "x", 4, True, None], b"", END),
    (b"[1][2]{}{}", [[1], [2], {}, {}], b"", END),
    (b'"a""b"', ["a", "b"], b"", END),
    (b'{"a":[{"b":[]}]}\n{"c":null}\r\n', [{"a": [{"b": []}]}, {"c": None}], b"", END),
    (b"  -12.5e-1\n", [-1.25], b"", END),
    # Go's Decoder: a number ends at the first byte that cannot continue it.
    (b"01", [0, 1], b"1", END),
    (b"-01", [-0.0, 1], b"1", END),
    (b"123abc", [123], None, err("invalid character 'a' looking for beginning of value", 3)),
    (b"truex", [True], None, err("invalid character 'x' looking for beginning of value", 4)),
    (b"1.5.", [1.5], None, err("invalid character '.' looking for beginning of value", 3)),
    (b"{}x", [{}], None, err("invalid character 'x' looking for beginning of value", 2)),
    # Escapes and multibyte UTF-8, so splits fall inside them.
    (
        b'"\\u00e9\\ud83d\\ude00 caf\xc3\xa9 \xf0\x9f\x98\x80 \\n\\"" ["\\\\"]',
        ['é😀 café 😀 \n"', ["\\"]],
        b"",
        END,
    ),
    (b'"\xff\xe2\x82" "\\ud800x"', ["\ufffd\ufffd\ufffd", "\ufffdx"], b"", END),
    (b"[true,false,null]", [[True, False, None]], b"", END),
    # Errors.
    (b"[1,]", [], None, err("invalid character ']' looking for beginning of value", 3)),
    (b'[1] {"a" 2}', [[1]], None, err("invalid character '2' after object key", 9)),
    (b'"a\nb"', [], None, err("invalid character '\\n' in string literal", 2)),
    (b'"\\q"', [], None, err("invalid character 'q' in string escape code", 2)),
    (b'"\\u00g0"', [], None, err("invalid character 'g' in \\u hexadecimal character escape", 5)),
    (b"1e+x", [], None, err("invalid character 'x' in exponent of numeric literal", 3)),
    (b"nulx", [], None, err("invalid character 'x' in literal null (expecting 'l')", 3)),
    # A premature end is Go's io.ErrUnexpectedEOF.
    (b"[1", [], b"[1", err("unexpected EOF", 2)),
    (b"-", [], b"-", err("unexpected EOF", 1)),
    (b"nul", [], b"nul", err("unexpected EOF", 3)),
    (b'"\\u12', [], b'"\\u12', err("unexpected EOF", 5)),
    (b'{"a":1}  {"b":', [{"a": 1}], b'{"b":', err("unexpected EOF", 14)),
    (b"1e5 tr", [100000.0], b"tr", err("unexpected EOF", 6)),
    # A number out of range fails its own value only (Go's UnmarshalTypeError).
    (
        b"1e400 [2]",
        [err("json: cannot unmarshal number 1e400 into Go value of type float64", 0), [2]],
        b"",
        END,
    ),
    # Depth.
    (
        b"[" * 10001,
        [],
        None,
        err("invalid character '[' exceeded max depth", 10000),
    ),
]


@pytest.mark.parametrize(
    ("data", "values", "leftover", "final"), CASES, ids=[repr(c[0])[:40] for c in CASES]
)
def test_stream_three_ways(
    data: bytes, values: list[Any], leftover: bytes | None, final: tuple[Any, ...]
) -> None:
    for how, chunks in three_ways(data):
        got = drive(JSONStreamDecoder(), chunks)
        assert same(got[0], values), how
        assert got[1] == leftover, how
        assert got[2] == final, how


def test_deep_stream_is_a_protocol_error_not_recursion() -> None:
    decoder = JSONStreamDecoder()
    decoder.receive_data(b"[" * 100_000)
    with pytest.raises(RemoteProtocolError, match="exceeded max depth") as info:
        decoder.next_value()
    assert info.value.offset == 10_000


def test_deep_stream_within_limit() -> None:
    data = b"[" * 10_000 + b"]" * 10_000
    decoder = JSONStreamDecoder()
    for i in range(0, len(data), 997):
        decoder.receive_data(data[i : i + 997])
    value = decoder.next_value()
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == 10_000


def test_errors_are_final() -> None:
    decoder = JSONStreamDecoder()
    decoder.receive_data(b"[1,,2] 3")
    with pytest.raises(RemoteProtocolError) as first:
        decoder.next_value()
    with pytest.raises(RemoteProtocolError) as again:
        decoder.next_value()
    assert again.value is first.value


def test_max_value_size() -> None:
    for how, chunks in three_ways(b'"' + b"a" * 20 + b'"'):
        got = drive(JSONStreamDecoder(max_value_size=10), chunks)
        assert got[2] == err("JSON value longer than max_value_size (10 bytes)", 10), how
    # Exactly at the limit is fine; whitespace between values does not count.
    decoder = JSONStreamDecoder(max_value_size=10)
    decoder.receive_data(b'"12345678"' + b" " * 100 + b"[1,2,3,45]")
    assert decoder.next_value() == "12345678"
    assert decoder.next_value() == [1, 2, 3, 45]
    with pytest.raises(ValueError, match="max_value_size"):
        JSONStreamDecoder(max_value_size=0)


def test_whitespace_between_values_is_not_buffered() -> None:
    decoder = JSONStreamDecoder(max_value_size=4)
    for _ in range(100):
        decoder.receive_data(b" " * 1000)
        assert decoder.next_value() is NEED_DATA
    assert decoder.buffered == b""
    assert decoder.offset == 100_000


def test_offset_and_buffered_track_consumption() -> None:
    decoder = JSONStreamDecoder()
    decoder.receive_data(b' [1] {"a"')
    assert decoder.next_value() == [1]
    assert decoder.offset == 4
    assert decoder.next_value() is NEED_DATA
    assert decoder.buffered == b'{"a"'
    decoder.receive_data(b":2}")
    assert decoder.next_value() == {"a": 2}
    assert decoder.next_value() is NEED_DATA
    decoder.receive_eof()
    assert decoder.next_value() is END_OF_STREAM
    assert decoder.next_value() is END_OF_STREAM


def test_receive_data_after_eof_is_a_bug() -> None:
    decoder = JSONStreamDecoder()
    decoder.receive_eof()
    with pytest.raises(RuntimeError):
        decoder.receive_data(b"1")


def test_sentinels_repr() -> None:
    assert repr(NEED_DATA) == "NEED_DATA"
    assert repr(END_OF_STREAM) == "END_OF_STREAM"


# ------------------------------------------------------------- properties

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.lists(json_values, max_size=5),
    st.lists(st.sampled_from([b" ", b"\n", b"\t", b"\r\n"]), min_size=5, max_size=5),
    st.randoms(use_true_random=False),
)
@settings(max_examples=150)
def test_marshalled_values_come_back_at_any_split(
    values: list[Any], gaps: list[bytes], rng: random.Random
) -> None:
    data = b"".join(marshal(v) + gaps[i] for i, v in enumerate(values))
    expected = [parse(marshal(v)) for v in values]
    got = drive(JSONStreamDecoder(), random_splits(data, rng.randrange(1 << 30)))
    assert same(got[0], expected)
    assert got[2] == END


_TOKENS = b'{ } [ ] , : " \\ u 0 1 - . e true null \xff \x00 "k" 1e400'
_JSONISH = st.lists(st.sampled_from([*_TOKENS.split(b" "), b" "]), max_size=30).map(b"".join)


@given(st.one_of(st.binary(max_size=48), _JSONISH), st.integers(0, 1 << 30))
@settings(max_examples=300)
def test_any_bytes_same_outcome_at_any_split(data: bytes, seed: int) -> None:
    reference = drive(JSONStreamDecoder(), whole(data))
    for chunks in (bytewise(data), random_splits(data, seed)):
        got = drive(JSONStreamDecoder(), chunks)
        assert same(got[0], reference[0])
        assert got[1:] == reference[1:]


@given(st.one_of(st.binary(max_size=48), _JSONISH))
def test_stream_agrees_with_parse(data: bytes) -> None:
    try:
        value = parse(data)
    except RemoteProtocolError:
        return
    got = drive(JSONStreamDecoder(), whole(data))
    assert same(got[0], [value])
    assert got[2] == END

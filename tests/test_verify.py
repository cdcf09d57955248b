"""Unit tests for ``harness.verify``: observations against the outcomes a spec accepts."""

from __future__ import annotations

from collections.abc import Callable, Collection

import pytest

from harness.errors import ConformanceFailure
from harness.verify import ANY_END, describe_difference, fail, verify, verify_datagram
from harness.wire import Datagram, End, Observation


def obs(received: bytes, end: End = End.OPEN, elapsed: float = 0.01) -> Observation:
    return Observation(received, end, elapsed)


# -- describe_difference -------------------------------------------------------------------


DIFFERENCES: list[tuple[str, bytes, bytes, str]] = [
    ("same", b"abc", b"abc", "identical"),
    ("both-empty", b"", b"", "identical"),
    ("middle", b"abcd", b"abXd", "first difference at offset 2: expected 63 64, got 58 64"),
    ("first", b"\x00\x01", b"\x01\x01", "first difference at offset 0: expected 00 01, got 01 01"),
    # one is a prefix of the other: how much is missing, or how much is extra
    ("short", b"abcdef", b"abc", "only 3 of 6 bytes came back; the rest never arrived"),
    ("none-back", b"abc", b"", "only 0 of 3 bytes came back; the rest never arrived"),
    (
        "short-past-a-window",
        b"a" * 5000,
        b"a" * 4100,
        "only 4100 of 5000 bytes came back; the rest never arrived",
    ),
    (
        "short-on-a-window-edge",
        b"a" * 8192,
        b"a" * 4096,
        "only 4096 of 8192 bytes came back; the rest never arrived",
    ),
    ("long", b"abc", b"abcde", "2 bytes more than expected after offset 3"),
    ("long-from-empty", b"", b"x", "1 bytes more than expected after offset 0"),
    (
        "long-past-a-window",
        b"a" * 4096,
        b"a" * 4099,
        "3 bytes more than expected after offset 4096",
    ),
    # a difference beyond the first 4096-byte window, and one right at its edge
    (
        "beyond-a-window",
        b"a" * 5000 + b"b" + b"c" * 20,
        b"a" * 5000 + b"X" + b"c" * 20,
        "first difference at offset 5000: expected 62 63 63 63 63 63 63 63, "
        "got 58 63 63 63 63 63 63 63",
    ),
    (
        "at-a-window-edge",
        b"a" * 4097,
        b"a" * 4096 + b"Z",
        "first difference at offset 4096: expected 61, got 5a",
    ),
    # a difference wins over a length mismatch
    (
        "differs-and-long",
        b"abc",
        b"aXcdef",
        "first difference at offset 1: expected 62 63, got 58 63 64 65 66",
    ),
    (
        "differs-and-short",
        b"abcdef",
        b"aX",
        "first difference at offset 1: expected 62 63 64 65 66, got 58",
    ),
]


@pytest.mark.parametrize(
    ("expected", "received", "text"),
    [row[1:] for row in DIFFERENCES],
    ids=[row[0] for row in DIFFERENCES],
)
def test_describe_difference(expected: bytes, received: bytes, text: str) -> None:
    assert describe_difference(expected, received) == text


# -- verify ----------------------------------------------------------------------------------

PASSING: list[tuple[Observation, dict[str, object]]] = [
    (obs(b"hello"), {"received": b"hello"}),
    (obs(b"hello", End.FIN), {"received": b"hello"}),  # then= defaults to any end
    (obs(b"hello", End.OPEN), {"received": b"hello", "then": {End.OPEN}}),
    (obs(b"", End.FIN), {"received": b"", "then": {End.FIN, End.RST}}),
    (obs(b"anything", End.TIMEOUT), {}),
    (obs(b"12:00\r\n", End.FIN), {"received": lambda b: b.endswith(b"\r\n"), "expected": "a line"}),
    (obs(b"x", End.RST), {"then": ANY_END}),
]


@pytest.mark.parametrize(("observed", "kwargs"), PASSING)
def test_verify_passes(observed: Observation, kwargs: dict[str, object]) -> None:
    assert verify(observed, **kwargs) is None  # type: ignore[arg-type, func-returns-value]


def _failure(observed: Observation, **kwargs: object) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as info:
        verify(observed, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_wrong_bytes_name_the_first_differing_offset() -> None:
    failure = _failure(obs(b"helXo", End.OPEN, 0.25), received=b"hello", then={End.OPEN})
    assert failure.expected == ("5 bytes back, then the connection still open",)
    assert failure.actual == (
        "5 bytes b'helXo', then the connection still open after 0.250 s; "
        "first difference at offset 3: expected 6c 6f, got 58 6f"
    )
    assert "Expected: 5 bytes back" in str(failure)


def test_short_reply_says_how_much_came_back() -> None:
    failure = _failure(obs(b"hel", End.FIN), received=b"hello", then={End.OPEN})
    assert failure.actual.startswith("3 bytes b'hel', then the connection closed (FIN)")
    assert failure.actual.endswith("only 3 of 5 bytes came back; the rest never arrived")


def test_short_reply_on_a_window_boundary_says_how_much_came_back() -> None:
    failure = _failure(obs(b"e" * 4096, End.FIN), received=b"e" * 8192, then={End.OPEN})
    assert failure.expected == ("8192 bytes back, then the connection still open",)
    assert failure.actual.startswith("4096 bytes b'eeee")
    assert "then the connection closed (FIN)" in failure.actual
    assert failure.actual.endswith("only 4096 of 8192 bytes came back; the rest never arrived")


def test_right_bytes_wrong_end_lists_every_acceptable_end_in_order() -> None:
    failure = _failure(obs(b"hi", End.RST), received=b"hi", then={End.TIMEOUT, End.FIN, End.OPEN})
    assert failure.expected == (
        "2 bytes back, then the connection closed (FIN)",
        "2 bytes back, then silence until the timeout",
        "2 bytes back, then the connection still open",
    )
    assert failure.actual.startswith("2 bytes b'hi', then the connection reset (RST) after")
    assert ";" not in failure.actual  # the bytes were right: no difference to describe
    assert str(failure).splitlines()[0] == "Expected: " + " | ".join(failure.expected)


def test_no_bytes_then_wrong_end() -> None:
    failure = _failure(obs(b"", End.TIMEOUT, 2.0), then={End.FIN})
    assert failure.expected == ("any bytes, then the connection closed (FIN)",)
    assert failure.actual == "no bytes, then silence until the timeout after 2.000 s"


def test_predicate_failure_uses_the_words_given() -> None:
    failure = _failure(
        obs(b"\x00\x01", End.FIN),
        received=lambda b: b.isascii() and b.endswith(b"\n"),
        expected="one line of printable ASCII",
        then={End.FIN},
    )
    assert failure.expected == ("one line of printable ASCII, then the connection closed (FIN)",)
    assert failure.actual.startswith("2 bytes b'\\x00\\x01', then the connection closed (FIN)")


def test_expected_words_override_the_default_for_bytes_too() -> None:
    failure = _failure(obs(b"no"), received=b"yes", expected="the request echoed")
    # Any end is acceptable, so the ends are not spelt out one by one.
    assert failure.expected == ("the request echoed",)


@pytest.mark.parametrize("then", [ANY_END, set(End), list(End)], ids=["ANY_END", "set", "list"])
def test_any_end_lists_the_bytes_only(then: Collection[End]) -> None:
    failure = _failure(obs(b"x", End.RST), received=b"y", then=then)
    assert failure.expected == ("1 bytes back",)


def test_nothing_back_is_described_once() -> None:
    failure = _failure(obs(b"", End.FIN, 0.5), received=b"abc", then={End.OPEN})
    assert failure.actual == "no bytes, then the connection closed (FIN) after 0.500 s"


@pytest.mark.parametrize(
    "predicate", [lambda b: True, lambda b: False, bytes.isascii], ids=["true", "false", "method"]
)
def test_predicate_without_expected_is_a_type_error(predicate: Callable[[bytes], bool]) -> None:
    with pytest.raises(TypeError, match="expected="):
        verify(obs(b"x"), received=predicate)


@pytest.mark.parametrize("then", [set(), frozenset()], ids=["set", "frozenset"])
def test_no_acceptable_end_always_fails(then: Collection[End]) -> None:
    failure = _failure(obs(b"x"), received=b"x", then=then)
    assert failure.expected == ()


# -- verify_datagram -----------------------------------------------------------------------

SOURCE = ("127.0.0.1", 7)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": b"ping"},
        {"data": b"ping", "source": SOURCE},
        {"data": lambda d: d.startswith(b"p")},
        {"source": SOURCE},
        {},
    ],
)
def test_verify_datagram_passes_and_returns_it(kwargs: dict[str, object]) -> None:
    got = Datagram(b"ping", SOURCE)
    assert verify_datagram(got, expected="the request echoed", **kwargs) is got  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("got", "kwargs", "actual"),
    [
        (None, {"data": b"ping"}, "no datagram arrived before the timeout"),
        (
            Datagram(b"pong", SOURCE),
            {"data": b"ping"},
            "a datagram of 4 bytes from 127.0.0.1:7; "
            "first difference at offset 1: expected 69 6e 67, got 6f 6e 67",
        ),
        (
            Datagram(b"pi", SOURCE),
            {"data": b"ping"},
            "a datagram of 2 bytes from 127.0.0.1:7; "
            "only 2 of 4 bytes came back; the rest never arrived",
        ),
        (
            Datagram(b"\x00", SOURCE),
            {"data": lambda d: d.isascii() and d.isalpha()},
            "a datagram b'\\x00' of 1 bytes",
        ),
        (
            Datagram(b"ping", ("127.0.0.1", 40000)),
            {"data": b"ping", "source": SOURCE},
            "the reply came from 127.0.0.1:40000, not from 127.0.0.1:7 where the request was sent",
        ),
        (
            Datagram(b"ping", ("127.0.0.2", 7)),
            {"source": SOURCE},
            "the reply came from 127.0.0.2:7, not from 127.0.0.1:7 where the request was sent",
        ),
    ],
    ids=["none", "wrong-bytes", "short", "predicate", "wrong-port", "wrong-host"],
)
def test_verify_datagram_fails(
    got: Datagram | None, kwargs: dict[str, object], actual: str
) -> None:
    with pytest.raises(ConformanceFailure) as info:
        verify_datagram(got, expected="the request echoed from port 7", **kwargs)  # type: ignore[arg-type]
    assert info.value.expected == ("the request echoed from port 7",)
    assert info.value.actual == actual


# -- fail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "listed"),
    [
        ("a reply", ("a reply",)),
        (["a reply", "a close"], ("a reply", "a close")),
        (("only this",), ("only this",)),
    ],
)
def test_fail_raises_with_every_acceptable_outcome(
    expected: str | list[str] | tuple[str, ...], listed: tuple[str, ...]
) -> None:
    with pytest.raises(ConformanceFailure) as info:
        fail(expected, "nothing at all")
    assert info.value.expected == listed
    assert info.value.actual == "nothing at all"
    assert str(info.value) == f"Expected: {' | '.join(listed)}\nActual: nothing at all"
    assert isinstance(info.value, AssertionError)


def test_conformance_failure_previews_sent_and_received() -> None:
    failure = ConformanceFailure("x", "y", sent=b"\x00" * 40, received=b"ab")
    lines = str(failure).splitlines()
    assert lines[2] == "Sent: 40 bytes: " + " ".join(["00"] * 32) + " ..."
    assert lines[3] == "Received: 2 bytes: 61 62"

"""Unit tests for ``harness.fuzzers.streams``: write sizes and written streams."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.fuzzers.streams import Written, chops, written_streams

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize(
    ("size", "seed", "largest"),
    [(0, 1, 4096), (1, 1, 4096), (1000, 0, 4096), (1000, 7, 1), (65536, 42, 13), (5, 2**40, 3)],
)
def test_chops_is_deterministic_and_sums_to_the_size(size: int, seed: int, largest: int) -> None:
    sizes = chops(size, seed=seed, largest=largest)
    assert sizes == chops(size, seed=seed, largest=largest)
    assert sum(sizes) == size
    assert all(1 <= s <= largest for s in sizes)


def test_chops_known_values() -> None:
    # The LCG is part of the contract: a reproduce command must cut the same way anywhere.
    assert chops(0, seed=5) == ()
    assert chops(20, seed=1, largest=8) == (7, 8, 5)
    assert chops(5000, seed=867) == (2913, 2074, 13)
    assert chops(10, seed=1, largest=1) == (1,) * 10
    assert chops(100, seed=1, largest=10) == chops(100, seed=1, largest=10)
    assert chops(100, seed=0) == chops(100, seed=1)  # seed 0 stands for 1
    assert chops(100, seed=2**32 + 3) == chops(100, seed=3)  # 32 bits of seed count


def test_chops_differs_between_seeds() -> None:
    cuts = {chops(10_000, seed=seed, largest=100) for seed in range(1, 20)}
    assert len(cuts) == 19


@pytest.mark.parametrize(("size", "largest"), [(-1, 10), (10, 0), (10, -5)])
def test_chops_rejects_bad_arguments(size: int, largest: int) -> None:
    with pytest.raises(ValueError, match="size >= 0 and largest >= 1"):
        chops(size, seed=1, largest=largest)


@given(size=st.integers(0, 20_000), seed=st.integers(0, 2**64), largest=st.integers(1, 5000))
@FAST
def test_chops_property(size: int, seed: int, largest: int) -> None:
    sizes = chops(size, seed=seed, largest=largest)
    assert sum(sizes) == size
    assert all(1 <= s <= largest for s in sizes)


# -- written_streams ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_size": 10, "max_size": 5}, "0 <= min_size <= max_size, got 10, 5"),
        ({"min_size": -1}, "0 <= min_size <= max_size, got -1, 4096"),
        ({"max_writes": 0}, "max_writes >= 1, got 0"),
        ({"max_writes": -3}, "max_writes >= 1, got -3"),
    ],
)
def test_written_streams_validates_at_call_time(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        written_streams(**kwargs)  # no draw needed: the error comes at once


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"min_size": 0, "max_size": 0}, {"max_writes": 1}, {"min_size": 5, "max_size": 5}],
)
def test_written_streams_accepts_edge_bounds(kwargs: dict[str, Any]) -> None:
    assert written_streams(**kwargs) is not None


@given(written_streams(min_size=1, max_size=300, max_writes=5))
@FAST
def test_chunks_reassemble_within_max_writes(w: Written) -> None:
    assert b"".join(w.chunks()) == w.payload
    assert 1 <= len(w.payload) <= 300
    assert 1 <= len(w.writes) <= 5
    assert all(size >= 1 for size in w.writes)
    assert sum(w.writes) == len(w.payload)


@given(written_streams(min_size=0, max_size=40, max_writes=1))
@FAST
def test_one_write_at_most(w: Written) -> None:
    assert w.writes == ((len(w.payload),) if w.payload else ())
    assert b"".join(w.chunks()) == w.payload


@given(
    lo=st.integers(0, 64),
    extra=st.integers(0, 64),
    max_writes=st.integers(1, 40),
    data=st.data(),
)
@FAST
def test_any_bounds_hold(lo: int, extra: int, max_writes: int, data: st.DataObject) -> None:
    hi = lo + extra
    w = data.draw(written_streams(min_size=lo, max_size=hi, max_writes=max_writes))
    assert lo <= len(w.payload) <= hi
    assert len(w.writes) <= max_writes
    assert all(size >= 1 for size in w.writes)
    assert list(w.chunks()) == [
        w.payload[sum(w.writes[:i]) : sum(w.writes[: i + 1])] for i in range(len(w.writes))
    ]
    assert b"".join(w.chunks()) == w.payload


def test_written_repr_shows_payload_head_and_writes() -> None:
    w = Written(bytes(100), (60, 40))
    assert repr(w) == f"Written(payload={bytes(64)!r}... (100 bytes), writes=(60, 40))"
    assert repr(Written(b"ab", (1, 1))) == "Written(payload=b'ab' (2 bytes), writes=(1, 1))"

"""Byte streams and the ways to write them: the raw material of every stream fuzzer.

A ``Written`` value is a payload plus the sizes of the writes that carry it, so a
failing example shows both what was sent and how it was cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = ["PACED_GAP", "WRITE_PATTERNS", "Written", "chops", "cut", "written_streams"]


@dataclass(frozen=True)
class Written:
    payload: bytes
    writes: tuple[int, ...]  #: sizes of the successive writes; they add up to len(payload)

    def chunks(self) -> Iterator[bytes]:
        offset = 0
        for size in self.writes:
            yield self.payload[offset : offset + size]
            offset += size

    def __repr__(self) -> str:
        shown = self.payload[:64]
        more = "..." if len(self.payload) > 64 else ""
        return f"Written(payload={shown!r}{more} ({len(self.payload)} bytes), writes={self.writes})"


def chops(size: int, *, seed: int, largest: int = 4096) -> tuple[int, ...]:
    """Deterministic pseudo-random write sizes (1..largest) adding up to ``size``."""
    if size < 0 or largest < 1:
        raise ValueError("chops() needs size >= 0 and largest >= 1")
    state = seed & 0xFFFFFFFF or 1
    sizes = []
    left = size
    while left:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF  # an LCG: reproducible anywhere
        cut = min(left, 1 + state % largest)
        sizes.append(cut)
        left -= cut
    return tuple(sizes)


@st.composite
def _written(draw: st.DrawFn, min_size: int, max_size: int, max_writes: int) -> Written:
    payload = draw(st.binary(min_size=min_size, max_size=max_size))
    if not payload:
        return Written(payload, ())
    cuts = draw(
        st.lists(st.integers(1, len(payload) - 1), max_size=max_writes - 1, unique=True)
        if len(payload) > 1
        else st.just([])
    )
    bounds = [0, *sorted(cuts), len(payload)]
    return Written(payload, tuple(b - a for a, b in itertools.pairwise(bounds)))


def written_streams(
    *, min_size: int = 1, max_size: int = 4096, max_writes: int = 16
) -> st.SearchStrategy[Written]:
    """Payloads of ``min_size``..``max_size`` bytes, each cut into at most ``max_writes`` writes."""
    if not 0 <= min_size <= max_size:
        raise ValueError(
            f"written_streams() needs 0 <= min_size <= max_size, got {min_size}, {max_size}"
        )
    if max_writes < 1:
        raise ValueError(f"written_streams() needs max_writes >= 1, got {max_writes}")
    return _written(min_size, max_size, max_writes)


#: Ways to cut one message into writes, for "any write pattern" checks: a server must
#: reassemble a value however TCP delivers it. Back-to-back small writes may still
#: arrive as one read on a busy machine, so the paced pattern waits between writes.
WRITE_PATTERNS: dict[str, Callable[[int], tuple[int, ...]]] = {
    "one-byte-at-a-time": lambda n: (1,) * n,
    "random-chops": lambda n: chops(n, seed=1234, largest=7),
    "three-paced-writes": lambda n: (n // 3, n // 3, n - 2 * (n // 3)),
}
#: Seconds between the writes of a paced pattern.
PACED_GAP = 0.1


def cut(payload: bytes, pattern: str) -> tuple[list[bytes], float]:
    """The writes that carry ``payload`` in the named pattern, and the pause between them."""
    sizes = WRITE_PATTERNS[pattern](len(payload))
    written = Written(payload, tuple(size for size in sizes if size))
    pause = PACED_GAP if pattern.endswith("paced-writes") else 0.0
    return list(written.chunks()), pause

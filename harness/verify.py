"""Verifiers: compare an observation with the outcomes the specification accepts.

Each raises :class:`~harness.errors.ConformanceFailure` listing every acceptable
outcome and the observed one, h2spec style::

    Expected: 1024 bytes back, then the connection still open
    Actual: 512 bytes b'...', then the connection closed (FIN) after 0.004 s
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from harness.errors import ConformanceFailure
from harness.wire import Datagram, End, Observation

__all__ = ["ANY_END", "describe_difference", "fail", "verify", "verify_datagram"]

#: Any way a stream may end, for checks that only care about the bytes.
ANY_END: frozenset[End] = frozenset(End)


def fail(expected: str | Sequence[str], actual: str) -> None:
    """Raise a conformance failure; for checks whose outcome is not a byte stream."""
    __tracebackhide__ = True
    raise ConformanceFailure(expected, actual)


def describe_difference(expected: bytes, received: bytes) -> str:
    """Where two byte strings part: the first differing offset and the bytes there."""
    if expected == received:
        return "identical"
    common = min(len(expected), len(received))
    for offset in range(0, common, 4096):
        end = min(offset + 4096, common)
        if expected[offset:end] != received[offset:end]:
            first = next(i for i in range(offset, end) if expected[i] != received[i])
            window = slice(first, first + 8)
            return (
                f"first difference at offset {first}: expected {expected[window].hex(' ')}, "
                f"got {received[window].hex(' ')}"
            )
    if len(received) < len(expected):
        return f"only {len(received)} of {len(expected)} bytes came back; the rest never arrived"
    return f"{len(received) - len(expected)} bytes more than expected after offset {common}"


def verify(
    observed: Observation,
    *,
    received: bytes | Callable[[bytes], bool] | None = None,
    then: Collection[End] = ANY_END,
    expected: str | None = None,
) -> None:
    """Check the bytes of ``observed`` and how the stream ended.

    ``received`` is the exact bytes that must have arrived, or a predicate over them
    (then ``expected`` must say in words what the predicate accepts). ``then`` is the
    set of acceptable ends.
    """
    __tracebackhide__ = True
    if callable(received) and expected is None:
        raise TypeError("verify() with a predicate needs expected=... to describe it")
    if expected is None:
        expected = (
            "any bytes"
            if received is None
            else f"{len(received)} bytes back"
            if isinstance(received, bytes)
            else "?"
        )
    if frozenset(then) == ANY_END:
        acceptable = [expected]
    else:
        acceptable = [f"{expected}, then {end.describe()}" for end in _ordered(then)]
    if isinstance(received, bytes):
        ok_bytes = observed.received == received
        # With nothing received, "no bytes" already says it all.
        why = (
            ""
            if ok_bytes or not observed.received
            else describe_difference(received, observed.received)
        )
    elif received is not None:
        ok_bytes, why = received(observed.received), ""
    else:
        ok_bytes, why = True, ""
    if not ok_bytes or observed.end not in then:
        actual = observed.describe()
        if why:
            actual = f"{actual}; {why}"
        raise ConformanceFailure(acceptable, actual)


def verify_datagram(
    got: Datagram | None,
    *,
    data: bytes | Callable[[bytes], bool] | None = None,
    source: tuple[str, int] | None = None,
    expected: str,
) -> Datagram:
    """Check that a datagram arrived, with the right content and source address."""
    __tracebackhide__ = True
    if got is None:
        raise ConformanceFailure(expected, "no datagram arrived before the timeout")
    if isinstance(data, bytes) and got.data != data:
        raise ConformanceFailure(
            expected,
            f"a datagram of {len(got.data)} bytes from {got.source[0]}:{got.source[1]}; "
            + describe_difference(data, got.data),
        )
    if callable(data) and not data(got.data):
        raise ConformanceFailure(expected, f"a datagram {got.data[:64]!r} of {len(got.data)} bytes")
    if source is not None and got.source != source:
        raise ConformanceFailure(
            expected,
            f"the reply came from {got.source[0]}:{got.source[1]}, "
            f"not from {source[0]}:{source[1]} where the request was sent",
        )
    return got


def _ordered(ends: Collection[End]) -> list[End]:
    return [end for end in End if end in ends]

"""Reading a stream of JSON values back from a target, for the json and jsonrpc suites.

Values are decoded with the strict decoder of :mod:`reference_impls.jsoncodec`: a
target whose bytes do not parse is seen as such, never repaired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.wire import Observation
from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import END_OF_STREAM, NEED_DATA, JSONStreamDecoder

__all__ = ["JSONValues", "complete"]


class JSONValues:
    """Up to ``count`` values decoded from what came back, and how the stream went.

    ``noun`` names a value in messages ("reply", "response").
    """

    noun = "value"

    def __init__(self, observed: Observation, count: int) -> None:
        self.observed = observed
        self.values: list[Any] = []
        self.error: str | None = None
        decoder = JSONStreamDecoder()
        decoder.receive_data(observed.received)
        try:
            while len(self.values) < count:
                value = decoder.next_value()
                if value is NEED_DATA or value is END_OF_STREAM:
                    break
                self.values.append(value)
        except RemoteProtocolError as exc:
            at = f" at offset {exc.offset}" if exc.offset is not None else ""
            self.error = f"the {self.noun} is not JSON{at}: {exc}"

    def describe(self, count: int) -> str:
        why = f"; {self.error}" if self.error else ""
        return f"{len(self.values)} of {count} {self.noun}s: {self.observed.describe()}{why}"


def complete(count: int) -> Callable[[bytes], bool]:
    """A ``receive(until=...)`` predicate: ``count`` whole values are in, or the stream
    is broken (no use waiting for more)."""

    def enough(received: bytes) -> bool:
        decoder = JSONStreamDecoder()
        decoder.receive_data(received)
        got = 0
        try:
            while got < count:
                value = decoder.next_value()
                if value is NEED_DATA or value is END_OF_STREAM:
                    return False
                got += 1
        except RemoteProtocolError:
            return True
        return True

    return enough

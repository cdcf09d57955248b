"""Incremental decoder for concatenated JSON values, like Go 1.19's json.Decoder.

Sans-IO: :meth:`~JSONStreamDecoder.receive_data`, :meth:`~JSONStreamDecoder.receive_eof`,
then :meth:`~JSONStreamDecoder.next_value` until :data:`NEED_DATA` or
:data:`END_OF_STREAM`. A value split at any byte decodes the same. As in Go, values
need no separator (``[1][2]`` is two values, and so is ``01``: a number ends at the
first byte that cannot continue it), but a string, literal, array or object is
returned as soon as it ends, where Go's Decoder waits for one more byte.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Final

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec.parser import _DONE, DEFAULT_MAX_DEPTH, _Scanner

__all__ = [
    "DEFAULT_MAX_VALUE_SIZE",
    "END_OF_STREAM",
    "NEED_DATA",
    "JSONStreamDecoder",
    "Sentinel",
]

#: Default bound on the bytes of one value (whitespace before it not counted).
DEFAULT_MAX_VALUE_SIZE = 16 * 1024 * 1024

_WS = re.compile(rb"[ \t\n\r]*")  # RFC 8259 §2's ws


class Sentinel(enum.Enum):
    """The two answers of :meth:`JSONStreamDecoder.next_value` that are not values."""

    NEED_DATA = "NEED_DATA"
    END_OF_STREAM = "END_OF_STREAM"

    def __repr__(self) -> str:
        return self.value


#: No whole value is buffered yet: call ``receive_data`` (or ``receive_eof``).
NEED_DATA: Final = Sentinel.NEED_DATA
#: The stream ended cleanly after the last value (Go's ``io.EOF``).
END_OF_STREAM: Final = Sentinel.END_OF_STREAM


class JSONStreamDecoder:
    """Decodes a byte stream of JSON values, one :meth:`next_value` call per value.

    Errors are :class:`RemoteProtocolError` with ``offset`` counted from the start
    of the stream. A syntax error (or a premature end: "unexpected EOF") is final,
    raised again by every later call, as Go's Decoder keeps its error: the stream
    cannot be resynchronised. A number out of float range fails only its own value.
    """

    def __init__(
        self,
        *,
        max_value_size: int = DEFAULT_MAX_VALUE_SIZE,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        if max_value_size < 1:
            raise ValueError(f"max_value_size must be at least 1, not {max_value_size}")
        self.max_value_size = max_value_size
        self._buf = bytearray()
        self._consumed = 0  # stream offset of self._buf[0]
        self._eof = False
        self._error: RemoteProtocolError | None = None
        self._scanner = _Scanner(max_depth, stream=True)
        self._in_value = False  # whether _buf starts with (part of) a value

    # ------------------------------------------------------------------ input

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer ``data``. (The size limit is checked by :meth:`next_value`, so call
        it after each chunk.)"""
        if self._eof:
            raise RuntimeError("receive_data() after receive_eof(): a stream ends once")
        self._buf += data

    def receive_eof(self) -> None:
        self._eof = True

    # ----------------------------------------------------------------- output

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not yet consumed by a returned value."""
        return self._consumed

    @property
    def buffered(self) -> bytes:
        """The bytes received and not yet consumed (the start of the next value)."""
        return bytes(self._buf)

    def next_value(self) -> Any:
        """The next whole value, or :data:`NEED_DATA`, or :data:`END_OF_STREAM`."""
        if self._error is not None:
            raise self._error
        try:
            return self._next()
        except RemoteProtocolError as exc:
            if self._scanner.state == _DONE and exc is self._scanner.deferred:
                self._finish(self._scanner.pos)  # only that value is lost
            else:
                self._error = exc
            raise

    def _next(self) -> Any:
        buf = self._buf
        scanner = self._scanner
        if not self._in_value:
            # Between values: drop whitespace so it cannot fill the buffer.
            i = _WS.match(buf).end()  # type: ignore[union-attr]
            if i:
                del buf[:i]
                self._consumed += i
            if not buf:
                return END_OF_STREAM if self._eof else NEED_DATA
            self._in_value = True
            scanner.reset()
            scanner.base = self._consumed
        end = scanner.run(buf, self._eof)
        if (end if end >= 0 else len(buf)) > self.max_value_size:
            raise RemoteProtocolError(
                f"JSON value longer than max_value_size ({self.max_value_size} bytes)",
                offset=self._consumed + self.max_value_size,
            )
        if end < 0:
            return NEED_DATA
        if scanner.deferred is not None:
            raise scanner.deferred
        value = scanner.result
        self._finish(end)
        return value

    def _finish(self, end: int) -> None:
        del self._buf[:end]
        self._consumed += end
        self._in_value = False
        self._scanner.reset()

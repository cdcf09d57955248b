"""JSON echo of the book's Person, sans-IO: bytes in, encoded replies out; no sockets.

The book's JSONEchoServer (Newmarch, "Network Programming with Go", ch. 4) reads a
``Person`` with a ``json.Decoder`` and writes it back with a ``json.Encoder``, which
ends each value with a newline. Decoding follows Go's encoding/json: keys match
case-insensitively, unknown keys are dropped, invalid UTF-8 in strings becomes
U+FFFD; encoding is ``json.Marshal``'s (``<``, ``>``, ``&``, U+2028 and U+2029
escaped).

A value that is not JSON, or not a Person (e.g. ``[1]``, ``{"Name": 5}``), ends the
connection: :attr:`JSONEchoConnection.error` is set and :attr:`~JSONEchoConnection.
should_close` becomes true once the replies before it are handed out. A Go server
could not go on either: a json.Decoder's syntax errors are sticky, every later
``Decode`` returns the same error (the book's server then echoes zero Persons until
its ten rounds are up).
"""

from __future__ import annotations

import enum

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import (
    END_OF_STREAM,
    NEED_DATA,
    JSONStreamDecoder,
    Person,
    marshal_model,
    model_from_value,
)

__all__ = ["BOOK_ROUNDS", "MAX_VALUE_SIZE", "JSONEchoConnection", "JSONEchoState", "reply_for"]

#: The book's server answers ten values per connection, then closes.
BOOK_ROUNDS = 10
#: The longest value (in bytes) a connection accepts: memory per connection is bounded.
MAX_VALUE_SIZE = 1024 * 1024


def reply_for(person: Person) -> bytes:
    """What ``json.NewEncoder(conn).Encode(person)`` writes: Marshal's bytes and a newline."""
    return marshal_model(person) + b"\n"


class JSONEchoState(enum.Enum):
    """Where a connection is, as the shell needs to know it."""

    #: Reading values and answering them.
    OPEN = "open"
    #: No more values will be read (the client's EOF, the last round, or an error);
    #: replies are still to be handed out.
    CLOSING = "closing"
    #: Everything has been handed out: close.
    CLOSED = "closed"


class JSONEchoConnection:
    """One connection of the JSON echo service.

    Feed :meth:`receive_data` and :meth:`receive_eof`; send what :meth:`data_to_send`
    returns; close once :attr:`should_close` is true. ``rounds`` stops after that
    many replies (the book's server: :data:`BOOK_ROUNDS`); None answers every value
    until the client's EOF.
    """

    def __init__(self, *, rounds: int | None = None, max_value_size: int = MAX_VALUE_SIZE):
        if rounds is not None and rounds < 1:
            raise ValueError(f"rounds must be at least 1 (or None), not {rounds}")
        self.rounds = rounds
        self._decoder = JSONStreamDecoder(max_value_size=max_value_size)
        self._out = bytearray()
        self._done = False  # no more values will be read
        self._eof = False
        #: Persons answered so far.
        self.answered = 0
        #: Why the connection ends early (malformed input), if it does.
        self.error: RemoteProtocolError | None = None

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Take bytes from the client. Ignored once no more values will be read."""
        if self._eof:
            raise RuntimeError("receive_data() after receive_eof(): a stream ends once")
        if self._done:
            return  # after the last round or an error: what still comes is dropped
        self._decoder.receive_data(data)
        self._decode()

    def receive_eof(self) -> None:
        """The client will send nothing more; a value cut short by it is an error."""
        self._eof = True
        if not self._done:
            self._decoder.receive_eof()
            self._decode()
        self._done = True

    def data_to_send(self) -> bytes:
        """The replies not yet handed out, in order; empty if none."""
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def pending(self) -> int:
        """Bytes of replies not yet handed out."""
        return len(self._out)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet decoded (the start of the next value)."""
        return len(self._decoder.buffered)

    @property
    def state(self) -> JSONEchoState:
        if not self._done:
            return JSONEchoState.OPEN
        return JSONEchoState.CLOSING if self._out else JSONEchoState.CLOSED

    @property
    def should_close(self) -> bool:
        """True once no more values will be read and every reply has been handed out."""
        return self.state is JSONEchoState.CLOSED

    def _decode(self) -> None:
        while not self._done:
            try:
                value = self._decoder.next_value()
                if value is NEED_DATA:
                    return
                if value is END_OF_STREAM:
                    self._done = True
                    return
                person = model_from_value(Person, value)
            except RemoteProtocolError as exc:
                self.error = exc
                self._stop_reading()
                return
            self._out += reply_for(person)
            self.answered += 1
            if self.rounds is not None and self.answered >= self.rounds:
                self._stop_reading()

    def _stop_reading(self) -> None:
        self._done = True
        self._decoder = JSONStreamDecoder(max_value_size=1)  # what it held is dropped

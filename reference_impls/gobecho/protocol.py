"""gob echo of the book's Person, sans-IO: bytes in, encoded replies out; no sockets.

The book's GobEchoServer (Newmarch, "Network Programming with Go", ch. 4) wraps the
connection in a ``gob.Decoder`` and a ``gob.Encoder`` and, per round, decodes a
``Person`` and encodes it back. One Encoder per connection: the reply stream defines
each type once, before the first value that needs it, with ids from 65, as a fresh
Go process does; zero fields are left out. Decoding is Go 1.19's
(:mod:`reference_impls.gob`), error texts included.

Input that is not a gob stream of Persons (bad framing, a type defined twice, a value
of an undefined type, a value that is not a Person, a message over
``max_message_size``) ends the connection: :attr:`GobEchoConnection.error` is set and
:attr:`~GobEchoConnection.should_close` becomes true once the replies before it are
handed out. A Go server could not go on either: a gob.Decoder that lost the framing
has nothing to resynchronise on (the book's server ignores the error and echoes zero
Persons until its ten rounds are up).
"""

from __future__ import annotations

import enum

from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import NEED_DATA, Decoder, Encoder
from reference_impls.gob.models import Person

__all__ = [
    "BOOK_ROUNDS",
    "MAX_MESSAGE_SIZE",
    "GobEchoConnection",
    "GobEchoState",
    "replies_for",
]

#: The book's server answers ten values per connection, then closes.
BOOK_ROUNDS = 10
#: The longest gob message (in bytes) a connection accepts: memory per connection is
#: bounded (Go's own limit is 8 GiB).
MAX_MESSAGE_SIZE = 1024 * 1024


def replies_for(*persons: Person) -> bytes:
    """What one ``gob.NewEncoder(conn)`` writes for ``Encode(p)`` of each Person in turn."""
    encoder = Encoder()
    return b"".join(encoder.encode(person) for person in persons)


class GobEchoState(enum.Enum):
    """Where a connection is, as the shell needs to know it."""

    #: Reading values and answering them.
    OPEN = "open"
    #: No more values will be read (the client's EOF, the last round, or an error);
    #: replies are still to be handed out.
    CLOSING = "closing"
    #: Everything has been handed out: close.
    CLOSED = "closed"


class GobEchoConnection:
    """One connection of the gob echo service.

    Feed :meth:`receive_data` and :meth:`receive_eof`; send what :meth:`data_to_send`
    returns; close once :attr:`should_close` is true. ``rounds`` stops after that
    many replies (the book's server: :data:`BOOK_ROUNDS`); None answers every value
    until the client's EOF. ``max_message_size`` bounds one gob message, and so the
    bytes held for a value not yet whole.
    """

    def __init__(self, *, rounds: int | None = None, max_message_size: int = MAX_MESSAGE_SIZE):
        if rounds is not None and rounds < 1:
            raise ValueError(f"rounds must be at least 1 (or None), not {rounds}")
        if max_message_size < 1:
            raise ValueError(f"max_message_size must be positive, not {max_message_size}")
        self.rounds = rounds
        self.max_message_size = max_message_size
        self._decoder: Decoder | None = Decoder(Person, max_message_size=max_message_size)
        self._encoder = Encoder()
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
        if self._done or self._decoder is None:
            return  # after the last round or an error: what still comes is dropped
        self._decoder.receive_data(bytes(data))
        self._decode()

    def receive_eof(self) -> None:
        """The client will send nothing more; a message cut short by it is an error."""
        self._eof = True
        if not self._done and self._decoder is not None:
            try:
                self._decoder.end_of_data()
            except RemoteProtocolError as exc:
                self.error = exc
        self._stop_reading()

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
        """Bytes received and not yet decoded (the start of the next message)."""
        return 0 if self._decoder is None else self._decoder.buffered

    @property
    def state(self) -> GobEchoState:
        if not self._done:
            return GobEchoState.OPEN
        return GobEchoState.CLOSING if self._out else GobEchoState.CLOSED

    @property
    def should_close(self) -> bool:
        """True once no more values will be read and every reply has been handed out."""
        return self.state is GobEchoState.CLOSED

    def _decode(self) -> None:
        decoder = self._decoder
        while not self._done and decoder is not None:
            try:
                person = decoder.next_value()
            except RemoteProtocolError as exc:
                self.error = exc
                self._stop_reading()
                return
            if person is NEED_DATA:
                return
            if not isinstance(person, Person):  # the Decoder's target is Person
                raise TypeError(f"the gob Decoder returned {type(person).__name__}")
            self._out += self._encoder.encode(person)
            self.answered += 1
            if self.rounds is not None and self.answered >= self.rounds:
                self._stop_reading()

    def _stop_reading(self) -> None:
        self._done = True
        self._decoder = None  # what it held is dropped

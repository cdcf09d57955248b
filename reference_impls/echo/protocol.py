"""Echo Protocol (RFC 862), sans-IO: what to send back, given what arrived; no sockets."""

from __future__ import annotations

import enum

__all__ = ["MAX_UDP_PAYLOAD", "EchoConnection", "EchoState", "echo_datagram"]

#: The largest UDP payload over IPv4 (65535 - 20 byte IP header - 8 byte UDP header).
MAX_UDP_PAYLOAD = 65507


class EchoState(enum.Enum):
    """Where a TCP echo connection is, as the shell needs to know it."""

    #: "Once a connection is established any data received is sent back."
    OPEN = "open"
    #: The calling user terminated (EOF); data received before that is still to go back.
    CLOSING = "closing"
    #: Terminated, and everything received has been handed out: close.
    CLOSED = "closed"


class EchoConnection:
    """One TCP echo connection.

    Feed :meth:`receive_data` and :meth:`receive_eof`; send whatever
    :meth:`data_to_send` returns; close once :attr:`should_close` is true.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._eof = False

    def receive_data(self, data: bytes) -> None:
        # RFC 862: "Once a connection is established any data received is sent back."
        if self._eof:
            raise RuntimeError("receive_data() after receive_eof(): a stream ends once")
        self._pending += data

    def receive_eof(self) -> None:
        # RFC 862: "This continues until the calling user terminates the connection."
        self._eof = True

    def data_to_send(self) -> bytes:
        """Everything received and not yet handed out, in order; empty if none."""
        out = bytes(self._pending)
        self._pending.clear()
        return out

    @property
    def pending(self) -> int:
        """Bytes received and not yet handed out by :meth:`data_to_send`."""
        return len(self._pending)

    @property
    def state(self) -> EchoState:
        if not self._eof:
            return EchoState.OPEN
        return EchoState.CLOSING if self._pending else EchoState.CLOSED

    @property
    def should_close(self) -> bool:
        """True once the client has terminated and everything has been handed out."""
        return self.state is EchoState.CLOSED


def echo_datagram(data: bytes) -> bytes:
    """The answering datagram: the received data, whole."""
    # RFC 862: "When a datagram is received, the data from it is sent back in an
    # answering datagram."
    return bytes(data)

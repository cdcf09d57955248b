"""Daytime Protocol (RFC 867), sans-IO: what to send, given the time; no sockets here."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["MONTHS", "WEEKDAYS", "DaytimeConnection", "daytime_text", "reply_to_datagram"]

# Fixed English names: strftime's %A and %B follow the locale, and the text must be
# the same ASCII wherever the server runs. Indexed by datetime.weekday() (Monday is 0)
# and by month - 1.
WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def daytime_text(now: datetime) -> str:
    """``now`` in UTC as RFC 867's first syntax, ending in CRLF.

    E.g. ``"Thursday, November 26, 2026 10:37:10-UTC\\r\\n"``. ``now`` must be aware:
    a naive datetime does not say which zone it is in.
    """
    # RFC 867: "One popular syntax is: Weekday, Month Day, Year Time-Zone",
    # "Example: Tuesday, February 22, 1982 17:37:43-PST".
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("daytime_text() needs an aware datetime, e.g. datetime.now(UTC)")
    t = now.astimezone(UTC)
    weekday = WEEKDAYS[t.weekday()]
    month = MONTHS[t.month - 1]
    clock = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    # RFC 867: "It is recommended that it be limited to the ASCII printing characters,
    # space, carriage return, and line feed.  The daytime should be just one line."
    return f"{weekday}, {month} {t.day}, {t.year} {clock}-UTC\r\n"


def _encode(now: datetime) -> bytes:
    # RFC 867: "the current date and time is sent out the connection as a ascii
    # character string"
    return daytime_text(now).encode("ascii")


class DaytimeConnection:
    """One TCP daytime connection, from establishment to close.

    The shell sends :meth:`data_to_send` once the connection is established, then
    closes when :attr:`should_close` is true; input goes to :meth:`receive_data`.
    """

    def __init__(self, now: datetime) -> None:
        self._quote = _encode(now)
        self._sent = False
        self._eof = False

    def receive_data(self, data: bytes) -> None:
        # RFC 867: "(and any data received is thrown away)"
        del data

    def receive_eof(self) -> None:
        """The client will send no more; nothing changes for the quote."""
        self._eof = True

    @property
    def eof_received(self) -> bool:
        return self._eof

    def data_to_send(self) -> bytes:
        """The quote the first time, then nothing."""
        # RFC 867: "Once a connection is established the current date and time is
        # sent out the connection"
        if self._sent:
            return b""
        self._sent = True
        return self._quote

    @property
    def should_close(self) -> bool:
        """True once the quote has been handed to the shell."""
        # RFC 867: "The service closes the connection after sending the quote."
        return self._sent


def reply_to_datagram(data: bytes, now: datetime) -> bytes:
    """The answering datagram for any received datagram, the empty one too."""
    # RFC 867: "When a datagram is received, an answering datagram is sent containing
    # the current date and time as a ASCII character string (the data in the received
    # datagram is ignored)."
    del data
    return _encode(now)

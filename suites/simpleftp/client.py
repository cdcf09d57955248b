"""Talking simpleftp as the book's client does: one write per command, then the reply.

The protocol has no framing except DIR's final CRLF: a reply to PWD or CD is what
arrives after the command (the book's client does one ``Read``; a server answers in
one write, which arrives in one piece on a quiet connection).

The checks know nothing of the served directory: :func:`enter_subdirectory` finds a
subdirectory by trying ``CD`` on the names DIR lists, and tells why when it cannot.
A server that changes directory for every client at once (the book's does) would
leave the next check somewhere else, so whoever enters a directory leaves it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.targets import Target
from harness.wire import End, Observation, TcpConnection, Wire

__all__ = [
    "CD_QUOTE",
    "CRLF",
    "MAX_CANDIDATES",
    "REF",
    "Entered",
    "NoDirectory",
    "command",
    "directory_listing",
    "enter_subdirectory",
    "follows",
    "is_absolute_path",
    "leave",
    "listing_complete",
    "parse_listing",
]

REF = "Newmarch, Network Programming with Go, ch. 5 (the book's protocol, not RFC 959)"
CD_QUOTE = (
    "The book's server answers CD <dir> with OK when it could change to that directory, "
    "ERROR when it could not."
)
CRLF = b"\r\n"
#: At most this many listed names are tried with CD when looking for a subdirectory.
MAX_CANDIDATES = 16

_ABSOLUTE = re.compile(rb"^(/|[A-Za-z]:[\\/])")


def command(conn: TcpConnection, text: bytes) -> Observation:
    """Send one command in one write; wait for the reply's first bytes (or silence)."""
    conn.send(text)
    return conn.receive(until=bool)


def listing_complete(data: bytes) -> bool:
    """DIR's reply is complete: it ends with CRLF CRLF, or is one CRLF (an empty directory)."""
    return data == CRLF or data.endswith(CRLF + CRLF)


def directory_listing(conn: TcpConnection, text: bytes = b"DIR ") -> Observation:
    """Send DIR (as the book's client does, with a trailing space) and read the listing."""
    conn.send(text)
    return conn.receive(until=listing_complete)


def parse_listing(data: bytes) -> list[bytes] | None:
    """The names of a well-formed DIR reply, or None if it is not one."""
    if data == CRLF:
        return []
    if not data.endswith(CRLF + CRLF):
        return None
    names = data[:-4].split(CRLF)
    if any(not name or b"\r" in name or b"\n" in name for name in names):
        return None
    return names


def is_absolute_path(data: bytes) -> bool:
    """An absolute path (``/...``, or ``C:\\...`` on Windows) with no line ending or NUL."""
    return bool(_ABSOLUTE.match(data)) and not any(c in data for c in (b"\r", b"\n", b"\0"))


def follows(before: bytes, after: bytes, name: bytes) -> bool:
    """``after`` names the subdirectory ``name`` of ``before``."""
    return after != before and (after.endswith(b"/" + name) or after.endswith(b"\\" + name))


@dataclass(frozen=True)
class Entered:
    """A connection that entered subdirectory ``name``: PWD was ``start``, is ``inside``."""

    conn: TcpConnection
    start: bytes
    name: bytes
    inside: bytes


class NoDirectory(Exception):
    """No subdirectory could be entered; ``reason`` says why.

    ``violation`` is the expected/actual pair when the reason is the server breaking
    simpleftp/ch5/cd/into-listed-directory (a CD reply that is neither OK nor ERROR,
    a PWD that does not follow an OK); None when a prerequisite was missing.
    """

    def __init__(self, reason: str, violation: tuple[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.violation = violation


def enter_subdirectory(wire: Wire, target: Target, conn: TcpConnection | None = None) -> Entered:
    """On ``conn`` (a new connection if None): PWD, DIR, then CD into each listed name
    until one answers OK, and PWD again, which must name that subdirectory.

    Raises :class:`NoDirectory` when there is none to enter, or the server misbehaves.
    """
    conn = conn if conn is not None else wire.connect(target)
    start = command(conn, b"PWD")
    if not is_absolute_path(start.received):
        raise NoDirectory(
            f"PWD gave no absolute path ({start.describe()}), so a change of directory "
            "cannot be seen (simpleftp/ch5/pwd/absolute-path reports that)"
        )
    listed = directory_listing(conn)
    names = parse_listing(listed.received)
    if names is None:
        raise NoDirectory(
            f"DIR gave no well-formed listing ({listed.describe()}) "
            "(simpleftp/ch5/dir/crlf-terminated-names reports that)"
        )
    candidates = [n for n in names if n not in (b".", b"..") and b"/" not in n]
    tried: list[bytes] = []
    for name in candidates[:MAX_CANDIDATES]:
        tried.append(name)
        reply = command(conn, b"CD " + name)
        if reply.received == b"ERROR" and reply.end is End.OPEN:
            continue
        if reply.received != b"OK" or reply.end is not End.OPEN:
            raise NoDirectory(
                f"CD {name!r} was answered with neither OK nor ERROR "
                "(simpleftp/ch5/cd/into-listed-directory reports that)",
                ("OK or ERROR", f"to CD {name!r}: {reply.describe()}"),
            )
        inside = command(conn, b"PWD")
        if not follows(start.received, inside.received, name):
            leave_on(conn)
            raise NoDirectory(
                f"after CD {name!r} answered OK, PWD did not name that subdirectory "
                "(simpleftp/ch5/cd/into-listed-directory reports that)",
                (
                    f"after CD {name!r} answered OK, PWD naming that subdirectory of "
                    f"{start.received!r} (a path ending in /{name.decode(errors='replace')})",
                    f"PWD answered {inside.describe()}",
                ),
            )
        return Entered(conn, start.received, name, inside.received)
    shown = ", ".join(repr(n) for n in tried) or "nothing"
    raise NoDirectory(
        f"no listed entry is a directory the server lets us enter: DIR listed {len(names)} "
        f"names; CD answered ERROR to each tried ({shown}). Serve a directory with a "
        "subdirectory to check this"
    )


def leave_on(conn: TcpConnection) -> Observation:
    """``CD ..`` on ``conn``: back up one level (a shared working directory included)."""
    return command(conn, b"CD ..")


def leave(entered: Entered) -> None:
    """Back out of the subdirectory ``entered`` went into, if the connection still works."""
    if not entered.conn.closed and entered.conn.end is None:
        leave_on(entered.conn)

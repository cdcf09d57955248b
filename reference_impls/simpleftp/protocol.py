"""The simpleftp directory protocol, sans-IO: a chunk in, the reply bytes out; no sockets.

simpleftp is the FTP-like protocol of Jan Newmarch's *Network Programming with Go*,
chapter 5 -- the book's protocol, **not** FTP (RFC 959). Requests are raw strings
with no line terminator; the book's server treats each ``Read`` of up to 512 bytes
as one command and dispatches on its prefix:

* ``CD <dir>`` (``s[0:2] == "CD"``, the argument is ``s[3:]``): ``OK`` or ``ERROR``;
* ``DIR`` (``s[0:3]``; the book's client sends ``"DIR "``): each entry name followed
  by CRLF, then one more CRLF;
* ``PWD`` (``s[0:3]``): the absolute working directory;

anything else is ignored and gets no reply. No reply ends in a newline except DIR's.

Where this reference departs from the book's server, it does so on purpose:

* it serves one directory, its *root*, and never leaves it: ``..`` past the root,
  absolute paths, and symbolic links that lead outside are all refused (``ERROR``);
  PWD answers the path inside the root (``/`` for the root itself, ``/sub``, ...);
* each connection has its own working directory (the book's ``os.Chdir`` changes it
  for the whole process, so every client shares one);
* a chunk shorter than three bytes, or ``CD`` alone, is handled (``CD`` with no
  argument answers ``ERROR``; anything else unknown is ignored), where the book's
  server panics on a slice bounds error and the whole process exits;
* one trailing CRLF (or LF) is removed before dispatching, so a client that ends
  its command with a line ending is understood too; and
* DIR lists names in sorted order, and leaves out names that contain CR or LF
  (they could not be told apart from the framing).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "CRLF",
    "ERROR",
    "MAX_COMMAND",
    "OK",
    "PORT",
    "SimpleFtpSession",
    "Tree",
    "listing",
    "split_commands",
]

#: The book's server port.
PORT = 1202
#: The book's server reads at most this much per command.
MAX_COMMAND = 512
OK = b"OK"
ERROR = b"ERROR"
CRLF = b"\r\n"


def split_commands(chunk: bytes) -> list[bytes]:
    """The commands in one read: the book reads at most 512 bytes per command."""
    return [chunk[i : i + MAX_COMMAND] for i in range(0, len(chunk), MAX_COMMAND)]


def listing(names: Iterable[bytes]) -> bytes:
    """DIR's reply: each name followed by CRLF, then one more CRLF."""
    return b"".join(name + CRLF for name in names) + CRLF


class Tree:
    """A directory served as the root, and the confinement rules for paths inside it.

    A *location* is a tuple of name components below the root (``()`` is the root).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            raise NotADirectoryError(f"not a directory: {root}")
        self.root = Path(real)

    def path_of(self, location: tuple[str, ...]) -> Path:
        return self.root.joinpath(*location)

    def _inside(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return real == self.root or real.is_relative_to(self.root)

    def resolve(self, current: tuple[str, ...], argument: str) -> tuple[str, ...] | None:
        """Where ``CD argument`` from ``current`` leads, or None if it is refused.

        ``/`` at the start means the root (PWD's answers are such paths); ``.`` is
        skipped and ``..`` goes up lexically, refused past the root. The target must
        be a directory whose real path (symbolic links followed) is inside the root.
        """
        if not argument or "\0" in argument:
            return None
        parts: list[str] = [] if argument.startswith("/") else list(current)
        for part in argument.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            else:
                parts.append(part)
        location = tuple(parts)
        path = self.path_of(location)
        try:
            if not stat.S_ISDIR(path.stat().st_mode):
                return None
        except (OSError, ValueError):
            return None
        return location if self._inside(path) else None

    def names(self, location: tuple[str, ...]) -> list[bytes]:
        """The entries at ``location``, sorted; [] if it cannot be read (as the book)."""
        path = self.path_of(location)
        if not self._inside(path):
            return []
        try:
            entries = os.listdir(path)
        except OSError:
            return []
        encoded = (os.fsencode(name) for name in entries)
        return sorted(name for name in encoded if b"\r" not in name and b"\n" not in name)


def _display(location: tuple[str, ...]) -> bytes:
    return os.fsencode("/" + "/".join(location))


class SimpleFtpSession:
    """One connection's state: its working directory inside the tree.

    Give each chunk the connection reads to :meth:`receive_command`; send what it
    returns (nothing for a command the protocol ignores).
    """

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.location: tuple[str, ...] = ()

    @property
    def cwd(self) -> bytes:
        """What PWD answers now."""
        return _display(self.location)

    def receive_data(self, chunk: bytes) -> bytes:
        """All replies to one read (one command per 512 bytes, as the book reads)."""
        return b"".join(self.receive_command(command) for command in split_commands(chunk))

    def receive_command(self, command: bytes) -> bytes:
        """The reply to one command: empty when the protocol gives none."""
        # A trailing line ending is not part of the book's protocol; tolerate one.
        if command.endswith(b"\r\n"):
            command = command[:-2]
        elif command.endswith(b"\n"):
            command = command[:-1]
        # The book's dispatch, in its order, minus the slice-bounds panics.
        if command[0:2] == b"CD":
            return self._chdir(command[3:])
        if command[0:3] == b"DIR":
            return listing(self.tree.names(self.location))
        if command[0:3] == b"PWD":
            return self.cwd
        return b""

    def _chdir(self, argument: bytes) -> bytes:
        location = self.tree.resolve(self.location, os.fsdecode(argument))
        if location is None:
            return ERROR
        self.location = location
        return OK

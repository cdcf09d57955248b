"""A small threaded simpleftp server with one switch per requirement that breaks it.

simpleftp is the directory protocol of Newmarch, *Network Programming with Go*, ch. 5
(the book's protocol, not RFC 959). The unbroken server is correct and written apart
from the reference implementation: it serves a temporary directory it makes itself
(two files and a subdirectory ``docs``), confined to it, with a working directory
per connection; each ``recv`` of up to 512 bytes is one command, one trailing CRLF
is tolerated, and anything it does not know is ignored. The suite certifies it
CONFORMANT::

    with FtpServer(fault="session/per-connection-directory") as server:
        run = run_suite("simpleftp", server, tmp_path)

A fault is named by its requirement id without ``simpleftp/ch5/``. The listener,
threads and stopping come from :class:`brokenservers._ThreadedServer` (its UDP
socket is bound but never given to the suite).
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from brokenservers import _DirectoryServer

__all__ = ["FTP_FAULTS", "FtpServer"]

#: The faults; each breaks the requirement ``simpleftp/ch5/<fault>``.
FTP_FAULTS: tuple[str, ...] = (
    "dir/crlf-terminated-names",  # DIR's listing lacks the final CRLF
    "pwd/absolute-path",  # PWD's path ends with a newline
    "cd/into-listed-directory",  # CD into a directory answers OK but does not move
    "cd/parent-directory",  # CD .. answers ERROR (only names are understood)
    "cd/error-for-missing",  # CD to a name that does not exist answers OK (and stays)
    "session/concurrent-clients",  # one connection at a time, until that client closes
    "session/per-connection-directory",  # one working directory for every connection
    "robustness/survives-bad-commands",  # a read shorter than 3 bytes, or "CD", ends the service
    "framing/trailing-crlf",  # a command ending in a line ending is ignored (a MAY)
)

#: How long a connection may stay idle before the server drops it (seconds).
IDLE = 30.0
#: The book's server reads at most this much per command.
READ_SIZE = 512
CRLF = b"\r\n"
TREE = {
    "README.txt": "served by tests/brokenftp.py\n",
    "notes.txt": "a file: CD into it answers ERROR\n",
    "docs/guide.txt": "a file in a subdirectory\n",
}


class FtpServer(_DirectoryServer):
    """simpleftp over TCP; ``fault`` (see :data:`FTP_FAULTS`) breaks one requirement."""

    FAULTS = FTP_FAULTS
    TREE = TREE

    def __init__(self, fault: str | None = None) -> None:
        super().__init__(fault)
        self.sequential = fault == "session/concurrent-clients"
        #: The one working directory of the per-connection-directory fault.
        self._shared_cwd: list[str] = []
        self._cwd_lock = threading.Lock()

    def targets(self, suite: str = "simpleftp") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tcp://{host}:{port}"]

    # -- serving -----------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        shared = self.fault == "session/per-connection-directory"
        cwd: list[str] = self._shared_cwd if shared else []
        while self._readable(conn, IDLE):
            data = conn.recv(READ_SIZE)
            if not data:
                return
            if self.fault == "robustness/survives-bad-commands" and (
                len(data) < 3 or data == b"CD"
            ):
                # The book's slice bounds panic: the whole service ends.
                self._tcp_down.set()
                return
            with self._cwd_lock:
                reply = self._answer(data, cwd)
            if reply:
                conn.sendall(reply)

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # simpleftp has no UDP service

    def _answer(self, data: bytes, cwd: list[str]) -> bytes:
        if data.endswith(b"\n"):
            if self.fault == "framing/trailing-crlf":
                return b""  # not a command it knows
            data = data[:-2] if data.endswith(CRLF) else data[:-1]
        if data.startswith(b"CD"):
            return self._cd(data[3:].decode(errors="replace"), cwd)
        if data.startswith(b"DIR"):
            names = sorted(os.listdir(self._path(cwd)))
            listing = b"".join(os.fsencode(name) + CRLF for name in names)
            return listing if self.fault == "dir/crlf-terminated-names" else listing + CRLF
        if data.startswith(b"PWD"):
            path = ("/" + "/".join(cwd)).encode()
            return path + b"\n" if self.fault == "pwd/absolute-path" else path
        return b""

    def _path(self, parts: list[str]) -> Path:
        assert self.root is not None
        return self.root.joinpath(*parts)

    def _cd(self, argument: str, cwd: list[str]) -> bytes:
        if argument == ".." and self.fault == "cd/parent-directory":
            return b"ERROR"
        parts = [] if argument.startswith("/") else list(cwd)
        for piece in argument.split("/"):
            if piece in ("", "."):
                continue
            if piece == "..":
                if not parts:
                    return b"ERROR"  # not above the served directory
                parts.pop()
            else:
                parts.append(piece)
        path = self._path(parts)
        if not argument or not path.is_dir() or path.is_symlink():
            if self.fault == "cd/error-for-missing" and argument and not path.exists():
                return b"OK"
            return b"ERROR"
        if self.fault == "cd/into-listed-directory" and len(parts) > len(cwd):
            return b"OK"  # says so, but stays where it is
        cwd[:] = parts
        return b"OK"

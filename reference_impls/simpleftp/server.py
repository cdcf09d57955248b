"""simpleftp (Newmarch, ch. 5) asyncio shell over :mod:`reference_impls.simpleftp.protocol`.

``start(listen, root=DIR)`` serves ``DIR``. Without a root it serves a small demo
tree made in a new temporary directory (two files and a subdirectory with one file)
and removes it when the server closes: the suites' embedded mode needs a directory
with at least one subdirectory, and ``python -m reference_impls serve`` has no
``--root`` option yet.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
from pathlib import Path
from typing import cast

from reference_impls._shell import (
    Connections,
    DirectoryServer,
    Listen,
    Server,
    StreamServer,
    start_stream,
)
from reference_impls.simpleftp.protocol import SimpleFtpSession, Tree

__all__ = ["DEMO_TREE", "SimpleFtpProtocol", "SimpleFtpServer", "make_demo_tree", "start"]

log = logging.getLogger(__name__)

#: The demo tree served when no root is given: relative path -> file content.
DEMO_TREE: dict[str, bytes] = {
    "README.txt": b"simpleftp demo tree (Newmarch, Network Programming with Go, ch. 5)\n",
    "notes.txt": b"a file, not a directory: CD into it answers ERROR\n",
    "docs/guide.txt": b"a file in a subdirectory\n",
}


def make_demo_tree(base: Path) -> None:
    """Write :data:`DEMO_TREE` under ``base``."""
    for relative, content in DEMO_TREE.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


class SimpleFtpProtocol(asyncio.Protocol):
    """One TCP connection with its own working directory; each read is one command."""

    def __init__(self, connections: Connections, tree: Tree) -> None:
        self._connections = connections
        self._session = SimpleFtpSession(tree)
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.opened(self._transport)
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            # Request and reply: Nagle would hold back a short reply.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        try:
            reply = self._session.receive_data(data)
        except Exception:
            # Contain it to this connection: one client must not end the service.
            log.exception("simpleftp: connection failed")
            self._transport.abort()
            return
        if reply:
            self._transport.write(reply)

    def eof_received(self) -> bool:
        return False  # the client is done: close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.closed(self._transport)


class SimpleFtpServer(DirectoryServer):
    """A TCP listener serving a tree; removes the demo tree (if it made one) on close."""

    def __init__(self, inner: StreamServer, tree: Tree, cleanup: Path | None) -> None:
        super().__init__(inner, cleanup)
        self.tree = tree


async def start(listen: Listen, *, root: str | Path | None = None) -> Server:
    """Serve simpleftp on ``listen`` (TCP only) from ``root``; a demo tree if None."""
    if listen.scheme != "tcp":
        raise ValueError("simpleftp runs over TCP only")
    cleanup: Path | None = None
    if root is None:
        cleanup = Path(tempfile.mkdtemp(prefix="wirecert-simpleftp-"))
        make_demo_tree(cleanup)
        root = cleanup
    try:
        tree = Tree(root)
        inner = await start_stream(listen, lambda connections: SimpleFtpProtocol(connections, tree))
    except BaseException:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise
    return SimpleFtpServer(inner, tree, cleanup)

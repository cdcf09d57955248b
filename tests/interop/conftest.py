"""Fixtures running independent peers and Go servers (see peers.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .peers import (
    GoServer,
    PeerMap,
    PeerUnavailable,
    start_go_peer,
    start_go_server,
    start_xinetd_peer,
)


def _serve(start: Callable[[], contextlib.AbstractContextManager[PeerMap]]) -> Iterator[PeerMap]:
    with contextlib.ExitStack() as stack:
        try:
            peer = stack.enter_context(start())
        except PeerUnavailable as exc:
            pytest.skip(exc.reason)
        yield peer


@pytest.fixture(scope="session")
def go_peer() -> Iterator[PeerMap]:
    """The Go peer's ``{(service, transport): (host, port)}``; skips if Go is missing."""
    yield from _serve(start_go_peer)


@pytest.fixture(scope="session")
def xinetd_peer() -> Iterator[PeerMap]:
    """xinetd's ``{(service, transport): (host, port)}``; skips if it cannot run here."""
    yield from _serve(start_xinetd_peer)


@pytest.fixture
def go_server() -> Iterator[Callable[..., GoServer]]:
    """``go_server(source, *args, cwd=None)``: :func:`start_go_server` until the test ends.

    Skips the test if Go is missing.
    """
    with contextlib.ExitStack() as stack:

        def start(source: Path, *args: str, cwd: Path | None = None) -> GoServer:
            try:
                return stack.enter_context(start_go_server(source, *args, cwd=cwd))
            except PeerUnavailable as exc:
                pytest.skip(exc.reason)

        yield start

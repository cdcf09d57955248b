"""Session-scoped fixtures running independent daytime/echo peers (see peers.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from .peers import PeerMap, PeerUnavailable, start_go_peer, start_xinetd_peer


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

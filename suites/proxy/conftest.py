"""Fixtures of the proxy suite: the scheme of each check, its recording origin, and the
credentials to use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin import CheckContext, each_scheme
from suites.proxy import SUITE
from suites.proxy.origin import RecordingOrigin

#: Every check runs over each scheme: to the proxy in plain HTTP, and over TLS.
_each_scheme = each_scheme(SUITE)


@pytest.fixture(scope="session")
def origin() -> Iterator[RecordingOrigin]:
    """The suite's origin server on 127.0.0.1, for the whole run."""
    with RecordingOrigin() as server:
        yield server


@pytest.fixture
def credentials(wirecert: CheckContext) -> tuple[str, str]:
    """``(user, password)`` from --proxy-credentials."""
    user, _, password = str(wirecert.option("credentials")).partition(":")
    return user, password

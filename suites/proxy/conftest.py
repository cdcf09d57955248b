"""Fixtures of the proxy suite: the scheme of each check, its recording origin, and the
credentials to use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin import CheckContext
from suites.proxy import SUITE
from suites.proxy.origin import RecordingOrigin


@pytest.fixture(
    autouse=True,
    params=[pytest.param(scheme, marks=pytest.mark.scheme(scheme)) for scheme in SUITE.schemes],
)
def proxy_scheme(request: pytest.FixtureRequest) -> str:
    """Every check runs over each scheme: to the proxy in plain HTTP, and over TLS."""
    return str(request.param)


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

"""Every http check runs once per scheme: http:// and https://."""

from __future__ import annotations

import pytest

SCHEMES = [pytest.param(s, marks=pytest.mark.scheme(s), id=s) for s in ("http", "https")]


@pytest.fixture(autouse=True)
def http_scheme(request: pytest.FixtureRequest) -> str:
    """The scheme this run of the check uses (the target fixture follows it)."""
    return str(request.param)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "http_scheme" in metafunc.fixturenames:
        metafunc.parametrize("http_scheme", SCHEMES, indirect=True)

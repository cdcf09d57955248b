"""The utf16 suite's two kinds of service: select the checks of the chosen one.

``--utf16-service`` says which kind of service the target is. Each check module
declares the kind it is for (``SERVICE``); checks of the other kind are deselected,
so they neither run nor count as skipped in the certificate. A module's
``NEEDS_EXPECTED_TEXT`` names the checks that need ``--utf16-expect-text`` (and
``NEEDS_ASTRAL_TEXT`` those that need characters above U+FFFF in it).

The embedded reference follows the option too: ``SUITE.reference`` names it from
the suite's option values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin import not_assessed, state_of
from suites.utf16 import REFERENCES, SUITE

HERE = Path(__file__).resolve().parent


def _left_out(item: pytest.Item, service: str, expected: str | None) -> tuple[str, str] | None:
    """Why this check does not apply to the run, as (what, reason), or None if it does."""
    module = getattr(item, "module", None)
    if module is None:
        return None
    kind = getattr(module, "SERVICE", service)
    if kind != service:
        return (
            f"utf16 {kind} checks",
            f"the target is taken to be a UTF-16 {service} (--utf16-service {kind} assesses these)",
        )
    name = getattr(item, "originalname", item.name)
    if name in getattr(module, "NEEDS_EXPECTED_TEXT", ()) and expected is None:
        return ("utf16 expected-text checks", "no --utf16-expect-text was given")
    astral = expected is not None and any(ord(c) > 0xFFFF for c in expected)
    if name in getattr(module, "NEEDS_ASTRAL_TEXT", ()) and not astral:
        return (
            "utf16 astral-character checks",
            "--utf16-expect-text has no character above U+FFFF",
        )
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = state_of(config).settings
    service = settings.suite_option(SUITE.name, "service")
    expected = settings.suite_option(SUITE.name, "expect-text")
    other = next(kind for kind in REFERENCES if kind != service)
    for prefix in settings.spec:
        if prefix.startswith(f"{SUITE.name}/rfc2781/{other}"):
            raise pytest.UsageError(
                f"--spec {prefix!r} selects checks of a UTF-16 {other}, but the target is a "
                f"{service}: add --utf16-service {other}"
            )
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        why = _left_out(item, service, expected)
        if why is None or not Path(item.path).resolve().is_relative_to(HERE):
            keep.append(item)
        else:
            not_assessed(config, *why)
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep

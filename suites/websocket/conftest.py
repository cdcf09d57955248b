"""The websocket suite's run-dependent selection.

- Every check runs over each scheme the run covers (``ws`` and ``wss``): see
  :func:`harness.plugin.each_scheme`.
- Checks of a module that sets ``THOROUGH = True`` (Autobahn 9: large and many
  messages) run only with ``--profile thorough``.
- Checks named in a module's ``NEEDS_MAX_MESSAGE`` need ``--websocket-max-message`` for
  a target; the embedded reference states its own limit (16 MiB).
Checks left out are listed in the certificate as not assessed, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin import each_scheme, not_assessed, state_of
from suites.websocket import SUITE
from suites.websocket.cases import REFERENCE_MAX_MESSAGE

HERE = Path(__file__).resolve().parent


_each_scheme = each_scheme(SUITE)


def _left_out(item: pytest.Item, large: bool, limit: int | None) -> tuple[str, str] | None:
    module = getattr(item, "module", None)
    if module is None:
        return None
    if getattr(module, "THOROUGH", False) and not large:
        return (
            "websocket large and many-message cases (Autobahn 9)",
            "they run with --profile thorough",
        )
    name = getattr(item, "originalname", item.name)
    if name in getattr(module, "NEEDS_MAX_MESSAGE", ()) and limit is None:
        return (
            "websocket stated message-size limit",
            "no --websocket-max-message was given",
        )
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = state_of(config)
    settings = state.settings
    large = settings.profile.large
    limit = settings.suite_option(SUITE.name, "max-message")
    embedded = not state.external(SUITE.name)
    stated = limit is not None and SUITE.name in state.selected
    if stated and embedded and limit != REFERENCE_MAX_MESSAGE:
        raise pytest.UsageError(
            f"--websocket-max-message {limit} states a target's limit, but no websocket "
            f"target was given: the embedded reference's limit is {REFERENCE_MAX_MESSAGE} "
            "bytes (give that, or a --target)"
        )
    if embedded:
        limit = REFERENCE_MAX_MESSAGE  # the reference states its own limit
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        why = (
            _left_out(item, large, limit)
            if Path(item.path).resolve().is_relative_to(HERE)
            else None
        )
        if why is None:
            keep.append(item)
        else:
            not_assessed(config, *why)
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep

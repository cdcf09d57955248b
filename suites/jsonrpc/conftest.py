"""The jsonrpc suite's two profiles: select the checks of the chosen one.

``--jsonrpc-profile`` says which JSON-RPC the target speaks. Each check module of one
profile declares it (``PROFILE``); checks of the other profile are deselected, so they
neither run nor count as skipped in the certificate. Modules without ``PROFILE`` run
in both. The embedded reference follows the option too (``SUITE.reference``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin import not_assessed, state_of
from suites.jsonrpc import SUITE

HERE = Path(__file__).resolve().parent
#: The requirement-id prefix of each profile's own checks.
PREFIXES = {"1.0": f"{SUITE.name}/go-net-rpc-jsonrpc", "2.0": f"{SUITE.name}/jsonrpc-2.0"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = state_of(config).settings
    profile = settings.suite_option(SUITE.name, "profile")
    other = next(p for p in PREFIXES if p != profile)
    for prefix in settings.spec:
        if prefix.startswith(PREFIXES[other]):
            raise pytest.UsageError(
                f"--spec {prefix!r} selects checks of JSON-RPC {other}, but the target is "
                f"taken to speak {profile}: add --jsonrpc-profile {other}"
            )
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        module = getattr(item, "module", None)
        mine = Path(item.path).resolve().is_relative_to(HERE)
        wanted = getattr(module, "PROFILE", profile) == profile
        (keep if not mine or wanted else dropped).append(item)
    if dropped:
        not_assessed(
            config,
            f"jsonrpc JSON-RPC {other}",
            f"the target is taken to speak JSON-RPC {profile} (--jsonrpc-profile {other} "
            "assesses these)",
            len(dropped),
        )
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep

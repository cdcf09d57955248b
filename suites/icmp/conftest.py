"""The ``icmp`` fixture: a recording ICMP endpoint aimed at the check's target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.wire import Wire
from suites.icmp.probe import IcmpProbe


@pytest.fixture
def icmp(target: Target, wire: Wire, wirecert: CheckContext) -> Iterator[IcmpProbe]:
    probe = IcmpProbe(target, wire.log, wirecert.timeout)
    yield probe
    probe.close()

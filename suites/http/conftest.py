"""Every http check runs once per scheme: http:// and https://."""

from __future__ import annotations

from harness.plugin import each_scheme
from suites.http import SUITE

_each_scheme = each_scheme(SUITE)

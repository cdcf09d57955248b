"""wirecert: a protocol conformance harness built on pytest.

Point a suite at a server and get, per requirement of the specification, a verdict
with the bytes that prove it.
"""

from __future__ import annotations

__version__ = "0.1.0"

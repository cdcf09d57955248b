"""Daytime Protocol (RFC 867), over TCP and UDP.

Targets: ``tcp://host[:13]`` and ``udp://host[:13]``; give both to assess both.
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="daytime",
    title="Daytime Protocol (RFC 867)",
    schemes={"tcp": 13, "udp": 13},
    reference="daytime",
)

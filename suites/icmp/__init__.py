"""ICMP echo (RFC 792, RFC 1122 section 3.2.2): any host's echo responder.

Targets: ``icmp://HOST`` or a bare host (IPv4). Crafting requests the kernel would
not send (a bad checksum, an unknown type, IP fragments, the book's exact packet)
needs a raw socket: root or CAP_NET_RAW. With only an ICMP datagram socket
(``net.ipv4.ping_group_range``) those checks skip, saying so.

With no target, the reference responder is certified in a network namespace of its
own, joined to the host by a veth pair, with the namespace kernel's echo replies
off (``net.ipv4.icmp_echo_ignore_all=1``), so the kernel cannot answer for it. That
needs root; without it the checks skip with the command to run instead.
"""

from __future__ import annotations

import pytest

from harness.faults.netns import NamespacedReference, missing_privilege
from harness.suite import Suite

#: Why checks skip without root, and what to run instead.
HOW_TO_RUN = (
    "run it as root (sudo pytest suites/icmp), or certify a host's own responder: "
    "pytest suites/icmp --target icmp://127.0.0.1"
)


def _embedded(protocol: str, schemes: list[str], *, suite: str) -> NamespacedReference:
    problem = missing_privilege()
    if problem:
        pytest.skip(
            f"the embedded icmp responder runs in a network namespace, and {problem}: {HOW_TO_RUN}"
        )
    return NamespacedReference(protocol, schemes, suite=suite)


SUITE = Suite(
    name="icmp",
    title="ICMP Echo (RFC 792, RFC 1122 §3.2.2)",
    schemes={"icmp": 0},
    reference="icmp",
    embed=_embedded,
)

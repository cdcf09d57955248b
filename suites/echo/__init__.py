"""Echo Protocol (RFC 862), over TCP, UDP and TLS.

Targets: ``tcp://host[:7]``, ``udp://host[:7]`` and ``tls://host[:1200]``; give each to
assess each. TLS echo has no well-known port: 1200 is the port of the book's chapter 7
TLS echo server (Newmarch, "Network Programming with Go").
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption


def _datagram_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65507:
        raise ValueError("a datagram size in bytes from 1 to 65507")
    return int(text)


SUITE = Suite(
    name="echo",
    title="Echo Protocol (RFC 862)",
    schemes={"tcp": 7, "udp": 7, "tls": 1200},
    reference="echo",
    options=(
        SuiteOption(
            "udp-max-datagram",
            "the largest UDP datagram the target claims to echo (default 65507, the most "
            "IPv4 allows); larger sizes are not checked",
            _datagram_size,
            65507,
        ),
    ),
)

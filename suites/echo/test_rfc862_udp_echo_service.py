"""RFC 862, "UDP Based Echo Service".

Another echo service is defined as a datagram based application on UDP. A server
listens for UDP datagrams on UDP port 7. When a datagram is received, the data
from it is sent back in an answering datagram.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import verify_datagram
from harness.wire import Wire

pytestmark = pytest.mark.scheme("udp")

REF = "RFC 862, UDP Based Echo Service"
ANSWER = "When a datagram is received, the data from it is sent back in an answering datagram."

#: 1472 fills an Ethernet frame; 8192 needs IP fragmentation off loopback; 65507 is
#: the most an IPv4 UDP datagram can carry.
SIZES = [1, 100, 512, 1472, 8192, 65507]


@pytest.mark.requirement("echo/rfc862/udp/datagram-returned", level="MUST", ref=REF, quote=ANSWER)
@pytest.mark.parametrize("size", SIZES, ids=[f"{n}B" for n in SIZES])
def test_datagram_comes_back_whole(
    target: Target, wire: Wire, wirecert: CheckContext, size: int
) -> None:
    """Send one datagram of the size (again after a silence, up to three times: UDP may
    lose one); the same bytes must come back in one datagram."""
    limit = wirecert.option("udp-max-datagram")
    if size > limit:
        pytest.skip(f"above the stated limit of {limit} bytes (--echo-udp-max-datagram)")
    payload = bytes((i * 7 + size) % 256 for i in range(size))
    endpoint = wire.udp(target)
    got, _ = endpoint.ask(payload)
    verify_datagram(got, data=payload, expected=f"one datagram with the same {size} bytes")


@pytest.mark.requirement(
    "echo/rfc862/udp/reply-from-target-address", level="MUST", ref=REF, quote=ANSWER
)
def test_answer_comes_from_the_address_asked(target: Target, wire: Wire) -> None:
    """Send a datagram from an unconnected socket and note where the answer comes from."""
    endpoint = wire.udp(target)
    got, _ = endpoint.ask(b"where from?")
    if got is None:
        pytest.skip("no datagram came back (echo/rfc862/udp/datagram-returned reports that)")
    verify_datagram(
        got,
        source=endpoint.target,
        expected=f"the answer from {endpoint.target[0]}:{endpoint.target[1]}, "
        "where the request went",
    )

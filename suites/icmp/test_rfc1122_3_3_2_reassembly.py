"""RFC 1122, 3.3.2 "Reassembly", for echo requests that arrive in IP fragments.

"EMTU_R MUST be greater than or equal to 576, SHOULD be either configurable or
indefinite, and SHOULD be greater than or equal to the MTU of the connected
network(s)." A request in fragments must come back with all its data (3.2.2.6).
"""

from __future__ import annotations

import pytest

from harness.verify import describe_difference, fail
from suites.icmp.probe import IcmpProbe
from suites.icmp.test_rfc792_echo import replied

REF = "RFC 1122 §3.3.2"
AT_LEAST_576 = "EMTU_R MUST be greater than or equal to 576"
AT_LEAST_MTU = "SHOULD be greater than or equal to the MTU of the connected network(s)"
IP_AND_ICMP_HEADERS = 20 + 8


def _fragmented_echo(icmp: IcmpProbe, datagram: int, max_fragment: int) -> None:
    __tracebackhide__ = True
    icmp.require_raw("sending IP fragments")
    size = datagram - IP_AND_ICMP_HEADERS
    request = icmp.new_request(size=size)
    answer = icmp.exchange(request, max_fragment=max_fragment)
    expected = (
        f"an echo reply with all {size} data octets of the {datagram}-octet datagram, "
        "reassembled from its fragments"
    )
    _, reply = replied(answer, expected)
    if reply.data != request.data:
        fail(
            expected,
            f"{len(reply.data)} data octets; {describe_difference(request.data, reply.data)}",
        )


@pytest.mark.requirement(
    "icmp/rfc1122/3.3.2/reassembly-576", level="MUST", ref=REF, quote=AT_LEAST_576
)
def test_576_octet_datagram_in_fragments(icmp: IcmpProbe) -> None:
    """Send an echo request in a 576-octet IP datagram cut in three fragments of at
    most 212 octets."""
    _fragmented_echo(icmp, 576, 212)


@pytest.mark.requirement(
    "icmp/rfc1122/3.3.2/reassembly-mtu", level="SHOULD", ref=REF, quote=AT_LEAST_MTU
)
def test_ethernet_mtu_datagram_in_fragments(icmp: IcmpProbe) -> None:
    """Send an echo request in a 1500-octet IP datagram (Ethernet's MTU) cut in
    fragments of at most 576 octets."""
    _fragmented_echo(icmp, 1500, 576)

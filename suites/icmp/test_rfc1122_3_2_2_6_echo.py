"""RFC 1122, 3.2.2.6 "Echo Request/Reply".

"Every host MUST implement an ICMP Echo server function that receives Echo Requests
and sends corresponding Echo Replies." The data comes back entirely, and the reply
comes from the address the request was sent to.
"""

from __future__ import annotations

import functools
import secrets
import time

import pytest

from harness.verify import describe_difference, fail
from reference_impls.icmp.client import Received
from reference_impls.icmp.packet import OPTION_RECORD_ROUTE, Echo, ipv4_options, recorded_route
from suites.icmp.probe import IcmpProbe, describe
from suites.icmp.test_rfc792_echo import replied

REF = "RFC 1122 §3.2.2.6"
ENTIRELY = (
    "Data received in an ICMP Echo Request MUST be entirely included in the resulting Echo Reply."
)
SOURCE = (
    "The IP source address in an ICMP Echo Reply MUST be the same as the specific-destination "
    "address (defined in Section 3.2.1.3) of the corresponding ICMP Echo Request message."
)
OPTIONS = (
    "this option (these options) SHOULD be updated to include the current host and included "
    "in the IP header of the Echo Reply message"
)
#: Record Route (RFC 791): type 7, length 39, pointer 4 (nothing recorded yet), room
#: for nine addresses, and a No Operation to fill the header's last 32-bit word.
RECORD_ROUTE = bytes([7, 39, 4]) + bytes(36) + b"\x01"
EVERY = (
    "Every host MUST implement an ICMP Echo server function that receives Echo Requests and "
    "sends corresponding Echo Replies."
)

#: 0 and 1 are the edges; 37 is odd (the checksum's pad octet); 56 is ping's default;
#: 1472 fills an Ethernet frame (1500 - 20 - 8).
SIZES = [0, 1, 37, 56, 1472]
#: Requests sent before waiting for any reply.
IN_FLIGHT = 64


@pytest.mark.requirement(
    "icmp/rfc1122/3.2.2.6/data-returned", level="MUST", ref=REF, quote=ENTIRELY
)
@pytest.mark.parametrize("size", SIZES, ids=[f"{n}B" for n in SIZES])
def test_data_comes_back_entirely(icmp: IcmpProbe, size: int) -> None:
    """Send an echo request with ``size`` random data octets."""
    request = icmp.new_request(size=size)
    answer = icmp.exchange(request)
    expected = f"an echo reply with the same {size} data octets"
    _, reply = replied(answer, expected)
    if reply.data != request.data:
        fail(
            expected,
            f"{len(reply.data)} data octets; {describe_difference(request.data, reply.data)}",
        )


@pytest.mark.requirement(
    "icmp/rfc1122/3.2.2.6/reply-source-address", level="MUST", ref=REF, quote=SOURCE
)
def test_reply_comes_from_the_address_asked(icmp: IcmpProbe) -> None:
    """Send an echo request and note the source address of the reply."""
    request = icmp.new_request(size=32)
    answer = icmp.exchange(request)
    expected = f"the echo reply from {icmp.address}, where the request went"
    got, _ = replied(answer, expected)
    if got.source != icmp.address:
        fail(expected, f"the reply came from {got.source} ({describe(got)})")


def _all_answered(icmp: IcmpProbe, requests: list[Echo], got: list[Received]) -> bool:
    return all(any(icmp.answers(r, g) for g in got) for r in requests)


@pytest.mark.requirement(
    "icmp/rfc1122/3.2.2.6/every-request-answered", level="MUST", ref=REF, quote=EVERY
)
def test_many_requests_in_flight_are_each_answered(icmp: IcmpProbe) -> None:
    """Send 64 echo requests back to back (one identifier, 64 sequence numbers, 48
    data octets each) before reading any reply; then send again, once, those that got
    no reply (ICMP may lose a datagram)."""
    first = icmp.new_request(size=48)
    requests = [
        type(first)(
            first.type, first.identifier, (first.sequence + i) & 0xFFFF, secrets.token_bytes(48)
        )
        for i in range(IN_FLIGHT)
    ]
    waiting = list(requests)
    for attempt in (1, 2):
        for request in waiting:
            icmp.send(
                request.to_bytes(), note=f"request {request.sequence:#06x} (attempt {attempt})"
            )
        started = time.monotonic()
        kept = icmp.collect(icmp.timeout, functools.partial(_all_answered, icmp, waiting))
        waiting = [r for r in waiting if not any(icmp.answers(r, g) for g in kept)]
        if not waiting or time.monotonic() - started > icmp.timeout:
            break
    if waiting:
        fail(
            f"a reply to each of the {IN_FLIGHT} requests",
            f"{len(waiting)} of {IN_FLIGHT} got no reply after two tries "
            f"(sequence numbers {', '.join(f'{r.sequence:#06x}' for r in waiting[:8])}"
            f"{'...' if len(waiting) > 8 else ''})",
        )


@pytest.mark.requirement(
    "icmp/rfc1122/3.2.2.6/record-route-returned", level="SHOULD", ref=REF, quote=OPTIONS
)
def test_record_route_comes_back_with_the_target_in_it(icmp: IcmpProbe) -> None:
    """Send an echo request whose IP header carries an empty Record Route option with
    room for nine addresses (so the reply's header is 60 octets, not 20)."""
    icmp.require_raw("reading the reply's IP header")
    request = icmp.new_request(size=32)
    answer = icmp.exchange(request, ip_options=RECORD_ROUTE)
    expected = f"the echo reply's IP header with Record Route, {icmp.address} among its addresses"
    got, _ = replied(answer, expected)
    assert got.ip is not None
    kinds = [kind for kind, _ in ipv4_options(got.ip.options)]
    if OPTION_RECORD_ROUTE not in kinds:
        options = got.ip.options.hex(" ") or "none"
        fail(expected, f"no Record Route option in the reply's IP header (options: {options})")
    route = recorded_route(got.ip.options)
    if icmp.address not in route:
        fail(expected, f"Record Route holds {', '.join(route) or 'no address'}")

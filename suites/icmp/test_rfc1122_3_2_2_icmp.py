"""RFC 1122, 3.2.2 "Internet Control Message Protocol -- ICMP".

"If an ICMP message of unknown type is received, it MUST be silently discarded."
"""

from __future__ import annotations

import pytest

from harness.verify import fail
from reference_impls.icmp.packet import build_icmp
from suites.icmp.probe import IcmpProbe, describe

REF = "RFC 1122 §3.2.2"
UNKNOWN = "If an ICMP message of unknown type is received, it MUST be silently discarded."
#: Unassigned in IANA's ICMP type registry (44-252 are).
UNKNOWN_TYPE = 100


@pytest.mark.requirement(
    "icmp/rfc1122/3.2.2/unknown-type-discarded", level="MUST", ref=REF, quote=UNKNOWN
)
def test_message_of_unknown_type_gets_no_reply(icmp: IcmpProbe) -> None:
    """Send an ICMP message of type 100 (unassigned) shaped like an echo request, with a
    valid checksum, then a valid echo request as a control."""
    icmp.require_raw("sending an ICMP type the kernel does not send")
    request = icmp.new_request(size=24)
    message = build_icmp(UNKNOWN_TYPE, 0, request.to_bytes()[4:8], request.data)
    first, control = icmp.unanswered(request, message, f"ICMP type {UNKNOWN_TYPE}")
    if control.reply is None:
        pytest.fail(
            "the target answered no valid echo request either, so silence proves nothing",
            pytrace=False,
        )
    if first.reply is not None:
        fail("no reply to an ICMP message of unknown type", describe(first.reply))
    # Echo traffic of other programs may come from the target too; any other type
    # (an error message quoting ours) is an answer.
    errors = [g for g in first.others if g.source == icmp.address and g.message.type not in (0, 8)]
    if errors:
        fail("no message at all in answer to it", describe(errors[0]))

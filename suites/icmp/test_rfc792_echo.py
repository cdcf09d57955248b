"""RFC 792, "Echo or Echo Reply Message".

"The data received in the echo message must be returned in the echo reply message."
The reply is the request with the addresses reversed, the type changed to 0 and the
checksum recomputed: type 0, code 0, the same identifier, sequence number and data.
"""

from __future__ import annotations

import pytest

from harness.errors import ConformanceFailure
from harness.verify import fail
from reference_impls.icmp.client import Received
from reference_impls.icmp.packet import Echo, IcmpType, build_echo
from suites.icmp.probe import Answer, IcmpProbe, describe

REF = "RFC 792, Echo or Echo Reply Message"
FORM_REPLY = (
    "To form an echo reply message, the source and destination addresses are simply "
    "reversed, the type code changed to 0, and the checksum recomputed."
)
CHECKSUM = (
    "The checksum is the 16-bit ones's complement of the one's complement sum of the ICMP "
    "message starting with the ICMP Type."
)
#: The book's ping program sends exactly these octets: an echo request with
#: identifier 13, sequence number 37 and no data (Newmarch, ch. 3, "Raw sockets").
BOOK_REQUEST = bytes.fromhex("0800f7cd000d0025")
BOOK_REPLY = bytes.fromhex("0000ffcd000d0025")


def replied(
    answer: Answer, expected: str, *, by_identifier_only: bool = False
) -> tuple[Received, Echo]:
    """The reply of ``answer`` (as received, and as an echo message), or a failure
    saying that none came.

    An echo reply that matches no request (a wrong identifier, sequence number or
    source, and data too short to tell) makes the check skip: the identifier and
    source checks report that, unless ``by_identifier_only``.
    """
    __tracebackhide__ = True
    if answer.reply is None and not by_identifier_only:
        stray = [g for g in answer.others if g.message.type == IcmpType.ECHO_REPLY]
        if stray:
            pytest.skip(
                f"an echo reply came, but with another identifier, sequence number or source "
                f"({describe(stray[0])}); icmp/rfc792/echo/identifier-sequence-returned "
                "and icmp/rfc1122/3.2.2.6/reply-source-address report that"
            )
    got = answer.reply
    if got is None:
        seen = "; ".join(describe(g) for g in answer.others) or "nothing"
        raise ConformanceFailure(expected, f"no reply to the echo request (received: {seen})")
    echo = got.message.echo()
    if echo is None:
        raise ConformanceFailure(expected, f"a reply that is no echo reply: {describe(got)}")
    return got, echo


@pytest.mark.requirement(
    "icmp/rfc792/echo/reply-type-code", level="MUST", ref=REF, quote=FORM_REPLY
)
def test_reply_is_type_0_code_0(icmp: IcmpProbe) -> None:
    """Send an echo request (type 8, code 0) with 56 data octets."""
    request = icmp.new_request(size=56)
    answer = icmp.exchange(request)
    expected = "an echo reply: type 0, code 0"
    got, reply = replied(answer, expected)
    if (reply.type, reply.code) != (IcmpType.ECHO_REPLY, 0):
        fail(expected, describe(got))


@pytest.mark.requirement("icmp/rfc792/echo/reply-checksum", level="MUST", ref=REF, quote=CHECKSUM)
@pytest.mark.parametrize("size", [9, 56], ids=["9B", "56B"])
def test_reply_checksum_verifies(icmp: IcmpProbe, size: int) -> None:
    """Send an echo request with ``size`` random data octets (an odd size: the
    checksum's pad octet)."""
    answer = icmp.exchange(icmp.new_request(size=size))
    expected = "an echo reply whose checksum verifies over the whole ICMP message"
    got, _ = replied(answer, expected)
    if not got.message.checksum_ok:
        fail(expected, describe(got))


@pytest.mark.requirement(
    "icmp/rfc792/echo/identifier-sequence-returned", level="MUST", ref=REF, quote=FORM_REPLY
)
def test_identifier_and_sequence_come_back(icmp: IcmpProbe) -> None:
    """Send an echo request with a random identifier and sequence number and 32 random
    data octets (the data finds the reply if its identifier is wrong)."""
    request = icmp.new_request(size=32)
    answer = icmp.exchange(request)
    expected = (
        f"an echo reply with identifier {request.identifier:#06x} and sequence number "
        f"{request.sequence:#06x}"
    )
    _, reply = replied(answer, expected)
    if (reply.identifier, reply.sequence) != (request.identifier, request.sequence):
        fail(
            expected,
            f"identifier {reply.identifier:#06x}, sequence number {reply.sequence:#06x}",
        )


@pytest.mark.requirement("icmp/rfc792/echo/book-packet", level="MUST", ref=REF, quote=FORM_REPLY)
def test_the_books_packet_gets_the_standard_reply(icmp: IcmpProbe) -> None:
    """Send the book's exact echo request: 08 00 f7 cd 00 0d 00 25."""
    icmp.require_raw("sending the book's exact octets")
    request = Echo(IcmpType.ECHO_REQUEST, 0x000D, 0x0025)
    assert build_echo(IcmpType.ECHO_REQUEST, 0x000D, 0x0025) == BOOK_REQUEST
    answer = icmp.exchange(request, message=BOOK_REQUEST)
    expected = f"the echo reply {BOOK_REPLY.hex(' ')}"
    got, _ = replied(answer, expected, by_identifier_only=True)
    if got.raw != BOOK_REPLY:
        fail(expected, f"{got.raw.hex(' ')} ({describe(got)})")


@pytest.mark.requirement(
    "icmp/rfc792/echo/bad-checksum-discarded", level="MUST", ref=REF, quote=CHECKSUM
)
def test_request_with_a_bad_checksum_gets_no_reply(icmp: IcmpProbe) -> None:
    """Send an echo request whose checksum is off by one (so it is no echo request
    at all), then a valid one as a control."""
    icmp.require_raw("sending a wrong checksum")
    request = icmp.new_request(size=24)
    good = request.to_bytes()
    bad = request.to_bytes(checksum=int.from_bytes(good[2:4], "big") ^ 0x0001)
    first, control = icmp.unanswered(request, bad, "echo request with a wrong checksum")
    if control.reply is None:
        pytest.fail(
            "the target answered no valid echo request either, so silence proves nothing",
            pytrace=False,
        )
    if first.reply is not None:
        fail("no reply to a message whose checksum does not verify", describe(first.reply))

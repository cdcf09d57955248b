"""RFC 867, "UDP Based Daytime Service".

Another daytime service service is defined as a datagram based application on
UDP. A server listens for UDP datagrams on UDP port 13. When a datagram is
received, an answering datagram is sent containing the current date and time as
a ASCII character string (the data in the received datagram is ignored).
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail, verify_datagram
from harness.wire import Datagram, Wire
from suites.daytime.syntax import is_printable_ascii

pytestmark = pytest.mark.scheme("udp")

REF = "RFC 867, UDP Based Daytime Service"
ANSWERED = (
    "When a datagram is received, an answering datagram is sent containing the current date "
    "and time as a ASCII character string (the data in the received datagram is ignored)."
)

#: Datagrams whose content must not matter: empty, one byte, and 512 bytes of noise.
REQUESTS = {
    "empty": b"",
    "one-byte": b"\x00",
    "512-bytes": bytes((i * 37 + 11) % 256 for i in range(512)),
}


def _answer(wire: Wire, target: Target) -> tuple[Datagram, tuple[str, int]]:
    """The answer to one datagram, and where the request went.

    Skips when no answer comes: daytime/rfc867/udp/any-datagram-answered reports that
    once, instead of every check of the answer reporting it again.
    """
    endpoint = wire.udp(target)
    got, _ = endpoint.ask(b"\n")
    if got is None:
        pytest.skip(
            "no answering datagram came back "
            "(daytime/rfc867/udp/any-datagram-answered reports that)"
        )
    return got, endpoint.target


@pytest.mark.requirement(
    "daytime/rfc867/udp/any-datagram-answered", level="MUST", ref=REF, quote=ANSWERED
)
@pytest.mark.parametrize("request_data", list(REQUESTS.values()), ids=list(REQUESTS))
def test_every_datagram_gets_one_answer(target: Target, wire: Wire, request_data: bytes) -> None:
    """Send one datagram (again after a silence, up to three times: UDP may lose one);
    one answer must come back, and no more answers than datagrams sent."""
    endpoint = wire.udp(target)
    got, sends = endpoint.ask(request_data)
    verify_datagram(got, data=bool, expected="one answering datagram with the date and time")
    extra = endpoint.receive_all(window=min(0.3, endpoint.timeout))
    if len(extra) > sends - 1:
        fail(
            "exactly one answering datagram per datagram sent",
            f"{1 + len(extra)} datagrams came back for {sends} sent",
        )


@pytest.mark.requirement(
    "daytime/rfc867/udp/reply-from-target-address", level="MUST", ref=REF, quote=ANSWERED
)
def test_answer_comes_from_the_address_asked(target: Target, wire: Wire) -> None:
    """Send a datagram from an unconnected socket and note where the answer comes from.

    An answer from another address or port is not an answer to the client's request:
    a connected UDP client never sees it.
    """
    got, asked = _answer(wire, target)
    verify_datagram(
        got, source=asked, expected=f"the answer from {asked[0]}:{asked[1]}, where the request went"
    )


@pytest.mark.requirement(
    "daytime/rfc867/udp/printable-ascii", level="MUST", ref=REF, quote=ANSWERED
)
def test_answer_is_printable_ascii(target: Target, wire: Wire) -> None:
    """Send a datagram; the answer must be printable ASCII (a trailing CRLF or LF allowed)."""
    verify_datagram(
        _answer(wire, target)[0],
        data=is_printable_ascii,
        expected="printable ASCII (0x20-0x7E), a trailing CRLF or LF allowed",
    )

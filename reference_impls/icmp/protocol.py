"""The ICMP echo server function (RFC 792, RFC 1122 section 3.2.2.6), sans-IO.

:class:`EchoResponder` takes an IPv4 datagram as a raw socket hands it over and says
what to send back, if anything. The shell owns the socket; the rules live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_impls.errors import RemoteProtocolError
from reference_impls.icmp.packet import (
    OPTION_RECORD_ROUTE,
    OPTION_TIMESTAMP,
    PROTO_ICMP,
    Echo,
    IcmpType,
    ipv4_options,
    parse_icmp,
    parse_ipv4,
)

__all__ = ["EchoResponder", "Reply"]


@dataclass(frozen=True)
class Reply:
    """An echo reply to send: the ICMP message, to ``destination``, from ``source``."""

    destination: str
    #: RFC 1122: "The IP source address in an ICMP Echo Reply MUST be the same as the
    #: specific-destination address ... of the corresponding ICMP Echo Request message."
    source: str
    message: bytes
    request: Echo
    #: IP options for the reply's header: the request's Record Route and Timestamp,
    #: as received; the sending host fills in its own entry as the reply leaves
    #: (Linux does, for options handed to a raw socket)
    options: bytes = b""


class EchoResponder:
    """Answers echo requests; everything else is discarded, and counted."""

    def __init__(self) -> None:
        self.answered = 0
        self.discarded = 0

    def receive(self, datagram: bytes) -> Reply | None:
        """The reply to one received IPv4 datagram, or None (discarded silently)."""
        try:
            header, payload = parse_ipv4(datagram)
            if header.protocol != PROTO_ICMP or header.is_fragment:
                raise RemoteProtocolError("not a whole ICMP datagram")
            message = parse_icmp(payload)
        except RemoteProtocolError:
            self.discarded += 1
            return None
        echo = message.echo()
        # A message whose checksum does not verify is not the message that was sent.
        # RFC 1122: "If an ICMP message of unknown type is received, it MUST be
        # silently discarded." Replies and other codes are not requests either.
        if not message.checksum_ok or echo is None or echo.type != IcmpType.ECHO_REQUEST:
            self.discarded += 1
            return None
        try:
            kept = [
                option
                for kind, option in ipv4_options(header.options)
                if kind in (OPTION_RECORD_ROUTE, OPTION_TIMESTAMP)
            ]
        except RemoteProtocolError:
            kept = []
        # RFC 1122: "If a Record Route and/or Time Stamp option is received in an ICMP
        # Echo Request, this option (these options) SHOULD be updated to include the
        # current host and included in the IP header of the Echo Reply message".
        options = b"".join(kept)
        options += bytes(-len(options) % 4)  # End of Option List, to a 32-bit boundary
        return self.answer(header.source, header.destination, echo, options[:40])

    def answer(self, source: str, destination: str, request: Echo, options: bytes = b"") -> Reply:
        """RFC 1122: "Data received in an ICMP Echo Request MUST be entirely included
        in the resulting Echo Reply." """
        self.answered += 1
        reply = request.reply()
        return Reply(source, destination, reply.to_bytes(), request, options)

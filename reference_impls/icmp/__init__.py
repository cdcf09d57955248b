"""ICMP echo (RFC 792, RFC 1122 section 3.2.2.6) and the Internet checksum (RFC 1071)."""

from __future__ import annotations

from reference_impls.icmp.checksum import (
    incremental_update,
    internet_checksum,
    ones_complement_sum,
    update_checksum,
    verifies,
)
from reference_impls.icmp.packet import (
    Echo,
    IcmpMessage,
    IcmpType,
    IPv4Header,
    Reassembler,
    build_echo,
    build_icmp,
    build_ipv4,
    fragment,
    parse_icmp,
    parse_ipv4,
)
from reference_impls.icmp.protocol import EchoResponder, Reply

__all__ = [
    "Echo",
    "EchoResponder",
    "IPv4Header",
    "IcmpMessage",
    "IcmpType",
    "Reassembler",
    "Reply",
    "build_echo",
    "build_icmp",
    "build_ipv4",
    "fragment",
    "incremental_update",
    "internet_checksum",
    "ones_complement_sum",
    "parse_icmp",
    "parse_ipv4",
    "update_checksum",
    "verifies",
]

"""ICMP echo messages (RFC 792) and the IPv4 datagrams that carry them (RFC 791), sans-IO.

Bytes in, values out: no sockets. Parsing honours the IPv4 header's IHL, so a reply
whose header carries options (Record Route, Timestamp) is read correctly, where a
reader that skips a fixed 20 octets would take the options for the ICMP message.
:class:`Reassembler` joins IPv4 fragments (RFC 791 section 3.2, RFC 815) for shells
that see datagrams before the kernel has reassembled them.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
import struct
from dataclasses import dataclass, field

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.icmp.checksum import internet_checksum, verifies

__all__ = [
    "ECHO_HEADER_LEN",
    "IPV4_HEADER_LEN",
    "MAX_DATAGRAM",
    "Echo",
    "IPv4Header",
    "IcmpMessage",
    "IcmpType",
    "Reassembler",
    "build_echo",
    "build_icmp",
    "build_ipv4",
    "fragment",
    "ipv4_options",
    "parse_icmp",
    "parse_ipv4",
    "recorded_route",
]

#: Octets of an ICMP echo header: type, code, checksum, identifier, sequence number.
ECHO_HEADER_LEN = 8
#: Octets of an IPv4 header without options (IHL 5).
IPV4_HEADER_LEN = 20
#: RFC 791: "Total Length is the length of the datagram ... measured in octets".
MAX_DATAGRAM = 65535
#: IPv4 protocol number of ICMP.
PROTO_ICMP = 1


class IcmpType(enum.IntEnum):
    """The ICMP types the echo function uses (RFC 792, "Echo or Echo Reply Message")."""

    ECHO_REPLY = 0
    ECHO_REQUEST = 8


@dataclass(frozen=True)
class IcmpMessage:
    """Any ICMP message: the 4-octet header, the 4 octets after it, and the rest."""

    type: int
    code: int
    checksum: int
    rest_of_header: bytes
    data: bytes
    #: whether the checksum covers the message correctly
    checksum_ok: bool

    @property
    def identifier(self) -> int:
        return int.from_bytes(self.rest_of_header[:2], "big")

    @property
    def sequence(self) -> int:
        return int.from_bytes(self.rest_of_header[2:4], "big")

    def echo(self) -> Echo | None:
        """This message as an echo or echo reply (code 0 or not), or None."""
        if self.type not in (IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY):
            return None
        return Echo(self.type, self.identifier, self.sequence, self.data, code=self.code)


@dataclass(frozen=True)
class Echo:
    """An echo request (type 8) or echo reply (type 0)."""

    type: int
    identifier: int
    sequence: int
    data: bytes = b""
    code: int = 0

    def to_bytes(self, *, checksum: int | None = None) -> bytes:
        return build_echo(
            self.type, self.identifier, self.sequence, self.data, code=self.code, checksum=checksum
        )

    def reply(self) -> Echo:
        """RFC 792: "To form an echo reply message, the source and destination addresses
        are simply reversed, the type code changed to 0, and the checksum recomputed." """
        return Echo(IcmpType.ECHO_REPLY, self.identifier, self.sequence, self.data)


def build_icmp(
    type_: int, code: int, rest_of_header: bytes, data: bytes = b"", *, checksum: int | None = None
) -> bytes:
    """An ICMP message; ``checksum`` None computes the right one (give one to break it)."""
    if not (0 <= type_ <= 255 and 0 <= code <= 255):
        raise LocalProtocolError(f"ICMP type and code are octets, got {type_}, {code}")
    if len(rest_of_header) != 4:
        raise LocalProtocolError("the rest of an ICMP header is 4 octets")
    head = bytes((type_, code, 0, 0)) + rest_of_header
    if checksum is None:
        checksum = internet_checksum(head + data)
    elif not 0 <= checksum <= 0xFFFF:
        raise LocalProtocolError(f"a checksum is 16 bits, got {checksum}")
    return head[:2] + checksum.to_bytes(2, "big") + head[4:] + data


def build_echo(
    type_: int,
    identifier: int,
    sequence: int,
    data: bytes = b"",
    *,
    code: int = 0,
    checksum: int | None = None,
) -> bytes:
    """An echo request or reply message (the ICMP part, without the IP header)."""
    if not (0 <= identifier <= 0xFFFF and 0 <= sequence <= 0xFFFF):
        raise LocalProtocolError(
            f"identifier and sequence number are 16 bits, got {identifier}, {sequence}"
        )
    rest = struct.pack("!HH", identifier, sequence)
    return build_icmp(type_, code, rest, data, checksum=checksum)


def parse_icmp(message: bytes) -> IcmpMessage:
    """Read an ICMP message (what follows the IP header)."""
    if len(message) < ECHO_HEADER_LEN:
        raise RemoteProtocolError(
            f"an ICMP message has at least {ECHO_HEADER_LEN} octets, got {len(message)}",
            offset=len(message),
        )
    type_, code, checksum = struct.unpack_from("!BBH", message)
    return IcmpMessage(
        type_, code, checksum, bytes(message[4:8]), bytes(message[8:]), verifies(message)
    )


@dataclass(frozen=True)
class IPv4Header:
    """An IPv4 header (RFC 791 section 3.1). ``options`` is what IHL says follows the
    fixed 20 octets."""

    source: str
    destination: str
    protocol: int = PROTO_ICMP
    ttl: int = 64
    identification: int = 0
    dont_fragment: bool = False
    more_fragments: bool = False
    #: in octets (a multiple of 8), not in the field's 8-octet units
    fragment_offset: int = 0
    total_length: int = IPV4_HEADER_LEN
    tos: int = 0
    options: bytes = b""
    header_checksum: int = 0
    checksum_ok: bool = True

    @property
    def header_length(self) -> int:
        return IPV4_HEADER_LEN + len(self.options)

    @property
    def is_fragment(self) -> bool:
        return self.more_fragments or self.fragment_offset > 0


def parse_ipv4(datagram: bytes) -> tuple[IPv4Header, bytes]:
    """Split an IPv4 datagram into its header and payload, honouring IHL and Total Length.

    RFC 791: "Internet Header Length is the length of the internet header in 32 bit
    words, and thus points to the beginning of the data."
    """
    if len(datagram) < IPV4_HEADER_LEN:
        raise RemoteProtocolError(
            f"an IPv4 header has at least 20 octets, got {len(datagram)}", offset=len(datagram)
        )
    version_ihl, tos, total_length, ident, flags_frag, ttl, proto, checksum = struct.unpack_from(
        "!BBHHHBBH", datagram
    )
    version, ihl = version_ihl >> 4, version_ihl & 0x0F
    if version != 4:
        raise RemoteProtocolError(f"not IPv4: version {version}", offset=0)
    header_length = ihl * 4
    if ihl < 5 or header_length > len(datagram):
        raise RemoteProtocolError(
            f"IHL {ihl} ({header_length} octets) does not fit a {len(datagram)}-octet datagram",
            offset=0,
        )
    # Raw sockets on some systems hand over the datagram with Total Length already
    # reduced by the header, or in host order; what arrived is the better authority.
    end = total_length if header_length <= total_length <= len(datagram) else len(datagram)
    header = IPv4Header(
        source=socket.inet_ntoa(datagram[12:16]),
        destination=socket.inet_ntoa(datagram[16:20]),
        protocol=proto,
        ttl=ttl,
        identification=ident,
        dont_fragment=bool(flags_frag & 0x4000),
        more_fragments=bool(flags_frag & 0x2000),
        fragment_offset=(flags_frag & 0x1FFF) * 8,
        total_length=total_length,
        tos=tos,
        options=bytes(datagram[IPV4_HEADER_LEN:header_length]),
        header_checksum=checksum,
        checksum_ok=verifies(datagram[:header_length]),
    )
    return header, bytes(datagram[header_length:end])


#: IPv4 option types (RFC 791 section 3.1) that an echo reply carries back.
OPTION_RECORD_ROUTE = 7
OPTION_TIMESTAMP = 68


def ipv4_options(options: bytes) -> list[tuple[int, bytes]]:
    """The options of an IPv4 header as (type, whole option octets), without the
    one-octet End of Option List and No Operation."""
    found: list[tuple[int, bytes]] = []
    at = 0
    while at < len(options):
        kind = options[at]
        if kind == 0:
            break
        if kind == 1:
            at += 1
            continue
        if at + 1 >= len(options) or not 2 <= options[at + 1] <= len(options) - at:
            raise RemoteProtocolError(f"IPv4 option {kind} at octet {at} overruns the header")
        found.append((kind, bytes(options[at : at + options[at + 1]])))
        at += options[at + 1]
    return found


def recorded_route(options: bytes) -> list[str]:
    """The addresses a Record Route option holds so far (empty without one)."""
    for kind, option in ipv4_options(options):
        if kind == OPTION_RECORD_ROUTE and len(option) >= 3:
            end = min(option[2] - 1, len(option))
            return [socket.inet_ntoa(option[i : i + 4]) for i in range(3, end - 3, 4)]
    return []


def build_ipv4(header: IPv4Header, payload: bytes) -> bytes:
    """An IPv4 datagram: ``header``'s fields (its total length and checksum are
    computed) followed by ``payload``."""
    options = header.options
    if len(options) % 4 or len(options) > 40:
        raise LocalProtocolError("IPv4 options are padded to 32-bit words, at most 40 octets")
    if header.fragment_offset % 8 or not 0 <= header.fragment_offset <= 0x1FFF * 8:
        raise LocalProtocolError(f"fragment offset {header.fragment_offset} is not a multiple of 8")
    total = IPV4_HEADER_LEN + len(options) + len(payload)
    if total > MAX_DATAGRAM:
        raise LocalProtocolError(f"an IPv4 datagram has at most 65535 octets, not {total}")
    flags = (0x4000 if header.dont_fragment else 0) | (0x2000 if header.more_fragments else 0)
    head = (
        struct.pack(
            "!BBHHHBBH4s4s",
            0x40 | (5 + len(options) // 4),
            header.tos,
            total,
            header.identification,
            flags | header.fragment_offset // 8,
            header.ttl,
            header.protocol,
            0,
            ipaddress.IPv4Address(header.source).packed,
            ipaddress.IPv4Address(header.destination).packed,
        )
        + options
    )
    checksum = internet_checksum(head)
    return head[:10] + checksum.to_bytes(2, "big") + head[12:] + payload


def fragment(header: IPv4Header, payload: bytes, *, max_fragment: int) -> list[bytes]:
    """``payload`` in IPv4 fragments of at most ``max_fragment`` octets each (header
    included), as RFC 791's fragmentation procedure cuts it: every fragment but the
    last carries a multiple of 8 data octets and has More Fragments set."""
    room = (max_fragment - header.header_length) // 8 * 8
    if room < 8:
        raise LocalProtocolError(f"fragments of {max_fragment} octets cannot carry 8 data octets")
    if header.dont_fragment:
        raise LocalProtocolError("a datagram with Don't Fragment set may not be fragmented")
    pieces: list[bytes] = []
    for offset in range(0, max(len(payload), 1), room):
        chunk = payload[offset : offset + room]
        last = offset + room >= len(payload)
        piece = IPv4Header(
            header.source,
            header.destination,
            protocol=header.protocol,
            ttl=header.ttl,
            identification=header.identification,
            more_fragments=not last or header.more_fragments,
            fragment_offset=header.fragment_offset + offset,
            tos=header.tos,
            options=header.options,
        )
        pieces.append(build_ipv4(piece, chunk))
    return pieces


@dataclass
class _Pending:
    header: IPv4Header
    started: float
    holes: list[tuple[int, int]] = field(default_factory=lambda: [(0, MAX_DATAGRAM)])
    data: bytearray = field(default_factory=bytearray)


class Reassembler:
    """Joins IPv4 fragments into datagrams (RFC 815's hole list), with bounded memory.

    Feed each datagram with :meth:`receive`; it returns a whole datagram (a
    non-fragment as it came, or the reassembled one, with a header that is no
    longer a fragment's) or None while fragments are missing. Datagrams are keyed
    as RFC 791 says: "the combination of source, destination, protocol, and
    identifier". Incomplete ones are dropped ``timeout`` seconds after their first
    fragment (RFC 1122 section 3.3.2 recommends 60 to 120 s) or when more than
    ``max_pending`` are in progress.
    """

    def __init__(self, *, timeout: float = 60.0, max_pending: int = 64) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self._pending: dict[tuple[str, str, int, int], _Pending] = {}
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._pending)

    def receive(self, datagram: bytes, *, now: float = 0.0) -> bytes | None:
        header, payload = parse_ipv4(datagram)
        self.expire(now)
        if not header.is_fragment:
            return bytes(datagram[: header.header_length + len(payload)])
        key = (header.source, header.destination, header.protocol, header.identification)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k].started)
                del self._pending[oldest]
                self.dropped += 1
            pending = self._pending[key] = _Pending(header, now)
        first = header.fragment_offset
        last = first + len(payload)  # one past the end
        if last > MAX_DATAGRAM - pending.header.header_length:
            del self._pending[key]
            self.dropped += 1
            raise RemoteProtocolError(
                f"a fragment ends at octet {last}, past the largest datagram", offset=6
            )
        if header.fragment_offset == 0:
            pending.header = header  # the first fragment's header (and options) is kept
        holes: list[tuple[int, int]] = []
        for hole_first, hole_last in pending.holes:
            if first >= hole_last or last <= hole_first:
                holes.append((hole_first, hole_last))
                continue
            if first > hole_first:
                holes.append((hole_first, first))
            if last < hole_last and header.more_fragments:
                holes.append((last, hole_last))
        pending.holes = holes
        if len(pending.data) < last:
            pending.data.extend(bytes(last - len(pending.data)))
        pending.data[first:last] = payload
        if not header.more_fragments:
            del pending.data[last:]
            pending.holes = [(a, min(b, last)) for a, b in pending.holes if a < last]
        if pending.holes:
            return None
        del self._pending[key]
        head = pending.header
        whole = IPv4Header(
            head.source,
            head.destination,
            protocol=head.protocol,
            ttl=head.ttl,
            identification=head.identification,
            tos=head.tos,
            options=head.options,
        )
        return build_ipv4(whole, bytes(pending.data))

    def expire(self, now: float) -> None:
        """Drop the datagrams still incomplete ``timeout`` seconds after their first fragment."""
        for key in [k for k, p in self._pending.items() if now - p.started > self.timeout]:
            del self._pending[key]
            self.dropped += 1

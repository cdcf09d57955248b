"""A recording ICMP endpoint for the icmp suite: echo requests out, what came back in.

Every message sent and every one kept (from the target, or carrying an identifier
we used) goes into the check's wire log, with the peer and a short description.
Replies are matched to requests by identifier and sequence number, or by their data
when the data is long enough to be unique.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from harness.targets import Target
from harness.wire import WireLog
from reference_impls.icmp.client import (
    IcmpSocket,
    IcmpSocketUnavailable,
    Received,
    open_icmp_socket,
)
from reference_impls.icmp.packet import Echo, IcmpType, IPv4Header, fragment

__all__ = ["Answer", "IcmpProbe", "describe"]

#: Data octets at which a request's data alone identifies its reply.
UNIQUE_DATA = 8
#: How long to keep listening for an unwanted reply once a later request's reply is in.
GRACE = 0.3


def describe(got: Received) -> str:
    """One line about a received message, for wire logs and failure texts."""
    m = got.message
    text = f"type {m.type} code {m.code}"
    if m.type in (IcmpType.ECHO_REPLY, IcmpType.ECHO_REQUEST):
        text += f" id {m.identifier:#06x} seq {m.sequence:#06x}, {len(m.data)} data octets"
    text += ", checksum " + ("valid" if m.checksum_ok else f"{m.checksum:#06x} INVALID")
    if got.ip is not None and got.ip.options:
        text += f", {len(got.ip.options)} octets of IP options"
    return f"{text}, from {got.source}"


@dataclass
class Answer:
    """What came back for one request."""

    request: Echo
    sent: bytes
    reply: Received | None
    #: every other message kept while waiting
    others: list[Received] = field(default_factory=list)


class IcmpProbe:
    """ICMP to one target host, recorded in ``log``."""

    def __init__(self, target: Target, log: WireLog, timeout: float) -> None:
        try:
            self.address = socket.gethostbyname(target.host)
        except (OSError, UnicodeError) as exc:
            pytest.fail(f"cannot resolve {target.host!r}: {exc}", pytrace=False)
        if not isinstance(ipaddress.ip_address(self.address), ipaddress.IPv4Address):
            pytest.skip("the icmp suite speaks ICMP for IPv4 only")
        try:
            self.icmp: IcmpSocket = open_icmp_socket()
        except IcmpSocketUnavailable as exc:
            pytest.skip(str(exc))
        self.log = log
        self.timeout = timeout
        self.local = _local_address(self.address)
        self._sent: set[bytes] = set()
        self._identifiers: set[int] = set()
        self._raw_out: socket.socket | None = None
        self._conn = 1

    @property
    def raw(self) -> bool:
        return self.icmp.kind == "raw"

    def require_raw(self, why: str) -> None:
        if not self.raw:
            pytest.skip(
                f"{why} needs a raw socket (root or CAP_NET_RAW); only an ICMP datagram "
                "socket is open to us, whose requests the kernel writes itself"
            )

    def new_request(self, data: bytes | None = None, *, size: int = 56) -> Echo:
        """An echo request with a fresh identifier and unique data of ``size`` octets."""
        if data is None:
            data = secrets.token_bytes(size)
        identifier = self.icmp.identifier or secrets.randbelow(0xFF00) + 0x100
        self._identifiers.add(identifier)
        return Echo(IcmpType.ECHO_REQUEST, identifier, secrets.randbelow(0xFFFF) + 1, data)

    def send(self, message: bytes, note: str = "", *, ip_options: bytes = b"") -> None:
        self._sent.add(message)
        if len(message) >= 6:
            self._identifiers.add(int.from_bytes(message[4:6], "big"))
        self.icmp.send(message, self.address, ip_options=ip_options)
        self.log.record(self._conn, "tx", message, peer=self.address, note=note)

    def send_fragments(self, message: bytes, *, max_fragment: int) -> int:
        """Send ``message`` in an IPv4 datagram cut in fragments of at most
        ``max_fragment`` octets; returns how many."""
        self.require_raw("sending IP fragments")
        if self._raw_out is None:
            self._raw_out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        header = IPv4Header(self.local, self.address, identification=secrets.randbelow(0xFFFE) + 1)
        pieces = fragment(header, message, max_fragment=max_fragment)
        self._sent.add(message)
        self._identifiers.add(int.from_bytes(message[4:6], "big"))
        for number, piece in enumerate(pieces, 1):
            self._raw_out.sendto(piece, (self.address, 0))
            self.log.record(
                self._conn,
                "tx",
                piece,
                peer=self.address,
                note=f"IPv4 fragment {number} of {len(pieces)} ({len(piece)} octets)",
            )
        return len(pieces)

    def _kept(self, got: Received) -> bool:
        if got.raw in self._sent and got.source == self.local:
            return False  # what we sent, seen on its way in over loopback
        m = got.message
        ours = m.type in (IcmpType.ECHO_REPLY, IcmpType.ECHO_REQUEST) and (
            m.identifier in self._identifiers
        )
        return got.source == self.address or ours

    def collect(self, window: float, done: Callable[[list[Received]], bool]) -> list[Received]:
        """Messages kept within ``window`` seconds, until ``done`` of them says so."""
        kept: list[Received] = []
        deadline = time.monotonic() + window
        while (remaining := deadline - time.monotonic()) > 0:
            got = self.icmp.receive(remaining)
            if got is None:
                break
            if not self._kept(got):
                continue
            kept.append(got)
            self.log.record(self._conn, "rx", got.raw, peer=got.source, note=describe(got))
            if done(kept):
                break
        else:
            self.log.record(self._conn, "timeout", note=f"nothing more within {window:g} s")
        return kept

    def exchange(
        self,
        request: Echo,
        *,
        message: bytes | None = None,
        window: float | None = None,
        max_fragment: int | None = None,
        ip_options: bytes = b"",
    ) -> Answer:
        """Send ``request`` (or ``message`` in its place, e.g. with a broken checksum)
        and wait for its reply."""
        sent = request.to_bytes() if message is None else message
        if max_fragment is None:
            note = _what(request) + (f", IP options {ip_options.hex(' ')}" if ip_options else "")
            self.send(sent, note=note, ip_options=ip_options)
        else:
            self.send_fragments(sent, max_fragment=max_fragment)
        kept = self.collect(
            self.timeout if window is None else window,
            lambda got: any(self.answers(request, g) for g in got),
        )
        reply = next((g for g in kept if self.answers(request, g)), None)
        return Answer(request, sent, reply, [g for g in kept if g is not reply])

    def unanswered(self, request: Echo, message: bytes, note: str) -> tuple[Answer, Answer]:
        """Send ``message`` (which must get no reply), then a valid request as a control.

        Once the control's reply is in, listen ``GRACE`` seconds more: a reply to the
        first would have come before or with it. Returns (first, control).
        """
        self.send(message, note=note)
        control = self.new_request(size=24)
        time.sleep(0.01)
        self.send(control.to_bytes(), note="a valid echo request, as a control")
        kept = self.collect(self.timeout, lambda got: any(self.answers(control, g) for g in got))
        kept += self.collect(GRACE, lambda got: False) if kept else []
        first = next((g for g in kept if self.answers(request, g)), None)
        second = next((g for g in kept if self.answers(control, g)), None)
        rest = [g for g in kept if g is not first and g is not second]
        return Answer(request, message, first, rest), Answer(control, control.to_bytes(), second)

    def answers(self, request: Echo, got: Received) -> bool:
        """Whether ``got`` is the answer to ``request``: from the target with the same
        identifier and sequence number, or from anywhere with the same data when the
        data is long enough to be unique (so a reply from a wrong address is found;
        other programs' echo traffic, with identifiers of their own, is not)."""
        m = got.message
        if got.source == self.address and (m.identifier, m.sequence) == (
            request.identifier,
            request.sequence,
        ):
            return True
        return len(request.data) >= UNIQUE_DATA and m.data == request.data

    def close(self) -> None:
        self.icmp.close()
        if self._raw_out is not None:
            self._raw_out.close()


def _what(request: Echo) -> str:
    return (
        f"echo request id {request.identifier:#06x} seq {request.sequence:#06x}, "
        f"{len(request.data)} data octets"
    )


def _local_address(address: str) -> str:
    """The source address the host's routing picks for ``address``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((address, 9))
        return str(sock.getsockname()[0])

"""A ping client: echo requests out, echo replies matched by identifier and sequence.

It uses a raw ICMP socket when it may (root, or CAP_NET_RAW), else the Linux ICMP
datagram socket ("ping socket", for users within ``net.ipv4.ping_group_range``),
else it stops with one line saying which of the two to enable. With a datagram
socket the kernel picks the identifier (the socket's "port") and the checksum, and
hands over the ICMP message without its IP header.

``python -m reference_impls.icmp.client HOST [-c COUNT] [-s SIZE] [-w IN_FLIGHT]``
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import selectors
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from reference_impls.errors import RemoteProtocolError
from reference_impls.icmp.packet import (
    Echo,
    IcmpMessage,
    IcmpType,
    IPv4Header,
    build_echo,
    parse_icmp,
    parse_ipv4,
)

__all__ = [
    "ENABLE_HINT",
    "EchoSession",
    "IcmpSocket",
    "IcmpSocketUnavailable",
    "PingResult",
    "Received",
    "open_icmp_socket",
    "ping",
]

SocketKind = Literal["raw", "datagram"]

ENABLE_HINT = (
    "no ICMP socket: run as root or grant CAP_NET_RAW (raw socket), or allow ping "
    "sockets with sysctl -w net.ipv4.ping_group_range='0 2147483647'"
)
RECEIVE_SIZE = 65535
#: Linux: IP options for one datagram, as ancillary data of sendmsg().
IP_RETOPTS = 7


class IcmpSocketUnavailable(OSError):
    """Neither a raw ICMP socket nor an ICMP datagram socket may be opened."""


@dataclass(frozen=True)
class Received:
    """One ICMP message that arrived; ``ip`` is None from a datagram socket."""

    message: IcmpMessage
    raw: bytes
    source: str
    ip: IPv4Header | None
    at: float


class IcmpSocket:
    """An ICMP socket of either kind, with the difference between them hidden."""

    def __init__(self, sock: socket.socket, kind: SocketKind) -> None:
        self.sock = sock
        self.kind = kind
        self.sock.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)

    @property
    def identifier(self) -> int | None:
        """The identifier the kernel writes into requests (datagram sockets only)."""
        return int(self.sock.getsockname()[1]) if self.kind == "datagram" else None

    def send(self, message: bytes, host: str, *, ip_options: bytes = b"") -> None:
        """Send one ICMP message; ``ip_options`` (padded to 32 bits) go in its IP header."""
        if ip_options:
            cmsg = [(socket.IPPROTO_IP, IP_RETOPTS, ip_options)]
            self.sock.sendmsg([message], cmsg, 0, (host, 0))
        else:
            self.sock.sendto(message, (host, 0))

    def receive(self, timeout: float) -> Received | None:
        """The next ICMP message (whatever it is), or None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                data, source = self.sock.recvfrom(RECEIVE_SIZE)
            except (BlockingIOError, InterruptedError):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._selector.select(remaining):
                    return None
                continue
            except OSError:
                # A queued ICMP error for an earlier send: not a message to return.
                if time.monotonic() >= deadline:
                    return None
                continue
            try:
                ip, payload = parse_ipv4(data) if self.kind == "raw" else (None, data)
                message = parse_icmp(payload)
            except RemoteProtocolError:
                continue
            return Received(message, bytes(payload), str(source[0]), ip, time.monotonic())

    def close(self) -> None:
        self._selector.close()
        self.sock.close()


def open_icmp_socket(*, prefer: SocketKind | None = None) -> IcmpSocket:
    """A raw ICMP socket if allowed, else an ICMP datagram socket, else
    :class:`IcmpSocketUnavailable` whose message says which to enable."""
    kinds: list[SocketKind] = [prefer] if prefer else ["raw", "datagram"]
    for kind in kinds:
        type_ = socket.SOCK_RAW if kind == "raw" else socket.SOCK_DGRAM
        try:
            sock = socket.socket(socket.AF_INET, type_, socket.IPPROTO_ICMP)
        except OSError:  # EPERM, EACCES: this kind is not allowed to us
            continue
        if kind == "datagram":
            # Binding picks the identifier ("port") now, so requests can be matched.
            sock.bind(("0.0.0.0", 0))
        return IcmpSocket(sock, kind)
    raise IcmpSocketUnavailable(ENABLE_HINT)


@dataclass
class PingResult:
    sequence: int
    sent_at: float
    rtt: float | None = None
    reply: Echo | None = None
    #: why the reply does not match the request, if it does not
    problem: str = ""


@dataclass
class EchoSession:
    """Sans-IO bookkeeping of echo requests in flight: what to send, what a reply answers.

    RFC 792: "The identifier and sequence number may be used by the echo sender to
    aid in matching the replies with the echo requests."
    """

    host: str
    identifier: int = field(default_factory=lambda: secrets.randbelow(0xFFFF) + 1)
    next_sequence: int = 1
    outstanding: dict[int, tuple[float, bytes]] = field(default_factory=dict)

    def request(self, data: bytes, now: float) -> tuple[int, bytes]:
        sequence = self.next_sequence & 0xFFFF
        self.next_sequence += 1
        self.outstanding[sequence] = (now, data)
        return sequence, build_echo(IcmpType.ECHO_REQUEST, self.identifier, sequence, data)

    def receive(self, got: Received) -> PingResult | None:
        """The result a received message completes, or None if it is not ours."""
        message = got.message
        if message.type != IcmpType.ECHO_REPLY or got.source != self.host:
            return None
        if message.identifier != self.identifier or message.sequence not in self.outstanding:
            return None
        sent_at, data = self.outstanding.pop(message.sequence)
        echo = message.echo()
        problem = ""
        if not message.checksum_ok:
            problem = "bad checksum"
        elif message.data != data:
            problem = f"{len(message.data)} octets of data came back, not the {len(data)} sent"
        return PingResult(message.sequence, sent_at, got.at - sent_at, echo, problem)


@dataclass
class PingSummary:
    sent: int
    results: list[PingResult]
    seconds: float

    @property
    def answered(self) -> list[PingResult]:
        return [r for r in self.results if r.rtt is not None]


def ping(
    host: str,
    *,
    count: int = 4,
    size: int = 56,
    in_flight: int = 1,
    timeout: float = 1.0,
    sock: IcmpSocket | None = None,
) -> PingSummary:
    """Send ``count`` echo requests of ``size`` data octets, at most ``in_flight``
    unanswered at once; each is given up ``timeout`` seconds after it was sent."""
    address = str(ipaddress.IPv4Address(socket.gethostbyname(host)))
    own = sock is None
    icmp = sock or open_icmp_socket()
    session = EchoSession(address)
    if icmp.identifier is not None:
        session.identifier = icmp.identifier
    data = bytes(i & 0xFF for i in range(size))
    results: list[PingResult] = []
    started = time.monotonic()
    sent = 0
    try:
        while sent < count or session.outstanding:
            now = time.monotonic()
            while sent < count and len(session.outstanding) < in_flight:
                sequence, message = session.request(data, now)
                icmp.send(message, address)
                sent += 1
            # Requests go in in the order they were sent, so the first is the oldest.
            while session.outstanding:
                sequence, (oldest, _) = next(iter(session.outstanding.items()))
                if now - oldest <= timeout:
                    break
                del session.outstanding[sequence]
                results.append(PingResult(sequence, oldest, problem="no reply"))
            if not session.outstanding:
                continue
            got = icmp.receive(max(0.0, oldest + timeout - time.monotonic()) + 0.001)
            if got is not None and (result := session.receive(got)) is not None:
                results.append(result)
    finally:
        if own:
            icmp.close()
    return PingSummary(sent, results, time.monotonic() - started)


def main(argv: Sequence[str] | None = None) -> int:
    prog = "python -m reference_impls.icmp.client"
    parser = argparse.ArgumentParser(prog=prog, description="Send ICMP echo requests.")
    parser.add_argument("host")
    parser.add_argument("-c", "--count", type=int, default=4)
    parser.add_argument("-s", "--size", type=int, default=56, help="data octets per request")
    parser.add_argument("-w", "--in-flight", type=int, default=1)
    parser.add_argument("-W", "--timeout", type=float, default=1.0)
    args = parser.parse_args(argv)
    if not (args.count >= 1 and 0 <= args.size <= 65507 and args.in_flight >= 1):
        print(f"{prog}: error: count and in-flight must be >= 1, size 0 to 65507", file=sys.stderr)
        return 2
    try:
        summary = ping(
            args.host,
            count=args.count,
            size=args.size,
            in_flight=args.in_flight,
            timeout=args.timeout,
        )
    except IcmpSocketUnavailable as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: error: {args.host}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for result in sorted(summary.results, key=lambda r: r.sequence):
        if result.rtt is None:
            print(f"seq={result.sequence} {result.problem}")
        else:
            extra = f" ({result.problem})" if result.problem else ""
            print(f"seq={result.sequence} time={result.rtt * 1000:.3f} ms{extra}")
    answered = len(summary.answered)
    rate = answered / summary.seconds if summary.seconds else 0.0
    print(f"{summary.sent} sent, {answered} answered, {rate:.0f} replies/s")
    return 0 if answered == summary.sent else 1


if __name__ == "__main__":
    sys.exit(main())

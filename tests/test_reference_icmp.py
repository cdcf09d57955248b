"""The ICMP reference: echo messages, IPv4 headers with options, fragments and their
reassembly, the responder's core, and the ping client against the kernel."""

from __future__ import annotations

import random
import socket
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.icmp.client import IcmpSocketUnavailable, open_icmp_socket, ping
from reference_impls.icmp.packet import (
    Echo,
    IcmpType,
    IPv4Header,
    Reassembler,
    build_echo,
    build_icmp,
    build_ipv4,
    fragment,
    ipv4_options,
    parse_icmp,
    parse_ipv4,
    recorded_route,
)
from reference_impls.icmp.protocol import EchoResponder

#: Record Route (RFC 791): type 7, length 7, pointer 4, one empty slot, then a NOP
#: to fill the 32-bit word; the book's ping would take these octets for ICMP.
RECORD_ROUTE = bytes([7, 7, 4]) + bytes(4) + b"\x01"


def datagram(message: bytes, *, options: bytes = b"", source: str = "192.0.2.9") -> bytes:
    return build_ipv4(IPv4Header(source, "198.18.0.2", options=options), message)


def test_the_books_packet_round_trips() -> None:
    message = build_echo(IcmpType.ECHO_REQUEST, 13, 37)
    assert message == bytes.fromhex("0800f7cd000d0025")
    parsed = parse_icmp(message)
    assert parsed.checksum_ok
    echo = parsed.echo()
    assert echo == Echo(IcmpType.ECHO_REQUEST, 13, 37)
    assert echo.reply().to_bytes() == bytes.fromhex("0000ffcd000d0025")


def test_ihl_is_honoured_when_the_header_has_options() -> None:
    """A reply carrying Record Route: the ICMP message starts after 28 octets, not 20."""
    reply = build_echo(IcmpType.ECHO_REPLY, 0x1234, 7, b"payload")
    header, payload = parse_ipv4(datagram(reply, options=RECORD_ROUTE))
    assert header.header_length == 28 and header.options == RECORD_ROUTE
    assert header.checksum_ok
    assert payload == reply
    fixed = parse_icmp(datagram(reply, options=RECORD_ROUTE)[20:])  # what a fixed skip reads
    assert not fixed.checksum_ok


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x45" + bytes(10), "at least 20 octets"),
        (b"\x65" + bytes(19), "not IPv4"),
        (b"\x4f" + bytes(19), "IHL 15"),
        (b"\x44" + bytes(19), "IHL 4"),
    ],
)
def test_bad_ipv4_headers_are_the_peers_error(data: bytes, why: str) -> None:
    with pytest.raises(RemoteProtocolError, match=why):
        parse_ipv4(data)


def test_short_icmp_message_is_the_peers_error() -> None:
    with pytest.raises(RemoteProtocolError, match="at least 8"):
        parse_icmp(b"\x00\x00\xff")


def test_misuse_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        build_echo(8, 0x10000, 0)
    with pytest.raises(LocalProtocolError):
        build_icmp(8, 0, b"\x00")
    with pytest.raises(LocalProtocolError):
        fragment(
            IPv4Header("192.0.2.1", "192.0.2.2", dont_fragment=True), bytes(100), max_fragment=60
        )
    with pytest.raises(LocalProtocolError):
        build_ipv4(IPv4Header("192.0.2.1", "192.0.2.2"), bytes(65536))


@given(st.binary(max_size=4000), st.integers(28, 1500), st.randoms(use_true_random=False))
def test_fragments_reassemble_in_any_order(payload: bytes, size: int, rnd: random.Random) -> None:
    header = IPv4Header("192.0.2.1", "198.18.0.2", identification=4242)
    pieces = fragment(header, payload, max_fragment=size)
    assert all(len(p) <= size for p in pieces)
    rnd.shuffle(pieces)
    if len(pieces) > 1:
        pieces.insert(1, pieces[0])  # a duplicate fragment changes nothing
    reassembler = Reassembler()
    whole = [r for p in pieces if (r := reassembler.receive(p)) is not None]
    assert len(whole) == 1
    got_header, got_payload = parse_ipv4(whole[0])
    assert got_payload == payload and not got_header.is_fragment
    assert len(reassembler) == 0


def test_reassembly_state_is_bounded() -> None:
    reassembler = Reassembler(timeout=30, max_pending=4)
    for ident in range(10):
        first = fragment(
            IPv4Header("192.0.2.1", "198.18.0.2", identification=ident), bytes(64), max_fragment=40
        )[0]
        assert reassembler.receive(first, now=float(ident)) is None
    assert len(reassembler) == 4 and reassembler.dropped == 6
    reassembler.expire(100.0)
    assert len(reassembler) == 0


@given(st.binary(max_size=200))
def test_any_octets_parse_or_raise_the_protocols_error(data: bytes) -> None:
    """The fuzz oracle: parse, or RemoteProtocolError; the responder never raises."""
    try:
        _, payload = parse_ipv4(data)
        parse_icmp(payload)
    except RemoteProtocolError:
        pass
    EchoResponder().receive(data)


def test_responder_answers_an_echo_request() -> None:
    core = EchoResponder()
    request = build_echo(IcmpType.ECHO_REQUEST, 0xBEEF, 3, b"odd")
    reply = core.receive(datagram(request, options=RECORD_ROUTE))
    assert reply is not None
    assert (reply.destination, reply.source) == ("192.0.2.9", "198.18.0.2")
    assert reply.message == build_echo(IcmpType.ECHO_REPLY, 0xBEEF, 3, b"odd")
    assert core.answered == 1


@pytest.mark.parametrize(
    "message",
    [
        build_echo(IcmpType.ECHO_REQUEST, 1, 1, b"x", checksum=0x1234),  # bad checksum
        build_icmp(100, 0, bytes(4), b"unknown type"),
        build_echo(IcmpType.ECHO_REPLY, 1, 1, b"a reply"),
        build_icmp(3, 1, bytes(4), bytes(28)),  # destination unreachable
    ],
    ids=["bad-checksum", "unknown-type", "echo-reply", "unreachable"],
)
def test_responder_discards_everything_else(message: bytes) -> None:
    core = EchoResponder()
    assert core.receive(datagram(message)) is None
    assert core.discarded == 1


def test_no_socket_is_one_line_saying_what_to_enable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(socket, "socket", refuse)
    with pytest.raises(IcmpSocketUnavailable) as excinfo:
        open_icmp_socket()
    text = str(excinfo.value)
    assert "CAP_NET_RAW" in text and "ping_group_range" in text and "\n" not in text


def test_ping_with_many_in_flight_against_the_kernel() -> None:
    try:
        open_icmp_socket().close()
    except IcmpSocketUnavailable as exc:
        pytest.skip(str(exc))
    summary = ping("127.0.0.1", count=300, size=56, in_flight=32, timeout=2.0)
    assert summary.sent == 300
    assert len(summary.answered) == 300, [r for r in summary.results if r.rtt is None][:3]
    assert sorted(r.sequence for r in summary.results) == list(range(1, 301))
    assert not [r.problem for r in summary.results if r.problem]


def test_ping_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reference_impls.icmp.client", "127.0.0.1", "-c", "3", "-w", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if "no ICMP socket" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("3 sent, 3 answered")


def test_responder_command_line_errors_are_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reference_impls.icmp.responder", "--address", "nowhere"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "IPv4 address" in done.stderr


def test_record_route_is_read_and_echoed() -> None:
    """RFC 1122 §3.2.2.6: a Record Route option goes back in the reply's IP header."""
    filled = bytes([7, 11, 8]) + bytes([192, 0, 2, 9]) + bytes(4) + b"\x01"
    assert ipv4_options(filled) == [(7, filled[:11])]
    assert recorded_route(filled) == ["192.0.2.9"]
    assert recorded_route(RECORD_ROUTE) == []
    core = EchoResponder()
    reply = core.receive(datagram(build_echo(8, 1, 2, b"rr"), options=filled))
    assert reply is not None and reply.options == filled[:11] + b"\x00"
    with pytest.raises(RemoteProtocolError, match="overruns"):
        ipv4_options(bytes([7, 40, 4, 0]))

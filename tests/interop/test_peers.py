"""Sanity checks: each peer fixture yields working daytime and echo services."""

from __future__ import annotations

import socket

import pytest

from .peers import SERVICES, PeerMap

pytestmark = pytest.mark.interop

TIMEOUT = 5.0


@pytest.fixture(params=["go_peer", "xinetd_peer"])
def peer(request: pytest.FixtureRequest) -> PeerMap:
    mapping: PeerMap = request.getfixturevalue(request.param)
    return mapping


def recv_until_eof(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """Read until the peer's FIN (bounded by ``limit`` bytes and the socket timeout)."""
    data = bytearray()
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
    raise AssertionError(f"no end of stream after {limit} bytes")


def udp_exchange(address: tuple[str, int], payload: bytes, attempts: int = 3) -> bytes:
    """Send ``payload`` and return the reply, resending (bounded) if none comes.

    xinetd discards datagrams that arrive while it finishes the previous one, so a
    client must be ready to resend, as any UDP client must.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT / attempts)
        for _ in range(attempts):
            sock.sendto(payload, address)
            try:
                reply, source = sock.recvfrom(65535)
            except TimeoutError:
                continue
            assert source == address
            return reply
    raise AssertionError(f"no reply from {address} to {attempts} datagrams")


def test_mapping_shape(peer: PeerMap) -> None:
    assert sorted(peer) == sorted(SERVICES)
    for host, port in peer.values():
        assert host == "127.0.0.1"
        assert 0 < port < 65536


def test_daytime_tcp_sends_printable_text_then_closes(peer: PeerMap) -> None:
    with socket.create_connection(peer["daytime", "tcp"], timeout=TIMEOUT) as sock:
        data = recv_until_eof(sock, limit=4096)
    text = data.decode("ascii").rstrip("\r\n")
    assert text
    assert text.isprintable()


def test_daytime_udp_answers_a_datagram(peer: PeerMap) -> None:
    reply = udp_exchange(peer["daytime", "udp"], b"what time is it?")
    text = reply.decode("ascii").rstrip("\r\n")
    assert text
    assert text.isprintable()


def test_echo_tcp_echoes_and_closes_after_shutdown(peer: PeerMap) -> None:
    payload = bytes(range(256))
    with socket.create_connection(peer["echo", "tcp"], timeout=TIMEOUT) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        assert recv_until_eof(sock, limit=4096) == payload


def test_echo_udp_echoes_a_1000_byte_datagram(peer: PeerMap) -> None:
    payload = bytes(i % 251 for i in range(1000))
    assert udp_exchange(peer["echo", "udp"], payload) == payload

"""Unit tests for ``harness.wire``: recording TCP and UDP clients against tiny in-test peers.

Every peer is a thread on 127.0.0.1 port 0 whose sockets carry timeouts; every wire call
is bounded by the ``Wire`` timeout, so nothing here can hang.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from harness.errors import ConformanceFailure
from harness.fuzzers.streams import chops
from harness.targets import Target
from harness.wire import Datagram, End, Observation, TcpConnection, Wire, WireEvent, WireLog

PEER_TIMEOUT = 5.0
LOCALHOST = "127.0.0.1"


# -- in-test peers -----------------------------------------------------------------------


class Peer:
    """One accepted connection handled by ``handler`` in a thread."""

    def __init__(
        self, handler: Callable[[socket.socket, Peer], None], *, rcvbuf: int | None = None
    ) -> None:
        self.handler = handler
        self.stop = threading.Event()
        self.go = threading.Event()  #: set by a test when the peer may act
        self.errors: list[BaseException] = []
        self.seen: dict[str, Any] = {}
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.settimeout(PEER_TIMEOUT)
        if rcvbuf is not None:
            # Set before listen() so the accepted socket inherits it (and the small window).
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.listener.bind((LOCALHOST, 0))
        self.listener.listen(1)
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def target(self) -> Target:
        return Target("tcp", LOCALHOST, self.port)

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError as exc:
            self.errors.append(exc)
            return
        with conn:
            conn.settimeout(PEER_TIMEOUT)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.handler(conn, self)
            except Exception as exc:
                self.errors.append(exc)


@contextmanager
def peer(
    handler: Callable[[socket.socket, Peer], None], *, rcvbuf: int | None = None
) -> Iterator[Peer]:
    p = Peer(handler, rcvbuf=rcvbuf)
    p.thread.start()
    try:
        yield p
    finally:
        p.stop.set()
        p.thread.join(PEER_TIMEOUT)
        p.listener.close()
    assert not p.thread.is_alive(), "the in-test peer did not finish"
    assert not p.errors, p.errors


def read_to_end(conn: socket.socket) -> bytes:
    data = bytearray()
    while chunk := conn.recv(65536):
        data += chunk
    return bytes(data)


def hold_open(conn: socket.socket, p: Peer) -> None:
    p.stop.wait(PEER_TIMEOUT)


def reset_now(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOCALHOST, 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def kinds(log: WireLog) -> list[str]:
    return [e.kind for e in log.events]


@pytest.fixture
def wire() -> Iterator[Wire]:
    w = Wire(timeout=2.0)
    yield w
    w.close_all()


# -- reading a stream: written whole, a byte at a time, split at random points -------------

PAYLOAD = bytes(range(32, 127)) + b"\r\n" + bytes(range(0, 24)) + b"END"


def _write_whole(conn: socket.socket) -> None:
    conn.sendall(PAYLOAD)


def _write_bytewise(conn: socket.socket) -> None:
    for i in range(len(PAYLOAD)):
        conn.sendall(PAYLOAD[i : i + 1])
        time.sleep(0.0005)


def _write_random(conn: socket.socket) -> None:
    offset = 0
    for size in chops(len(PAYLOAD), seed=867, largest=13):
        conn.sendall(PAYLOAD[offset : offset + size])
        offset += size
        time.sleep(0.001)


WRITERS: dict[str, Callable[[socket.socket], None]] = {
    "whole": _write_whole,
    "bytewise": _write_bytewise,
    "random": _write_random,
}


def _read_whole(conn: TcpConnection) -> bytes:
    obs = conn.receive(len(PAYLOAD))
    assert obs.end is End.OPEN
    return obs.received


def _read_bytewise(conn: TcpConnection) -> bytes:
    got = b""
    for _ in PAYLOAD:
        obs = conn.receive(1)
        assert (len(obs.received), obs.end) == (1, End.OPEN)
        got += obs.received
    return got


def _read_random(conn: TcpConnection) -> bytes:
    got = b""
    for size in chops(len(PAYLOAD), seed=13, largest=29):
        obs = conn.receive(size)
        assert (len(obs.received), obs.end) == (size, End.OPEN)
        got += obs.received
    return got


def _read_until(conn: TcpConnection) -> bytes:
    line = conn.receive(until=lambda b: b"\r\n" in b)
    assert line.end is End.OPEN
    assert b"\r\n" in line.received
    rest = conn.receive(until=lambda b: (line.received + b).endswith(b"END"))
    assert rest.end is End.OPEN
    return line.received + rest.received


def _read_until_closed(conn: TcpConnection) -> bytes:
    obs = conn.events_until_closed()
    assert obs.end is End.FIN
    return obs.received


READERS: dict[str, Callable[[TcpConnection], bytes]] = {
    "whole": _read_whole,
    "bytewise": _read_bytewise,
    "random": _read_random,
    "until": _read_until,
    "until_closed": _read_until_closed,
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("writer", WRITERS)
def test_stream_is_read_completely_however_it_is_cut(writer: str, reader: str, wire: Wire) -> None:
    with peer(lambda conn, p: WRITERS[writer](conn)) as p:
        conn = wire.connect(p.target)
        assert READERS[reader](conn) == PAYLOAD
        after = conn.events_until_closed()
    assert (after.received, after.end) == (b"", End.FIN)
    assert wire.log.total["rx"] == len(PAYLOAD)
    assert b"".join(e.data for e in wire.log.events if e.kind == "rx") == PAYLOAD
    assert kinds(wire.log)[0] == "connect"
    assert kinds(wire.log)[-1] == "fin"


def test_receive_size_leaves_the_rest_for_the_next_read(wire: Wire) -> None:
    with peer(lambda conn, p: (conn.sendall(b"hello world"), hold_open(conn, p))) as p:
        conn = wire.connect(p.target)
        first = conn.receive(5)
        second = conn.receive(6)
        assert (first.received, first.end) == (b"hello", End.OPEN)
        assert (second.received, second.end) == (b" world", End.OPEN)


def test_receive_until_returns_open_when_satisfied(wire: Wire) -> None:
    with peer(lambda conn, p: (conn.sendall(b"line one\r\n"), hold_open(conn, p))) as p:
        conn = wire.connect(p.target)
        obs = conn.receive(until=lambda b: b.endswith(b"\r\n"))
    assert obs == Observation(b"line one\r\n", End.OPEN, obs.elapsed)
    assert obs.elapsed < 1.0
    assert "timeout" not in kinds(wire.log)


# -- how a stream ends ---------------------------------------------------------------------


def test_fin_is_observed(wire: Wire) -> None:
    with peer(lambda conn, p: conn.sendall(b"bye\r\n")) as p:
        conn = wire.connect(p.target)
        obs = conn.events_until_closed()
    assert (obs.received, obs.end) == (b"bye\r\n", End.FIN)
    assert conn.end is End.FIN
    assert kinds(wire.log) == ["connect", "rx", "fin"]
    again = conn.receive(10)  # the FIN stays observed
    assert (again.received, again.end) == (b"", End.FIN)


def _reset_when_told(conn: socket.socket, p: Peer) -> None:
    # Waits for the test: a reset racing connect() would fail the connect itself.
    p.go.wait(PEER_TIMEOUT)
    reset_now(conn)


def test_rst_is_observed(wire: Wire) -> None:
    with peer(_reset_when_told) as p:
        conn = wire.connect(p.target)
        p.go.set()
        obs = conn.events_until_closed()
    assert (obs.received, obs.end) == (b"", End.RST)
    assert "rst" in kinds(wire.log)
    assert "the connection reset (RST)" in obs.describe()


def test_rst_after_data_is_observed(wire: Wire) -> None:
    def handler(conn: socket.socket, p: Peer) -> None:
        conn.sendall(b"hello")
        p.seen["ack"] = conn.recv(1)
        reset_now(conn)

    with peer(handler) as p:
        conn = wire.connect(p.target)
        hello = conn.receive(5)
        assert conn.send(b"k") == 1
        obs = conn.events_until_closed()
    assert (hello.received, hello.end) == (b"hello", End.OPEN)
    assert p.seen["ack"] == b"k"
    assert (obs.received, obs.end) == (b"", End.RST)


def test_silence_is_a_timeout(wire: Wire) -> None:
    with peer(hold_open) as p:
        conn = wire.connect(p.target)
        obs = conn.events_until_closed(timeout=0.2)
    assert (obs.received, obs.end) == (b"", End.TIMEOUT)
    assert 0.2 <= obs.elapsed < 1.0
    event = wire.log.events[-1]
    assert (event.kind, event.note) == ("timeout", "nothing for 0.2 s")
    assert obs.describe().startswith("no bytes, then silence until the timeout after 0.")


def test_partial_reply_then_silence_is_a_timeout_with_the_bytes(wire: Wire) -> None:
    with peer(lambda conn, p: (conn.sendall(b"abc"), hold_open(conn, p))) as p:
        conn = wire.connect(p.target)
        obs = conn.receive(10, timeout=0.2)
    assert (obs.received, obs.end) == (b"abc", End.TIMEOUT)


def test_timeout_restarts_whenever_bytes_arrive() -> None:
    trickle = b"0123456789"

    def handler(conn: socket.socket, p: Peer) -> None:
        for i in range(len(trickle)):
            conn.sendall(trickle[i : i + 1])
            time.sleep(0.1)

    wire = Wire(timeout=0.3)
    try:
        with peer(handler) as p:
            conn = wire.connect(p.target)
            obs = conn.events_until_closed()
    finally:
        wire.close_all()
    assert (obs.received, obs.end) == (trickle, End.FIN)
    assert obs.elapsed > 0.8  # far beyond the 0.3 s timeout: it restarted with each byte
    assert "timeout" not in kinds(wire.log)


# -- sending ---------------------------------------------------------------------------------


def _echo(conn: socket.socket, p: Peer) -> None:
    while chunk := conn.recv(65536):
        conn.sendall(chunk)


def test_send_8_mib_to_an_echo_peer_drains_and_does_not_deadlock(wire: Wire) -> None:
    data = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    with peer(_echo) as p:
        conn = wire.connect(p.target)
        started = time.monotonic()
        assert conn.send(data) == len(data)
        conn.shutdown_write()
        obs = conn.events_until_closed()
    assert time.monotonic() - started < 4.0
    assert obs.end is End.FIN
    assert len(obs.received) == len(data)
    assert obs.received == data
    assert wire.log.total == {"tx": len(data), "rx": len(data)}
    assert wire.log.cut


def test_send_to_a_peer_that_never_reads_stops_after_the_timeout() -> None:
    data = b"x" * (4 * 1024 * 1024)
    wire = Wire(timeout=0.3)
    try:
        with peer(hold_open, rcvbuf=4096) as p:
            conn = wire.connect(p.target)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
            started = time.monotonic()
            sent = conn.send(data)
            took = time.monotonic() - started
    finally:
        wire.close_all()
    assert 0 < sent < len(data)
    assert 0.3 <= took < 2.0
    assert wire.log.total["tx"] == sent
    stalls = [e for e in wire.log.events if e.kind == "timeout"]
    assert len(stalls) == 1
    assert "send stalled for 0.3 s" in stalls[0].note
    assert f"{len(data) - sent} bytes unsent" in stalls[0].note


def test_send_chunks_writes_each_chunk(wire: Wire) -> None:
    chunks = [b"ab", b"c", b"defg"]
    with peer(lambda conn, p: p.seen.update(got=read_to_end(conn))) as p:
        conn = wire.connect(p.target)
        assert conn.send_chunks(chunks) == 7
        conn.shutdown_write()
        obs = conn.events_until_closed()
    assert p.seen["got"] == b"abcdefg"
    assert obs.end is End.FIN
    assert [e.data for e in wire.log.events if e.kind == "tx"] == chunks


def test_exchange_sends_and_reads_as_many_bytes(wire: Wire) -> None:
    with peer(_echo) as p:
        conn = wire.connect(p.target)
        obs = conn.exchange(b"ping", chunks=[b"p", b"ing"])
        conn.close()
    assert (obs.received, obs.end) == (b"ping", End.OPEN)


# -- closing -------------------------------------------------------------------------------


def test_shutdown_write_half_closes(wire: Wire) -> None:
    def handler(conn: socket.socket, p: Peer) -> None:
        got = read_to_end(conn)  # ends at our FIN
        conn.sendall(b"got %d" % len(got))

    with peer(handler) as p:
        conn = wire.connect(p.target)
        conn.send(b"abc")
        conn.shutdown_write()
        obs = conn.events_until_closed()
    assert (obs.received, obs.end) == (b"got 3", End.FIN)
    assert kinds(wire.log) == ["connect", "tx", "shutdown", "rx", "fin"]


def test_reset_aborts_the_connection(wire: Wire) -> None:
    def handler(conn: socket.socket, p: Peer) -> None:
        try:
            p.seen["got"] = read_to_end(conn)
        except ConnectionResetError:
            p.seen["reset"] = True

    with peer(handler) as p:
        conn = wire.connect(p.target)
        conn.send(b"x")
        conn.reset()
        conn.reset()  # a second reset does nothing
        conn.close()  # nor does a close after it
    assert p.seen == {"reset": True}
    assert conn.closed
    assert kinds(wire.log) == ["connect", "tx", "abort"]
    assert "SO_LINGER 0" in wire.log.events[-1].note


def test_close_is_logged_once(wire: Wire) -> None:
    with peer(lambda conn, p: p.seen.update(got=read_to_end(conn))) as p:
        conn = wire.connect(p.target)
        conn.close()
        conn.close()
    assert p.seen["got"] == b""
    assert kinds(wire.log) == ["connect", "close"]


def test_connect_to_a_closed_port_is_a_conformance_failure(wire: Wire) -> None:
    port = closed_port()
    with pytest.raises(ConformanceFailure) as info:
        wire.connect(Target("tcp", LOCALHOST, port))
    assert info.value.expected == ("the connection accepted",)
    assert f"connect to tcp://127.0.0.1:{port} failed" in info.value.actual
    (event,) = wire.log.events
    assert (event.kind, event.peer) == ("refused", f"127.0.0.1:{port}")


def test_reset_during_connect_is_logged_as_a_reset(
    wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reset(*args: object, **kwargs: object) -> socket.socket:
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(socket, "create_connection", reset)
    with pytest.raises(ConformanceFailure, match="Connection reset by peer"):
        wire.connect(Target("tcp", LOCALHOST, 7))
    (event,) = wire.log.events
    assert event.kind == "rst"


def test_connect_needs_a_port(wire: Wire) -> None:
    with pytest.raises(ValueError, match="no port"):
        wire.connect(Target("tcp", LOCALHOST))


def test_connections_are_numbered_and_closed_together(wire: Wire) -> None:
    with peer(hold_open) as p1, peer(hold_open) as p2:
        c1 = wire.connect(p1.target)
        c2 = wire.connect(p2.target)
        assert (c1.id, c2.id) == (1, 2)
        assert list(wire) == [c1, c2]
        wire.close_all()
        assert c1.closed and c2.closed
        assert list(wire) == []
    assert [e.conn for e in wire.log.events if e.kind == "close"] == [1, 2]


# -- UDP -----------------------------------------------------------------------------------


@contextmanager
def udp_peer(
    replies: Callable[[bytes], list[bytes]], *, other_socket: bool = False
) -> Iterator[tuple[Target, int]]:
    """Answers each datagram with ``replies(data)``, from its own port or another socket's.

    Yields the target and the port the replies come from.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOCALHOST, 0))
    sock.settimeout(0.05)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((LOCALHOST, 0))
    other.settimeout(PEER_TIMEOUT)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                data, source = sock.recvfrom(65536)
            except TimeoutError:
                continue
            for reply in replies(data):
                (other if other_socket else sock).sendto(reply, source)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        replier = other if other_socket else sock
        yield Target("udp", LOCALHOST, sock.getsockname()[1]), replier.getsockname()[1]
    finally:
        stop.set()
        thread.join(PEER_TIMEOUT)
        sock.close()
        other.close()
    assert not thread.is_alive()


def test_udp_send_receive_records_the_source(wire: Wire) -> None:
    with udp_peer(lambda d: [d.upper()]) as (target, _):
        endpoint = wire.udp(target)
        endpoint.send(b"ping")
        got = endpoint.receive()
    assert got == Datagram(b"PING", (LOCALHOST, target.port))
    assert [(e.kind, e.data, e.peer) for e in wire.log.events] == [
        ("tx", b"ping", f"127.0.0.1:{target.port}"),
        ("rx", b"PING", f"127.0.0.1:{target.port}"),
    ]


def test_udp_reply_from_another_port_is_recorded_as_such(wire: Wire) -> None:
    with udp_peer(lambda d: [d], other_socket=True) as (target, reply_port):
        endpoint = wire.udp(target)
        endpoint.send(b"where from?")
        got = endpoint.receive()
    assert reply_port != target.port
    assert got == Datagram(b"where from?", (LOCALHOST, reply_port))
    assert wire.log.events[-1].peer == f"127.0.0.1:{reply_port}"
    assert wire.log.events[0].peer == f"127.0.0.1:{target.port}"


def test_udp_receive_all_collects_every_datagram_in_the_window(wire: Wire) -> None:
    with udp_peer(lambda d: [d + b"1", d + b"2", d + b"3"]) as (target, _):
        endpoint = wire.udp(target)
        endpoint.send(b"n")
        got = endpoint.receive_all(0.2)
    assert [d.data for d in got] == [b"n1", b"n2", b"n3"]
    assert {d.source for d in got} == {(LOCALHOST, target.port)}


def test_udp_silence_is_none_and_logged(wire: Wire) -> None:
    with udp_peer(lambda d: []) as (target, _):
        endpoint = wire.udp(target)
        endpoint.send(b"anyone?")
        started = time.monotonic()
        got = endpoint.receive(timeout=0.2)
        took = time.monotonic() - started
    assert got is None
    assert 0.2 <= took < 1.0
    assert (wire.log.events[-1].kind, wire.log.events[-1].note) == (
        "timeout",
        "no datagram for 0.2 s",
    )


# -- WireLog ---------------------------------------------------------------------------------


def test_log_keeps_the_first_max_bytes_and_marks_the_cut() -> None:
    log = WireLog(max_bytes=16)
    log.record(1, "tx", b"0123456789")
    assert not log.cut
    log.record(1, "rx", b"abcdefghij")
    log.record(1, "rx", b"klmnop")
    assert log.cut
    assert [(e.kind, e.data, e.length) for e in log.events] == [
        ("tx", b"0123456789", 10),
        ("rx", b"abcdef", 10),
        ("rx", b"", 6),
    ]
    assert log.kept_bytes == 16
    assert log.total == {"tx": 10, "rx": 16}


def test_log_merges_transfers_past_max_events() -> None:
    log = WireLog(max_bytes=1 << 30, max_events=5)
    for i in range(20):
        log.record(1, "rx", bytes([i]))
    assert len(log.events) == 5
    merged = log.events[-1]
    assert merged.data == bytes(range(4, 20))
    assert merged.length == 16
    assert merged.note == "merged"
    assert log.total["rx"] == 20


def test_log_does_not_merge_across_connections_or_kinds_before_the_cap() -> None:
    log = WireLog()
    log.record(1, "tx", b"a")
    log.record(1, "tx", b"b")
    log.record(2, "tx", b"c")
    log.record(2, "rx", b"d")
    assert [(e.conn, e.kind, e.data) for e in log.events] == [
        (1, "tx", b"a"),
        (1, "tx", b"b"),
        (2, "tx", b"c"),
        (2, "rx", b"d"),
    ]


def test_a_16_mib_stream_gives_a_bounded_log() -> None:
    log = WireLog()
    piece = b"\xab" * 4096
    for _ in range(16 * 1024 * 1024 // len(piece)):
        log.record(1, "rx", piece)
    assert len(log.events) <= log.max_events
    assert sum(e.length for e in log.events) == 16 * 1024 * 1024
    assert sum(len(e.data) for e in log.events) == log.max_bytes
    assert log.cut


def test_an_interleaved_16_mib_echo_stream_gives_a_bounded_log() -> None:
    log = WireLog()
    piece = b"\xab" * 4096
    for _ in range(8 * 1024 * 1024 // len(piece)):
        log.record(1, "tx", piece)
        log.record(1, "rx", piece)
    assert log.total == {"tx": 8 * 1024 * 1024, "rx": 8 * 1024 * 1024}
    assert len(log.events) <= log.max_events + 2


def test_log_to_dict_is_json_serialisable() -> None:
    log = WireLog(max_bytes=4)
    log.record(1, "connect", peer="127.0.0.1:7", note="from 127.0.0.1:5000")
    log.record(1, "tx", b"\x00\xffab\r\n")
    log.record(1, "fin")
    data = json.loads(json.dumps(log.to_dict()))
    assert data["cut"] is True
    assert data["cut_at_bytes"] == 4
    assert (data["total_tx"], data["total_rx"]) == (6, 0)
    connect, tx, fin = data["events"]
    assert connect == {
        "t": connect["t"],
        "conn": 1,
        "kind": "connect",
        "peer": "127.0.0.1:7",
        "note": "from 127.0.0.1:5000",
    }
    assert tx == {"t": tx["t"], "conn": 1, "kind": "tx", "len": 6, "hex": "00ff6162"}
    assert fin == {"t": fin["t"], "conn": 1, "kind": "fin"}
    assert 0 <= connect["t"] <= tx["t"] <= fin["t"]


def test_a_real_exchange_log_is_json_serialisable(wire: Wire) -> None:
    with peer(_echo) as p:
        conn = wire.connect(p.target)
        conn.exchange(bytes(range(256)))
        conn.close()
    text = json.dumps(wire.log.to_dict())
    kinds_seen = [e["kind"] for e in json.loads(text)["events"]]
    assert kinds_seen == ["connect", "tx", "rx", "close"]


def test_log_reset_starts_over() -> None:
    log = WireLog(max_bytes=2)
    log.record(1, "tx", b"abc")
    log.reset()
    assert (log.events, log.kept_bytes, log.total, log.cut) == ([], 0, {"tx": 0, "rx": 0}, False)


def test_wire_event_to_dict_in_milliseconds() -> None:
    event = WireEvent(0.0012345, 3, "rx", b"\x01", 1, peer="[::1]:7")
    assert event.to_dict() == {
        "t": 1.234,
        "conn": 3,
        "kind": "rx",
        "len": 1,
        "hex": "01",
        "peer": "[::1]:7",
    }


@pytest.mark.parametrize(
    ("obs", "text"),
    [
        (
            Observation(b"", End.FIN, 0.5),
            "no bytes, then the connection closed (FIN) after 0.500 s",
        ),
        (
            Observation(b"ab", End.OPEN, 0.0, detail="x"),
            "2 bytes b'ab', then the connection still open after 0.000 s (x)",
        ),
        (
            Observation(b"a" * 50, End.RST, 1.0),
            f"50 bytes {b'a' * 48!r}..., then the connection reset (RST) after 1.000 s",
        ),
        (Observation(b"z", End.TIMEOUT, 2.0), "1 bytes b'z', then silence until the timeout"),
    ],
)
def test_observation_describe(obs: Observation, text: str) -> None:
    assert obs.describe().startswith(text)

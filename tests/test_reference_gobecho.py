"""gob echo reference (the book's Person over TCP): the sans-IO core and the server."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import TIMEOUT, Starting, connect, feeds, read_exactly, read_until_eof, running

from reference_impls._shell import Listen, parse_ready_line
from reference_impls.gob import NEED_DATA, Decoder, Encoder
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person
from reference_impls.gobecho import server as gobecho_server
from reference_impls.gobecho.protocol import (
    BOOK_ROUNDS,
    GobEchoConnection,
    GobEchoState,
    replies_for,
)
from reference_impls.gobecho.server import GobEchoStats

ROOT = Path(__file__).resolve().parents[1]

PERSONS = [
    SAMPLE_PERSON,
    Person(),
    Person(Name("Müller <&>", "😀\u2028\x00"), []),
    Person(Name("x" * 5000, ""), [Email("k", "a")] * 50),
]


def stream(*persons: Person) -> bytes:
    encoder = Encoder()
    return b"".join(encoder.encode(p) for p in persons)


STREAM = stream(*PERSONS)
REPLIES = replies_for(*PERSONS)
#: The book's Person as a new Encoder sends it: definitions, then the value.
BOOK = stream(SAMPLE_PERSON)
#: The book's Person again on the same Encoder: the value alone.
AGAIN = stream(SAMPLE_PERSON, SAMPLE_PERSON)[len(BOOK) :]


def replies_of(data: bytes) -> list[Person]:
    decoder = Decoder(Person)
    decoder.receive_data(data)
    out = []
    while (value := decoder.next_value()) is not NEED_DATA:
        out.append(value)
    decoder.end_of_data()
    return out


# -- sans-IO core ----------------------------------------------------------------------


def test_replies_are_gos_bytes_types_once_then_values() -> None:
    # Go 1.19's bytes for the book's Person on a new Encoder (doc.go's layout: ids 65+).
    assert BOOK[:4] == bytes.fromhex("29 ff 81 03")
    assert replies_for(SAMPLE_PERSON) == BOOK
    assert replies_for(SAMPLE_PERSON, SAMPLE_PERSON) == BOOK + AGAIN
    assert len(AGAIN) == 83


@pytest.mark.parametrize("way", ["whole", "bytewise", "random"])
def test_core_answers_each_person_however_the_bytes_arrive(way: str) -> None:
    conn = GobEchoConnection()
    out = bytearray()
    for chunk in feeds(STREAM, seed=1200, cuts=9)[way]:
        conn.receive_data(chunk)
        assert conn.state is GobEchoState.OPEN
        out += conn.data_to_send()
    assert bytes(out) == REPLIES
    assert conn.answered == len(PERSONS)
    conn.receive_eof()
    assert conn.should_close and conn.error is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, len(STREAM) - 1), max_size=30), st.lists(st.booleans()))
def test_core_any_split_and_drain_schedule_gives_the_same_replies(
    cuts: list[int], drains: list[bool]
) -> None:
    edges = sorted({0, len(STREAM), *cuts})
    conn = GobEchoConnection()
    out = bytearray()
    for (a, b), drain in zip(itertools.pairwise(edges), itertools.cycle(drains or [True])):
        conn.receive_data(STREAM[a:b])
        if drain:
            out += conn.data_to_send()
    conn.receive_eof()
    out += conn.data_to_send()
    assert bytes(out) == REPLIES
    assert conn.should_close


def test_core_zero_person_and_nil_email_list_come_back_as_go_sends_them() -> None:
    conn = GobEchoConnection()
    conn.receive_data(stream(Person(), Person(Name("a", "b"), None)))  # type: ignore[arg-type]
    out = conn.data_to_send()
    assert replies_of(out) == [Person(), Person(Name("a", "b"), [])]
    assert out.endswith(bytes.fromhex("05 ff 82 01 00 00 0b ff 82 01 01 01 61 01 01 62 00 00"))


@pytest.mark.parametrize(
    "bad",
    [
        bytes.fromhex("03 04 00 06"),  # an int, not a Person
        bytes.fromhex("07 ff 8c 01 2c 01 42 00"),  # type id 70, never defined
        bytes.fromhex("f8 7f ff ff ff ff ff ff ff"),  # a message of 2^63 - 1 bytes
        BOOK[: len(BOOK) - len(AGAIN)],  # the definitions again: "duplicate type received"
    ],
    ids=["int", "undefined-type", "huge-length", "duplicate-types"],
)
def test_core_malformed_input_ends_the_connection_after_earlier_replies(bad: bytes) -> None:
    conn = GobEchoConnection()
    conn.receive_data(BOOK + bad + AGAIN)
    assert conn.error is not None
    assert conn.state is GobEchoState.CLOSING
    assert conn.data_to_send() == BOOK
    assert conn.should_close
    conn.receive_data(AGAIN)  # after the error: dropped, not answered
    assert conn.data_to_send() == b""


def test_core_eof_inside_a_message_is_an_error() -> None:
    conn = GobEchoConnection()
    conn.receive_data(BOOK[:-1])
    assert conn.data_to_send() == b""
    conn.receive_eof()
    assert conn.error is not None and "unexpected EOF" in str(conn.error)
    assert conn.should_close


def test_core_eof_between_values_is_clean() -> None:
    conn = GobEchoConnection()
    conn.receive_data(BOOK)
    conn.receive_eof()
    assert conn.error is None
    assert conn.data_to_send() == BOOK
    assert conn.should_close


def test_core_rounds_stop_after_that_many_replies() -> None:
    conn = GobEchoConnection(rounds=BOOK_ROUNDS)
    conn.receive_data(BOOK + AGAIN * (BOOK_ROUNDS + 2))
    assert conn.data_to_send() == BOOK + AGAIN * (BOOK_ROUNDS - 1)
    assert conn.should_close and conn.error is None
    with pytest.raises(ValueError, match="rounds"):
        GobEchoConnection(rounds=0)
    with pytest.raises(ValueError, match="max_message_size"):
        GobEchoConnection(max_message_size=0)


def test_core_bounds_the_bytes_held_for_one_message() -> None:
    conn = GobEchoConnection(max_message_size=1000)
    conn.receive_data(stream(Person(Name("x" * 900, ""), [])))
    assert conn.error is None and conn.answered == 1
    conn = GobEchoConnection(max_message_size=1000)
    conn.receive_data(BOOK[: len(BOOK) - len(AGAIN)] + bytes.fromhex("fe 07 d0") + b"x" * 600)
    assert conn.error is not None and "invalid message length" in str(conn.error)
    assert conn.buffered == 0  # released at once
    conn.receive_data(b"x" * 10_000)  # dropped from now on
    assert conn.buffered == 0


def test_core_data_after_eof_is_a_shell_bug() -> None:
    conn = GobEchoConnection()
    conn.receive_eof()
    with pytest.raises(RuntimeError, match="after receive_eof"):
        conn.receive_data(BOOK)


# -- the server ------------------------------------------------------------------------


def gobecho(**options: Any) -> Callable[[], Starting]:
    return lambda: gobecho_server.start(Listen("tcp", "127.0.0.1", 0), **options)


def test_server_round_trips_pipelined_persons_then_closes_after_client_eof() -> None:
    with running(gobecho()) as server, connect(server) as sock:
        sock.sendall(STREAM)
        sock.shutdown(socket.SHUT_WR)
        assert read_until_eof(sock) == REPLIES


def test_server_answers_each_value_in_turn_on_one_connection() -> None:
    with running(gobecho()) as server, connect(server) as sock:
        sock.sendall(BOOK)
        assert read_exactly(sock, len(BOOK)) == BOOK
        for _ in range(25):
            sock.sendall(AGAIN)
            assert read_exactly(sock, len(AGAIN)) == AGAIN


def test_server_with_the_books_rounds_closes_after_ten() -> None:
    with running(gobecho(rounds=BOOK_ROUNDS)) as server, connect(server) as sock:
        sock.sendall(BOOK + AGAIN * (BOOK_ROUNDS - 1))
        assert read_until_eof(sock) == BOOK + AGAIN * (BOOK_ROUNDS - 1)


@pytest.mark.parametrize(
    "bad", [bytes.fromhex("03 04 00 06"), bytes.fromhex("05 00 ff fe fd fc")], ids=["int", "junk"]
)
def test_server_closes_on_malformed_input_and_serves_on(bad: bytes) -> None:
    stats = GobEchoStats()
    with running(gobecho(stats=stats)) as server:
        with connect(server) as sock:
            sock.sendall(BOOK + bad + AGAIN)
            # FIN without our closing first: an orderly close after the earlier reply.
            assert read_until_eof(sock) == BOOK
            sock.sendall(b"more input is thrown away")
        with connect(server) as sock:
            sock.sendall(BOOK)
            assert read_exactly(sock, len(BOOK)) == BOOK
        assert stats.malformed == 1


def test_server_survives_a_client_reset_mid_message() -> None:
    with running(gobecho()) as server:
        crashing = connect(server)
        crashing.sendall(BOOK[: len(BOOK) - len(AGAIN)] + bytes.fromhex("fd 01 86 a0") + b"x" * 50)
        crashing.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        crashing.close()
        with connect(server) as sock:
            sock.sendall(BOOK)
            assert read_exactly(sock, len(BOOK)) == BOOK


def test_server_serves_many_clients_at_once() -> None:
    with running(gobecho()) as server:
        socks = [connect(server) for _ in range(30)]
        try:
            for sock in socks:
                sock.sendall(BOOK)
            for sock in socks:
                assert read_exactly(sock, len(BOOK)) == BOOK
        finally:
            for sock in socks:
                sock.close()


def test_server_stops_reading_from_a_client_that_never_reads() -> None:
    """Values keep coming, replies are never read: the server pauses instead of
    buffering replies without bound."""
    stats = GobEchoStats()
    high = 64 * 1024
    with running(gobecho(stats=stats, write_buffer_high=high)) as server, connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(0.2)
        sock.sendall(BOOK)
        sent = 0
        deadline = time.monotonic() + TIMEOUT
        chunk = AGAIN * 100
        while time.monotonic() < deadline and sent < 64 * 1024 * 1024:
            try:
                sent += sock.send(chunk)
            except TimeoutError:
                break  # the server stopped reading: our send buffer is full
        assert time.monotonic() < deadline, "the server never stopped reading"
        assert stats.persons * len(AGAIN) < 16 * 1024 * 1024, "replies piled up in the server"


def test_server_idle_timeout_aborts_a_silent_client() -> None:
    stats = GobEchoStats()
    with running(gobecho(idle_timeout=0.2, stats=stats)) as server, connect(server) as sock:
        with suppress(ConnectionResetError):
            assert sock.recv(10) == b""
        assert stats.idle_closes == 1


def test_start_refuses_udp_and_bad_options() -> None:
    with pytest.raises(ValueError, match="TCP"):
        asyncio.run(gobecho_server.start(Listen("udp", "127.0.0.1", 0)))
    with pytest.raises(ValueError, match="idle_timeout"):
        asyncio.run(gobecho_server.start(Listen("tcp", "127.0.0.1", 0), idle_timeout=0))
    with pytest.raises(ValueError, match="rounds"):
        asyncio.run(gobecho_server.start(Listen("tcp", "127.0.0.1", 0), rounds=0))


def test_serve_gobecho_end_to_end() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impls", "serve", "gobecho", "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        listen = parse_ready_line(proc.stdout.readline())
        with socket.create_connection((listen.host, listen.port), timeout=TIMEOUT) as sock:
            sock.sendall(BOOK)
            assert read_exactly(sock, len(BOOK)) == BOOK
        proc.terminate()
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)


def test_mypy_strict_is_clean() -> None:
    if shutil.which("mypy") is None:
        pytest.skip("mypy is not installed: pip install -e '.[dev]'")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "reference_impls/gobecho"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""JSON echo reference (the book's Person over TCP): the sans-IO core and the server."""

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
from reference_impls.jsoncodec import (
    BOOK_PERSON_JSON,
    Email,
    JSONStreamDecoder,
    Name,
    Person,
    book_person,
    marshal_model,
    model_from_value,
)
from reference_impls.jsonecho import server as jsonecho_server
from reference_impls.jsonecho.protocol import (
    BOOK_ROUNDS,
    JSONEchoConnection,
    JSONEchoState,
    reply_for,
)
from reference_impls.jsonecho.server import JSONEchoStats

ROOT = Path(__file__).resolve().parents[1]

PERSONS = [
    book_person(),
    Person(),
    Person(Name("Müller <&>", "😀\u2028"), []),
    Person(Name("x" * 5000, ""), [Email("k", "a")] * 50),
]
STREAM = b"".join(marshal_model(p) + b"\n" for p in PERSONS)
REPLIES = b"".join(reply_for(p) for p in PERSONS)


def replies_of(data: bytes) -> list[Person]:
    decoder = JSONStreamDecoder()
    decoder.receive_data(data)
    decoder.receive_eof()
    out = []
    while isinstance(value := decoder.next_value(), dict):
        out.append(model_from_value(Person, value))
    return out


# -- sans-IO core ----------------------------------------------------------------------


def test_reply_is_marshal_and_a_newline_like_json_encoder() -> None:
    assert reply_for(book_person()) == BOOK_PERSON_JSON + b"\n"


@pytest.mark.parametrize("way", ["whole", "bytewise", "random"])
def test_core_answers_each_person_however_the_bytes_arrive(way: str) -> None:
    conn = JSONEchoConnection()
    out = bytearray()
    for chunk in feeds(STREAM, seed=8259, cuts=9)[way]:
        conn.receive_data(chunk)
        assert conn.state is JSONEchoState.OPEN
        out += conn.data_to_send()
    assert bytes(out) == REPLIES
    assert conn.answered == len(PERSONS)
    conn.receive_eof()
    assert conn.should_close and conn.error is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, len(STREAM) - 1), max_size=30), st.lists(st.booleans()))
def test_core_any_split_and_drain_schedule_gives_the_same_replies(
    cuts: list[int], drains: list[bool]
) -> None:
    edges = sorted({0, len(STREAM), *cuts})
    conn = JSONEchoConnection()
    out = bytearray()
    for (a, b), drain in zip(itertools.pairwise(edges), itertools.cycle(drains or [True])):
        conn.receive_data(STREAM[a:b])
        if drain:
            out += conn.data_to_send()
    conn.receive_eof()
    out += conn.data_to_send()
    assert bytes(out) == REPLIES
    assert conn.should_close


def test_core_decodes_by_go_rules() -> None:
    conn = JSONEchoConnection()
    conn.receive_data(
        b'{"name":{"FAMILY":"New\xffmarch","Middle":"x"},"EMAIL":[{"kind":"<home>"}],"Age":1}'
    )
    reply = conn.data_to_send()
    assert reply == (
        b'{"Name":{"Family":"New\xef\xbf\xbdmarch","Personal":""},'
        b'"Email":[{"Kind":"\\u003chome\\u003e","Address":""}]}\n'
    )


def test_core_keeps_empty_and_null_email_lists_apart() -> None:
    conn = JSONEchoConnection()
    conn.receive_data(b'{"Email":[]}{"Email":null}{}')
    assert conn.data_to_send().splitlines() == [
        b'{"Name":{"Family":"","Personal":""},"Email":[]}',
        b'{"Name":{"Family":"","Personal":""},"Email":null}',
        b'{"Name":{"Family":"","Personal":""},"Email":null}',
    ]


@pytest.mark.parametrize(
    "bad", [b"hello", b'{"Name":{"Family":"x",}}', b"]", b"[1]", b'{"Name":5}', b'"text"']
)
def test_core_malformed_value_ends_the_connection_after_earlier_replies(bad: bytes) -> None:
    conn = JSONEchoConnection()
    conn.receive_data(BOOK_PERSON_JSON + b"\n" + bad + b" " + BOOK_PERSON_JSON)
    assert conn.error is not None
    assert conn.state is JSONEchoState.CLOSING
    assert conn.data_to_send() == BOOK_PERSON_JSON + b"\n"
    assert conn.should_close
    conn.receive_data(BOOK_PERSON_JSON)  # after the error: dropped, not answered
    assert conn.data_to_send() == b""


def test_core_eof_inside_a_value_is_an_error() -> None:
    conn = JSONEchoConnection()
    conn.receive_data(BOOK_PERSON_JSON[:-1])
    assert conn.data_to_send() == b""
    conn.receive_eof()
    assert conn.error is not None and "unexpected EOF" in str(conn.error)
    assert conn.should_close


def test_core_eof_between_values_is_clean() -> None:
    conn = JSONEchoConnection()
    conn.receive_data(BOOK_PERSON_JSON + b"\n \r\n")
    conn.receive_eof()
    assert conn.error is None
    assert conn.data_to_send() == BOOK_PERSON_JSON + b"\n"
    assert conn.should_close


def test_core_rounds_stop_after_that_many_replies() -> None:
    conn = JSONEchoConnection(rounds=BOOK_ROUNDS)
    conn.receive_data(BOOK_PERSON_JSON * (BOOK_ROUNDS + 3))
    assert conn.data_to_send() == (BOOK_PERSON_JSON + b"\n") * BOOK_ROUNDS
    assert conn.should_close and conn.error is None
    with pytest.raises(ValueError, match="rounds"):
        JSONEchoConnection(rounds=0)


def test_core_bounds_the_bytes_held_for_one_value() -> None:
    conn = JSONEchoConnection(max_value_size=1000)
    conn.receive_data(b'{"Name":{"Family":"' + b"x" * 600)
    assert conn.error is None and conn.buffered > 600
    conn.receive_data(b"x" * 600)
    assert conn.error is not None and "max_value_size" in str(conn.error)
    assert conn.buffered == 0  # released at once
    conn.receive_data(b"x" * 10_000)  # dropped from now on
    assert conn.buffered == 0


def test_core_data_after_eof_is_a_shell_bug() -> None:
    conn = JSONEchoConnection()
    conn.receive_eof()
    with pytest.raises(RuntimeError, match="after receive_eof"):
        conn.receive_data(b"{}")


# -- the server ------------------------------------------------------------------------


def jsonecho(**options: Any) -> Callable[[], Starting]:
    return lambda: jsonecho_server.start(Listen("tcp", "127.0.0.1", 0), **options)


def test_server_round_trips_pipelined_persons_then_closes_after_client_eof() -> None:
    with running(jsonecho()) as server, connect(server) as sock:
        sock.sendall(STREAM)
        sock.shutdown(socket.SHUT_WR)
        assert replies_of(read_until_eof(sock)) == PERSONS


def test_server_answers_each_value_in_turn_on_one_connection() -> None:
    with running(jsonecho()) as server, connect(server) as sock:
        for _ in range(25):
            sock.sendall(BOOK_PERSON_JSON)
            assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"


def test_server_with_the_books_rounds_closes_after_ten() -> None:
    with running(jsonecho(rounds=BOOK_ROUNDS)) as server, connect(server) as sock:
        sock.sendall(BOOK_PERSON_JSON * BOOK_ROUNDS)
        assert read_until_eof(sock) == (BOOK_PERSON_JSON + b"\n") * BOOK_ROUNDS


@pytest.mark.parametrize("bad", [b"hello, world\n", b'{"Name":{"Family":"x",}}', b"[1]"])
def test_server_closes_on_malformed_input_and_serves_on(bad: bytes) -> None:
    stats = JSONEchoStats()
    with running(jsonecho(stats=stats)) as server:
        with connect(server) as sock:
            sock.sendall(BOOK_PERSON_JSON + bad + BOOK_PERSON_JSON)
            # FIN without our closing first: an orderly close after the earlier reply.
            assert read_until_eof(sock) == BOOK_PERSON_JSON + b"\n"
            sock.sendall(b"more input is thrown away")
        with connect(server) as sock:
            sock.sendall(BOOK_PERSON_JSON)
            assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"
        assert stats.malformed == 1


def test_server_survives_a_client_reset_mid_value() -> None:
    with running(jsonecho()) as server:
        crashing = connect(server)
        crashing.sendall(b'{"Name":{"Family":"' + b"x" * 100_000)
        crashing.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        crashing.close()
        with connect(server) as sock:
            sock.sendall(BOOK_PERSON_JSON)
            assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"


def test_server_serves_many_clients_at_once() -> None:
    with running(jsonecho()) as server:
        socks = [connect(server) for _ in range(50)]
        try:
            for sock in socks:
                sock.sendall(BOOK_PERSON_JSON)
            for sock in socks:
                assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"
        finally:
            for sock in socks:
                sock.close()


def test_server_stops_reading_from_a_client_that_never_reads() -> None:
    """Values keep coming, replies are never read: the server pauses instead of
    buffering replies without bound."""
    stats = JSONEchoStats()
    high = 64 * 1024
    with running(jsonecho(stats=stats, write_buffer_high=high)) as server, connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(0.2)
        sent = 0
        deadline = time.monotonic() + TIMEOUT
        chunk = BOOK_PERSON_JSON * 100
        while time.monotonic() < deadline and sent < 64 * 1024 * 1024:
            try:
                sent += sock.send(chunk)
            except TimeoutError:
                break  # the server stopped reading: our send buffer is full
        assert time.monotonic() < deadline, "the server never stopped reading"
        answered = stats.persons * (len(BOOK_PERSON_JSON) + 1)
        assert answered < 16 * 1024 * 1024, "replies piled up in the server"


def test_server_idle_timeout_aborts_a_silent_client() -> None:
    stats = JSONEchoStats()
    with running(jsonecho(idle_timeout=0.2, stats=stats)) as server, connect(server) as sock:
        with suppress(ConnectionResetError):
            assert sock.recv(10) == b""
        assert stats.idle_closes == 1


def test_server_close_ends_open_connections() -> None:
    with running(jsonecho()) as server:
        sock = connect(server)
        sock.sendall(BOOK_PERSON_JSON)  # so the server has surely accepted it
        assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"
    try:
        sock.settimeout(TIMEOUT)
        with suppress(ConnectionResetError):
            assert sock.recv(10) == b""
    finally:
        sock.close()


def test_start_refuses_udp_and_bad_options() -> None:
    with pytest.raises(ValueError, match="TCP"):
        asyncio.run(jsonecho_server.start(Listen("udp", "127.0.0.1", 0)))
    with pytest.raises(ValueError, match="idle_timeout"):
        asyncio.run(jsonecho_server.start(Listen("tcp", "127.0.0.1", 0), idle_timeout=0))


def test_serve_jsonecho_end_to_end() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impls", "serve", "jsonecho", "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        listen = parse_ready_line(proc.stdout.readline())
        with socket.create_connection((listen.host, listen.port), timeout=TIMEOUT) as sock:
            sock.sendall(BOOK_PERSON_JSON + b"\n")
            assert read_exactly(sock, len(BOOK_PERSON_JSON) + 1) == BOOK_PERSON_JSON + b"\n"
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
        [sys.executable, "-m", "mypy", "--strict", "reference_impls/jsonecho"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

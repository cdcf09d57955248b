"""Daytime reference implementation (RFC 867): sans-IO core and asyncio shell."""

from __future__ import annotations

import itertools
import random
import re
import socket
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import TIMEOUT, Starting, connect, running

from reference_impls._shell import Listen, StreamServer
from reference_impls.daytime import server as daytime_server
from reference_impls.daytime.protocol import (
    MONTHS,
    WEEKDAYS,
    DaytimeConnection,
    daytime_text,
    reply_to_datagram,
)

FIXED = datetime(2026, 11, 26, 10, 37, 10, tzinfo=UTC)
FIXED_TEXT = "Thursday, November 26, 2026 10:37:10-UTC\r\n"
FIXED_BYTES = FIXED_TEXT.encode("ascii")
_SYNTAX = re.compile(
    r"^(?P<weekday>[A-Z][a-z]+), (?P<month>[A-Z][a-z]+) (?P<day>[1-9][0-9]?), "
    r"(?P<year>[0-9]{4}) (?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})-UTC\r\n$"
)


# -- helpers ---------------------------------------------------------------------------


def daytime(scheme: str = "tcp", linger: float = daytime_server.LINGER) -> Callable[[], Starting]:
    listen = Listen("tcp" if scheme == "tcp" else "udp", "127.0.0.1", 0)
    return lambda: daytime_server.start(listen, clock=lambda: FIXED, linger=linger)


def read_to_eof(sock: socket.socket) -> bytes:
    """Everything until FIN; a reset raises ConnectionResetError instead."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    raise AssertionError("no FIN before the deadline")


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def feeds(data: bytes) -> list[list[bytes]]:
    """``data`` whole, one byte at a time, and split at random points."""
    rng = random.Random(867)
    cuts = sorted(rng.sample(range(1, len(data)), k=min(5, max(len(data) - 1, 0))))
    edges = [0, *cuts, len(data)]
    return [
        [data],
        [data[i : i + 1] for i in range(len(data))],
        [data[a:b] for a, b in itertools.pairwise(edges)],
    ]


# -- the text --------------------------------------------------------------------------


def test_text_for_a_fixed_time_is_exact() -> None:
    assert daytime_text(FIXED) == FIXED_TEXT


def test_text_is_in_utc_whatever_the_zone_of_now() -> None:
    # RFC 867's own example, 17:37:43 PST, is 01:37:43 the next day in UTC.
    pst = timezone(timedelta(hours=-8), "PST")
    now = datetime(1982, 2, 22, 17, 37, 43, tzinfo=pst)
    assert daytime_text(now) == "Tuesday, February 23, 1982 01:37:43-UTC\r\n"


def test_single_digit_day_and_hours_are_written_as_numbers_are() -> None:
    now = datetime(1982, 2, 2, 7, 59, 1, tzinfo=UTC)
    assert daytime_text(now) == "Tuesday, February 2, 1982 07:59:01-UTC\r\n"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        daytime_text(datetime(2026, 11, 26, 10, 37, 10))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_text_is_one_ascii_line_in_the_rfc_syntax(now: datetime) -> None:
    text = daytime_text(now)
    assert text.isascii()
    assert text.endswith("\r\n")
    assert all(ch.isprintable() for ch in text[:-2]), "printing characters and space only"
    match = _SYNTAX.match(text)
    assert match is not None, text
    utc = now.astimezone(UTC)
    assert match["weekday"] == WEEKDAYS[utc.weekday()]
    assert match["month"] == MONTHS[utc.month - 1]
    assert (int(match["day"]), int(match["year"])) == (utc.day, utc.year)
    assert (int(match["h"]), int(match["m"]), int(match["s"])) == (
        utc.hour,
        utc.minute,
        utc.second,
    )


def test_name_tables_follow_datetime_numbering() -> None:
    # 2024-01-01 was a Monday; weekday() counts from Monday as 0.
    monday = datetime(2024, 1, 1, tzinfo=UTC)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert daytime_text(day).startswith(WEEKDAYS[offset] + ", January")
    assert len(MONTHS) == 12
    assert all(name.isascii() for name in WEEKDAYS + MONTHS)


# -- the sans-IO connection ------------------------------------------------------------


@pytest.mark.parametrize("way", ["whole", "bytewise", "random"])
def test_connection_sends_the_quote_once_whatever_arrives(way: str) -> None:
    garbage = bytes(range(256)) * 4
    chunks = feeds(garbage)[["whole", "bytewise", "random"].index(way)]
    conn = DaytimeConnection(FIXED)
    closes = [conn.should_close]
    assert conn.data_to_send() == FIXED_BYTES
    closes.append(conn.should_close)
    assert closes == [False, True]
    sent = b""
    for chunk in chunks:
        conn.receive_data(chunk)
        sent += conn.data_to_send()
    conn.receive_eof()
    assert sent + conn.data_to_send() == b""
    assert conn.should_close
    assert conn.eof_received


def test_connection_quote_does_not_depend_on_input_before_it() -> None:
    conn = DaytimeConnection(FIXED)
    conn.receive_data(b"what time is it?\r\n")
    conn.receive_eof()
    assert conn.data_to_send() == FIXED_BYTES


@pytest.mark.parametrize("data", [b"", b"x", bytes(512)])
def test_every_datagram_gets_the_quote(data: bytes) -> None:
    assert reply_to_datagram(data, FIXED) == FIXED_BYTES


# -- TCP -------------------------------------------------------------------------------


def test_tcp_sends_the_quote_without_input_then_fin() -> None:
    with running(daytime()) as server, connect(server) as sock:
        assert read_to_eof(sock) == FIXED_BYTES  # ends in FIN, not a reset


def test_tcp_input_is_thrown_away() -> None:
    with running(daytime()) as server, connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 256)
        assert read_to_eof(sock) == FIXED_BYTES
        # More input after the FIN is still read, not answered with a reset.
        sock.sendall(b"more")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(16) == b""


def test_tcp_connection_ends_when_the_client_closes() -> None:
    with running(daytime()) as server:
        assert isinstance(server, StreamServer)
        with connect(server) as sock:
            assert read_to_eof(sock) == FIXED_BYTES
        wait_until(lambda: len(server.connections) == 0)


def test_tcp_connection_ends_after_linger_if_the_client_never_closes() -> None:
    with running(daytime(linger=0.1)) as server:
        assert isinstance(server, StreamServer)
        with connect(server) as sock:
            assert read_to_eof(sock) == FIXED_BYTES
            wait_until(lambda: len(server.connections) == 0, timeout=2.0)


def test_tcp_a_bad_clock_fails_only_its_connection(caplog: pytest.LogCaptureFixture) -> None:
    times = iter([datetime(2026, 11, 26), FIXED])  # naive on purpose
    listen = Listen("tcp", "127.0.0.1", 0)

    def start() -> Starting:
        return daytime_server.start(listen, clock=lambda: next(times))

    with running(start) as server:
        with connect(server) as sock, suppress(ConnectionResetError):
            assert read_to_eof(sock) == b""
        with connect(server) as sock:
            assert read_to_eof(sock) == FIXED_BYTES
    assert "no quote" in caplog.text


def test_tcp_many_concurrent_clients() -> None:
    with running(daytime()) as server:
        socks = [connect(server) for _ in range(100)]
        try:
            for sock in socks:
                assert read_to_eof(sock) == FIXED_BYTES
        finally:
            for sock in socks:
                sock.close()


def test_tcp_real_clock_gives_the_current_time() -> None:
    listen = Listen("tcp", "127.0.0.1", 0)
    before = datetime.now(UTC).replace(microsecond=0)
    with running(lambda: daytime_server.start(listen)) as server, connect(server) as sock:
        text = read_to_eof(sock).decode("ascii")
    after = datetime.now(UTC)
    match = _SYNTAX.match(text)
    assert match is not None, text
    month = MONTHS.index(match["month"]) + 1
    year, day, h, m, s = (int(match[k]) for k in ("year", "day", "h", "m", "s"))
    sent = datetime(year, month, day, h, m, s, tzinfo=UTC)
    assert before <= sent <= after


# -- UDP -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 512])
def test_udp_every_datagram_gets_exactly_one_reply_from_the_bound_address(size: int) -> None:
    with (
        running(daytime("udp")) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
    ):
        sock.settimeout(TIMEOUT)
        sock.sendto(bytes(size), server.sockname)
        reply, source = sock.recvfrom(65535)
        assert reply == FIXED_BYTES
        assert source == server.sockname
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recvfrom(65535)


def test_udp_a_burst_gets_one_reply_each() -> None:
    with (
        running(daytime("udp")) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
    ):
        sock.settimeout(TIMEOUT)
        for i in range(20):
            sock.sendto(bytes([i]) * i, server.sockname)
        replies = [sock.recvfrom(65535) for _ in range(20)]
        assert replies == [(FIXED_BYTES, server.sockname)] * 20
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recvfrom(65535)


def test_udp_a_gone_client_does_not_stop_the_service() -> None:
    with running(daytime("udp")) as server:
        # The first client vanishes before its reply: the reply draws ICMP unreachable.
        gone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        gone.sendto(b"", server.sockname)
        gone.close()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.sendto(b"", server.sockname)
            assert sock.recvfrom(65535) == (FIXED_BYTES, server.sockname)

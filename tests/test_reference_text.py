"""The chapter 6 text references: the UTF-8 and UTF-16 codecs, and the three servers.

Each decoder is checked three ways: fed whole, one byte at a time, and cut at random
places (Hypothesis), which must all give the same text or the same error at the same
offset; and against Python's own codecs as an independent oracle.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import TIMEOUT, running

from reference_impls.__main__ import PROTOCOLS
from reference_impls._shell import Listen, ListenError, Server
from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.text import server as text_server
from reference_impls.text.protocol import (
    BOOK_UTF8_TEXT,
    BOOK_UTF16_TEXT,
    Utf16EchoConnection,
    utf16_document,
)
from reference_impls.text.utf8 import Utf8Decoder, decode_utf8
from reference_impls.text.utf16 import (
    ByteOrder,
    Utf16Decoder,
    decode_utf16,
    encode_utf16,
)

Outcome = tuple[str, None] | tuple[None, int]
Decoder = Utf8Decoder | Utf16Decoder

# -- feeding a decoder three ways ------------------------------------------------------


def feed(make: Callable[[], Decoder], chunks: list[bytes]) -> Outcome:
    """Decode ``chunks`` in order: ``(text, None)`` or ``(None, error offset)``."""
    decoder = make()
    out: list[str] = []
    try:
        for chunk in chunks:
            out.append(decoder.receive_data(chunk))
        out.append(decoder.receive_eof())
    except RemoteProtocolError as exc:
        assert exc.offset is not None
        return None, exc.offset
    return "".join(out), None


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def three_ways(make: Callable[[], Decoder], data: bytes, seed: int = 0) -> Outcome:
    """The outcome, after checking that whole, bytewise and random cuts agree."""
    rng = random.Random(seed)
    points = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(6))]
    got = [feed(make, whole(data)), feed(make, bytewise(data)), feed(make, cut(data, points))]
    assert got[0] == got[1] == got[2], (data.hex(" "), got)
    return got[0]


# -- UTF-16 ----------------------------------------------------------------------------

BOOK_FIRST_EDITION = bytes.fromhex(
    "fffe006a00270061006900200061007200720 0ea007400e9".replace(" ", "")
)


def utf16_oracle(data: bytes) -> Outcome:
    """Python's codecs after the RFC 2781 section 4.3 BOM rule (they default otherwise)."""
    order, body, base = "be", data, 0
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        order, body, base = ("be" if data[:2] == b"\xfe\xff" else "le"), data[2:], 2
    try:
        return body.decode(f"utf-16-{order}"), None
    except UnicodeDecodeError as exc:
        return None, base + exc.start


UTF16_CASES = {
    "be-bom": (b"\xfe\xff\x00\x6a\x00\x27", ("j'", None)),
    "le-bom": (b"\xff\xfe\x6a\x00\x27\x00", ("j'", None)),
    "no-bom-is-big-endian": (b"\x00\x6a\x00\x27", ("j'", None)),
    "bom-only": (b"\xfe\xff", ("", None)),
    "empty": (b"", ("", None)),
    "pair": (b"\xfe\xff\xd8\x34\xdd\x1e", ("𝄞", None)),
    "pair-le": (b"\xff\xfe\x34\xd8\x1e\xdd", ("𝄞", None)),
    "bom-later-is-text": (b"\xfe\xff\xfe\xff", ("\ufeff", None)),
    "odd": (b"\xfe\xff\x00\x6a\x00", (None, 4)),
    "one-octet": (b"\x00", (None, 0)),
    "lone-high-then-letter": (b"\xfe\xff\x00\x61\xd8\x34\x00\x61", (None, 4)),
    "lone-high-at-end": (b"\xfe\xff\xd8\x34", (None, 2)),
    "lone-low": (b"\x00\x61\xdc\x00", (None, 2)),
    "high-high-low": (b"\xd8\x34\xd8\x34\xdd\x1e", (None, 0)),
}


@pytest.mark.parametrize(("data", "expected"), UTF16_CASES.values(), ids=list(UTF16_CASES))
def test_utf16_cases(data: bytes, expected: Outcome) -> None:
    assert three_ways(Utf16Decoder, data) == expected
    assert utf16_oracle(data) == expected or expected[0] is None


def test_utf16_first_edition_reads_as_swapped_text() -> None:
    """FF FE is little-endian, whatever the book's first edition meant by it."""
    text, order, bom = decode_utf16(BOOK_FIRST_EDITION)
    assert (order, bom) == ("little", True)
    assert text != BOOK_UTF16_TEXT
    assert text.encode("utf-16-le") == BOOK_FIRST_EDITION[2:]
    assert decode_utf16(utf16_document(order="big")) == (BOOK_UTF16_TEXT, "big", True)


def test_utf16_error_details() -> None:
    with pytest.raises(RemoteProtocolError, match="odd number of octets") as odd:
        decode_utf16(b"\xfe\xff\x00")
    assert odd.value.offset == 2
    decoder = Utf16Decoder()
    with pytest.raises(RemoteProtocolError, match="unpaired low surrogate 0xDC00"):
        decoder.receive_data(b"\xdc\x00")
    with pytest.raises(RemoteProtocolError):  # the error sticks
        decoder.receive_data(b"\x00\x61")
    done = Utf16Decoder()
    done.receive_eof()
    with pytest.raises(LocalProtocolError):
        done.receive_data(b"\x00\x61")


@pytest.mark.parametrize("order", ["big", "little"])
def test_utf16_encoder(order: ByteOrder) -> None:
    codec = "utf-16-be" if order == "big" else "utf-16-le"
    text = "j'ai arrêté 𝄞😀"
    assert encode_utf16(text, order=order) == "\ufeff".encode(codec) + text.encode(codec)
    assert encode_utf16(text, order=order, bom=False) == text.encode(codec)
    with pytest.raises(LocalProtocolError):
        encode_utf16("a\ud800", order=order)


@settings(max_examples=200, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=64),
        st.text(max_size=20).map(lambda t: t.encode("utf-16-be", "surrogatepass")),
        st.lists(
            st.sampled_from(
                [b"\xfe\xff", b"\xff\xfe", b"\xd8\x34", b"\xdd\x1e", b"\x00\x61", b"\x00"]
            ),
            max_size=10,
        ).map(b"".join),
    ),
    points=st.lists(st.integers(min_value=0, max_value=80), max_size=8),
)
def test_utf16_split_anywhere_and_oracle(data: bytes, points: list[int]) -> None:
    """Whole, bytewise and cut at random points agree, and agree with Python's codecs."""
    expected = feed(Utf16Decoder, whole(data))
    assert feed(Utf16Decoder, bytewise(data)) == expected
    assert feed(Utf16Decoder, cut(data, points)) == expected
    oracle = utf16_oracle(data)
    assert expected[0] == oracle[0]
    if expected[1] is not None and oracle[1] is not None:
        # Python reports a lone high surrogate before a non-surrogate where it starts too.
        assert expected[1] == oracle[1] or len(data) % 2


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), order=st.sampled_from(["big", "little"]), bom=st.booleans())
def test_utf16_round_trip(text: str, order: ByteOrder, bom: bool) -> None:
    clean = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)
    data = encode_utf16(clean, order=order, bom=bom)
    decoded = feed(Utf16Decoder, bytewise(data))
    if bom or order == "big":
        assert decoded == (clean, None)


# -- UTF-8 -----------------------------------------------------------------------------


def utf8_oracle(data: bytes) -> Outcome:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, exc.start


UTF8_CASES = {
    "book": (BOOK_UTF8_TEXT.encode(), (BOOK_UTF8_TEXT, None)),
    "astral": ("𝄞".encode(), ("𝄞", None)),
    "max": (b"\xf4\x8f\xbf\xbf", ("\U0010ffff", None)),
    "overlong-slash": (b"ab\xc0\xaf", (None, 2)),
    "overlong-3": (b"\xe0\x80\xaf", (None, 0)),
    "overlong-4": (b"\xf0\x80\x80\xaf", (None, 0)),
    "surrogate": (b"a\xed\xa0\x80", (None, 1)),
    "above-max": (b"\xf4\x90\x80\x80", (None, 0)),
    "f5": (b"\xf5\x80\x80\x80", (None, 0)),
    "stray-continuation": (b"a\x80", (None, 1)),
    "truncated": (b"a\xe4\xb8", (None, 1)),
    "interrupted": (b"\xe4\xb8a", (None, 0)),
}


@pytest.mark.parametrize(("data", "expected"), UTF8_CASES.values(), ids=list(UTF8_CASES))
def test_utf8_cases(data: bytes, expected: Outcome) -> None:
    assert three_ways(Utf8Decoder, data) == expected
    assert utf8_oracle(data) == expected


def test_utf8_counts() -> None:
    decoder = Utf8Decoder()
    assert decoder.receive_data(b"a" + BOOK_UTF8_TEXT.encode()) + decoder.receive_eof()
    assert (decoder.characters, decoder.multibyte, decoder.offset) == (10, 9, 28)
    with pytest.raises(RemoteProtocolError, match="overlong"):
        decode_utf8(b"\xe0\x80\x80")


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=48),
        st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ),
    points=st.lists(st.integers(min_value=0, max_value=100), max_size=8),
)
def test_utf8_split_anywhere_and_oracle(data: bytes, points: list[int]) -> None:
    """Whole, bytewise and cut at random points agree with each other and with Python."""
    expected = feed(Utf8Decoder, whole(data))
    assert feed(Utf8Decoder, bytewise(data)) == expected
    assert feed(Utf8Decoder, cut(data, points)) == expected
    assert expected == utf8_oracle(data)


# -- the echo core ---------------------------------------------------------------------


@pytest.mark.parametrize("reply_order", ["big", "little"])
def test_echo_core_replies_after_eof(reply_order: ByteOrder) -> None:
    echo = Utf16EchoConnection(order=reply_order)
    for octet in bytewise(encode_utf16("𝄞 j'ai", order="little")):
        echo.receive_data(octet)
        assert echo.data_to_send() == b""
    echo.receive_eof()
    assert echo.data_to_send() == encode_utf16("𝄞 j'ai", order=reply_order)
    assert echo.should_close


@pytest.mark.parametrize("bad", [b"\xfe\xff\x00", b"\xfe\xff\xd8\x34\x00\x61", b"\xdc\x00"])
def test_echo_core_refuses_invalid_input(bad: bytes) -> None:
    echo = Utf16EchoConnection()
    echo.receive_data(bad)
    echo.receive_eof()
    assert echo.failed is not None and echo.should_close
    assert echo.data_to_send() == b""


def test_echo_core_bounds_the_document() -> None:
    echo = Utf16EchoConnection(max_document=8)
    echo.receive_data(b"\x00a" * 5)
    assert echo.failed is not None and "exceeds 8" in str(echo.failed)


# -- the servers -----------------------------------------------------------------------

LISTEN = Listen("tcp", "127.0.0.1", 0)


def read_all(sock: socket.socket) -> bytes:
    """Read until the server closes (bounded by TIMEOUT); an RST ends it too."""
    sock.settimeout(TIMEOUT)
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def ask(server: Server, document: bytes | None = None) -> bytes:
    with socket.create_connection(server.sockname, timeout=TIMEOUT) as sock:
        if document is not None:
            sock.sendall(document)
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def test_utf8_server_sends_the_book_text_and_closes() -> None:
    with running(lambda: text_server.start_utf8(LISTEN)) as server:
        assert ask(server) == BOOK_UTF8_TEXT.encode()
        assert ask(server) == BOOK_UTF8_TEXT.encode()


@pytest.mark.parametrize("order", ["big", "little"])
def test_utf16_sender_is_configurable(order: ByteOrder) -> None:
    with running(lambda: text_server.start_utf16_sender(LISTEN, text="𝄞 x", order=order)) as server:
        assert ask(server) == encode_utf16("𝄞 x", order=order)


def test_utf16_sender_default_is_standard_big_endian() -> None:
    with running(lambda: text_server.start_utf16_sender(LISTEN)) as server:
        data = ask(server)
    assert data[:2] == b"\xfe\xff"
    assert data == b"\xfe\xff" + BOOK_UTF16_TEXT.encode("utf-16-be")


def test_utf16_echo_server() -> None:
    with running(lambda: text_server.start_utf16_echo(LISTEN, idle_timeout=5)) as server:
        for order in ("big", "little"):
            assert ask(server, encode_utf16("𝄞 é", order=order)) == encode_utf16("𝄞 é")
        assert ask(server, encode_utf16("no bom", bom=False)) == encode_utf16("no bom")
        assert ask(server, b"\xfe\xff\x00") == b""
        assert ask(server, b"\xfe\xff\xd8\x34\x00\x61") == b""
        assert ask(server, encode_utf16("still serving")) == encode_utf16("still serving")


def test_text_servers_are_tcp_only_and_registered() -> None:
    assert {"utf8text", "utf16text", "utf16echo"} <= set(PROTOCOLS)
    udp = Listen("udp", "127.0.0.1", 0)
    for start in (text_server.start_utf8, text_server.start_utf16_sender):
        with pytest.raises(ListenError, match="TCP only"):
            asyncio.run(start(udp))

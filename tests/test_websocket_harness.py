"""harness.websocket: the raw frame writer, the handshake builder and the frame reader."""

from __future__ import annotations

import struct

import pytest

from harness.targets import Target
from harness.websocket import (
    Exchange,
    Frame,
    FrameReader,
    Opcode,
    accept_for,
    build_frame,
    close_payload,
    describe_client_frame,
    handshake_request,
    mask,
    new_key,
    parse_handshake_response,
)

TARGET = Target("ws", "127.0.0.1", 9001, "/chat")


def test_rfc_example_accept_key() -> None:
    assert accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_plain_keys_are_letters_and_digits() -> None:
    for _ in range(20):
        key = new_key()
        assert key.rstrip("=").isalnum() and len(key) == 24


def test_masking_is_its_own_inverse() -> None:
    key = b"\x37\xfa\x21\x3d"
    assert mask(b"Hello", key) == bytes.fromhex("7f9f4d5158")  # RFC 6455 §5.7
    assert mask(mask(b"any payload", key), key) == b"any payload"


@pytest.mark.parametrize(
    ("size", "form", "head"),
    [(0, 7, 2), (125, 7, 2), (126, 16, 4), (65535, 16, 4), (65536, 64, 10)],
)
def test_minimal_length_forms(size: int, form: int, head: int) -> None:
    data = build_frame(Opcode.BINARY, bytes(size), masked=False)
    assert len(data) == head + size
    reader = FrameReader()
    reader.feed(data)
    frame = reader.next_frame()
    assert frame == Frame(True, 0, Opcode.BINARY, False, bytes(size), form)


def test_invalid_frames_can_be_built() -> None:
    top = build_frame(Opcode.TEXT, b"Hello", length=2**63 + 5, length_form=64, masked=False)
    assert top[1] == 127 and struct.unpack("!Q", top[2:10])[0] == 2**63 + 5
    long_form = build_frame(Opcode.TEXT, b"Hi", length_form=16, masked=False)
    assert long_form[:4] == bytes([0x81, 126, 0, 2])
    rsv = build_frame(15, b"", fin=False, rsv=7, masked=False)
    assert rsv == bytes([0x7F, 0])
    wrong = build_frame(Opcode.TEXT, b"abcd", key=b"\x01\x02\x03\x04", apply_key=b"\0\0\0\0")
    assert wrong == bytes([0x81, 0x84, 1, 2, 3, 4]) + b"abcd"
    short = build_frame(Opcode.TEXT, b"abc", length=10, masked=False)
    assert short == bytes([0x81, 10]) + b"abc"
    assert "partial frame" in describe_client_frame(short)
    assert "UNMASKED" in describe_client_frame(build_frame(Opcode.PING, masked=False))
    with pytest.raises(ValueError):
        build_frame(Opcode.TEXT, bytes(126), length_form=7)


@pytest.mark.parametrize("how", ["whole", "octets", "trailing"])
def test_reader_is_incremental(how: str) -> None:
    frames = [
        build_frame(Opcode.TEXT, b"frag", fin=False),
        build_frame(Opcode.PING, b"p"),
        build_frame(Opcode.CONTINUATION, b"ment"),
        build_frame(Opcode.BINARY, bytes(70000)),
        build_frame(Opcode.CLOSE, close_payload(1000, "bye")),
    ]
    data = b"".join(frames) + (b"\x81" if how == "trailing" else b"")
    reader = FrameReader()
    got: list[Frame] = []
    chunks = [data[i : i + 1] for i in range(len(data))] if how == "octets" else [data]
    for chunk in chunks:
        reader.feed(chunk)
        while (frame := reader.next_frame()) is not None:
            got.append(frame)
    assert [f.opcode for f in got] == [1, 9, 0, 2, 8]
    assert bytes(reader.buffer) == (b"\x81" if how == "trailing" else b"")
    ex = Exchange(got)
    assert ex.messages() == [(Opcode.TEXT, b"fragment"), (Opcode.BINARY, bytes(70000))]
    assert ex.pongs == [] and ex.close_code == 1000 and ex.closed
    assert got[-1].close_reason == b"bye"


def test_handshake_headers_replaced_removed_and_added() -> None:
    request, key = handshake_request(
        TARGET,
        key="dGhlIHNhbXBsZSBub25jZQ==",
        headers={"upgrade": "WebSocket", "Sec-WebSocket-Version": None, "X-Extra": "1"},
        extra=[("Connection", "keep-alive")],
    )
    text = request.decode()
    assert key == "dGhlIHNhbXBsZSBub25jZQ=="
    assert text.startswith("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nupgrade: WebSocket\r\n")
    assert "Sec-WebSocket-Version" not in text
    assert text.endswith("X-Extra: 1\r\nConnection: keep-alive\r\n\r\n")


def test_response_parsing() -> None:
    head = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
        b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13, 8\r\n\r\n"
    )
    response = parse_handshake_response(head)
    assert response is not None and response.status == 101
    assert response.has_token("upgrade", "websocket")
    assert response.has_token("Connection", "upgrade")
    assert response.values("Sec-WebSocket-Version") == ["13", "8"]
    assert parse_handshake_response(b"SSH-2.0-OpenSSH\r\n\r\n") is None

"""The sans-IO WebSocket cores: frames, messages, closing, handshake, permessage-deflate."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import feeds

from reference_impls.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from reference_impls.websocket.connection import (
    DEFAULT_MAX_MESSAGE,
    BytesMessage,
    CloseReceived,
    ConnectionState,
    Event,
    Ping,
    Pong,
    TextMessage,
    WebSocketConnection,
    close_code_valid,
)
from reference_impls.websocket.deflate import (
    DeflateParams,
    negotiate_client,
    negotiate_server,
    parse_extensions,
)
from reference_impls.websocket.frames import (
    RSV1,
    RSV2,
    RSV3,
    CloseCode,
    FrameChunk,
    FrameDecoder,
    Opcode,
    encode_frame,
    frame_header,
    mask_payload,
)
from reference_impls.websocket.handshake import (
    ClientHandshake,
    ServerHandshake,
    accept_key,
)

#: Every length at or next to a boundary of the three length forms (§5.2).
BOUNDARIES = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537]
KEY = b"\x37\xfa\x21\x3d"


def frame(
    opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0, masked: bool = True
) -> bytes:
    """A frame as a client (masked) or server (unmasked) sends it, not checked."""
    key = KEY if masked else None
    head = frame_header(opcode, len(payload), fin=fin, rsv=rsv, mask=key)
    return head + (mask_payload(payload, KEY) if masked else payload)


def decode(data: Iterable[bytes], *, expect_masked: bool, **kw: int) -> list[FrameChunk]:
    decoder = FrameDecoder(expect_masked=expect_masked, **kw)
    chunks = []
    for piece in data:
        decoder.receive_data(piece)
        chunks += list(decoder)
    return chunks


def server_events(
    pieces: Iterable[bytes], *, max_message: int | None = DEFAULT_MAX_MESSAGE
) -> tuple[list[Event], WebSocketConnection]:
    conn = WebSocketConnection(is_server=True, max_message=max_message)
    events: list[Event] = []
    for piece in pieces:
        conn.receive_data(piece)
        events += list(conn.events())
    return events, conn


def failure(
    data: bytes,
    *,
    max_message: int | None = DEFAULT_MAX_MESSAGE,
    deflate: DeflateParams | None = None,
) -> RemoteProtocolError:
    """Feed ``data`` to a server connection; return the error it must raise."""
    conn = WebSocketConnection(is_server=True, max_message=max_message, deflate=deflate)
    conn.receive_data(data)
    with pytest.raises(RemoteProtocolError) as excinfo:
        list(conn.events())
    # §7.1.7: a Close frame with the code goes out before TCP is closed.
    out = conn.data_to_send()
    assert out[:1] == b"\x88", out[:4]
    assert struct.unpack("!H", out[2:4])[0] == excinfo.value.code
    assert conn.state is ConnectionState.CLOSE_SENT
    return excinfo.value


# -- frames ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    length=st.sampled_from(BOUNDARIES),
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION]),
    masked=st.booleans(),
    fin=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_frames_round_trip_at_every_length_boundary(
    length: int, opcode: Opcode, masked: bool, fin: bool, seed: int
) -> None:
    rng = random.Random(seed)
    payload = rng.randbytes(length)
    data = encode_frame(opcode, payload, fin=fin, mask=masked)
    # §5.2: "the minimal number of bytes MUST be used to encode the length".
    extended = 0 if length <= 125 else 2 if length <= 65535 else 8
    assert len(data) == 2 + extended + (4 if masked else 0) + length
    assert data[1] & 0x7F == (length if length <= 125 else 126 if length <= 65535 else 127)
    for name, pieces in feeds(data, seed=seed, cuts=7).items():
        if name == "bytewise" and length > 200:
            continue
        chunks = decode(pieces, expect_masked=masked)
        assert b"".join(c.payload for c in chunks) == payload, name
        assert chunks[0].first and chunks[-1].last
        assert all(c.opcode is opcode and c.fin is fin for c in chunks)


def test_client_frames_are_masked_with_a_fresh_key() -> None:
    one = encode_frame(Opcode.TEXT, b"hello", mask=True)
    two = encode_frame(Opcode.TEXT, b"hello", mask=True)
    assert one[1] & 0x80 and two[1] & 0x80
    assert one[2:6] != two[2:6], "the same masking key twice"
    assert mask_payload(one[6:], one[2:6]) == b"hello"
    # RFC 6455 §5.7's example: a masked "Hello".
    assert encode_frame(1, b"Hello", mask=b"\x37\xfa\x21\x3d") == bytes.fromhex(
        "818537fa213d7f9f4d5158"
    )


@pytest.mark.parametrize("offset", range(8))
def test_mask_offset_continues_the_key(offset: int) -> None:
    # Both ways of masking (small and large payloads) against §5.3 octet by octet.
    for size in (0, 1, 3, 4, 5, 511, 512, 513, 2000):
        data = random.Random(size).randbytes(size)
        naive = bytes(b ^ KEY[(i + offset) % 4] for i, b in enumerate(data))
        assert mask_payload(data, KEY, offset) == naive, size
        whole = mask_payload(data, KEY)
        assert mask_payload(data[offset:], KEY, offset) == whole[offset:], size


@pytest.mark.parametrize(
    ("data", "masked", "why"),
    [
        (frame(Opcode.TEXT, b"x", rsv=RSV1), True, "reserved bits"),
        (frame(Opcode.TEXT, b"x", rsv=RSV2), True, "reserved bits"),
        (frame(Opcode.PING, b"x", rsv=RSV3), True, "reserved bits"),
        (frame(Opcode.CLOSE, b"", rsv=RSV1 | RSV2 | RSV3), True, "reserved bits"),
        *((frame(op, b"x"), True, "reserved opcode") for op in (3, 4, 5, 6, 7)),
        *((frame(op, b""), True, "reserved opcode") for op in (0xB, 0xC, 0xD, 0xE, 0xF)),
        (frame(Opcode.TEXT, b"x", masked=False), True, "unmasked"),
        (frame(Opcode.TEXT, b"x", masked=True), False, "masked frame from a server"),
        (b"\x89\xfe\x00\x7e" + KEY + bytes(126), True, "control frame of 126"),
        (frame(Opcode.PING, b"x", fin=False), True, "fragmented control"),
        (b"\x82\xff" + struct.pack("!Q", 1 << 63) + KEY, True, "most significant bit"),
        (b"\x82\xfe\x00\x05" + KEY + bytes(5), True, "minimal form"),
        (b"\x82\xff" + struct.pack("!Q", 65535) + KEY, True, "minimal form"),
    ],
)
def test_frame_header_errors_are_1002(data: bytes, masked: bool, why: str) -> None:
    for pieces in feeds(data, seed=1, cuts=3).values():
        with pytest.raises(RemoteProtocolError, match=why) as excinfo:
            decode(pieces, expect_masked=masked)
        assert excinfo.value.code == CloseCode.PROTOCOL_ERROR


def test_rsv1_is_allowed_once_an_extension_claims_it() -> None:
    chunks = decode([frame(Opcode.TEXT, b"x", rsv=RSV1)], expect_masked=True, allowed_rsv=RSV1)
    assert chunks[0].rsv == RSV1
    with pytest.raises(RemoteProtocolError):
        decode([frame(Opcode.TEXT, b"x", rsv=RSV2)], expect_masked=True, allowed_rsv=RSV1)


def test_encoder_refuses_what_no_peer_may_receive() -> None:
    with pytest.raises(LocalProtocolError):
        encode_frame(Opcode.PING, bytes(126))
    with pytest.raises(LocalProtocolError):
        encode_frame(Opcode.CLOSE, b"", fin=False)
    with pytest.raises(LocalProtocolError):
        frame_header(Opcode.TEXT, 1 << 63)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.booleans(), st.booleans())
def test_fuzz_any_input_parses_or_raises_protocol_error(
    data: bytes, is_server: bool, deflate: bool
) -> None:
    params = DeflateParams() if deflate else None
    conn = WebSocketConnection(is_server=is_server, max_message=1000, deflate=params)
    try:
        for i in range(0, len(data), 7):
            conn.receive_data(data[i : i + 7])
            list(conn.events())
    except ProtocolError:
        pass


# -- messages ---------------------------------------------------------------------------


def fragmented_stream() -> tuple[bytes, list[Event]]:
    """Text in three fragments with a ping and a pong in between, then binary (§5.4)."""
    text = "κόσμε and more"
    raw = text.encode()
    data = b"".join(
        [
            frame(Opcode.TEXT, raw[:3], fin=False),  # splits a code point
            frame(Opcode.PING, b"ping!"),
            frame(Opcode.CONTINUATION, b"", fin=False),
            frame(Opcode.PONG, b"unsolicited"),
            frame(Opcode.CONTINUATION, raw[3:]),
            frame(Opcode.BINARY, b"\x00\xff"),
        ]
    )
    return data, [Ping(b"ping!"), Pong(b"unsolicited"), TextMessage(text), BytesMessage(b"\0\xff")]


def test_fragments_with_control_frames_in_between_chopped_at_every_byte() -> None:
    data, expected = fragmented_stream()
    for cut in range(len(data) + 1):
        events, conn = server_events([data[:cut], data[cut:]])
        assert events == expected, cut
        # §5.5.2: a Pong with the Ping's payload, sent before the message completes.
        assert conn.data_to_send() == b"\x8a\x05ping!"
    events, _ = server_events(data[i : i + 1] for i in range(len(data)))
    assert events == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (frame(Opcode.CONTINUATION, b"x"), "nothing|no message"),
        (frame(Opcode.TEXT, b"a", fin=False) + frame(Opcode.TEXT, b"b"), "inside"),
        (frame(Opcode.BINARY, b"a", fin=False) + frame(Opcode.TEXT, b"b"), "inside"),
        (frame(Opcode.CLOSE, b"\x03"), "1-byte"),
        *((frame(Opcode.CLOSE, struct.pack("!H", c)), "invalid code") for c in (0, 999, 1004)),
    ],
)
def test_message_errors_are_1002(data: bytes, why: str) -> None:
    assert failure(data).code == CloseCode.PROTOCOL_ERROR


def test_text_fails_fast_at_the_first_invalid_byte() -> None:
    # Autobahn 6.4.1-style: valid text, then F4 90 (above U+10FFFF), in an unfinished
    # message whose end never comes.
    good = "κόσμε".encode()
    payload = good + b"\xf4\x90\x80\x80" + b"edited"
    head = frame(Opcode.TEXT, payload, fin=False)
    header_length = len(head) - len(payload)
    conn = WebSocketConnection(is_server=True)
    failed_at = None
    for i in range(len(head)):
        conn.receive_data(head[i : i + 1])
        try:
            list(conn.events())
        except RemoteProtocolError as exc:
            assert exc.code == CloseCode.INVALID_DATA
            failed_at = i
            break
    # §8.1 fail fast: at the 0x90, the first byte that cannot continue a code point.
    assert failed_at == header_length + len(good) + 1


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        (b"ab\xed\xa0\x80", 3),  # a UTF-16 surrogate: invalid at its second byte
        (b"ab\xc0\xaf", 2),  # an overlong '/'
        (b"ab\xff", 2),
        (b"ab\xe0\x80\xaf", 3),  # an overlong 3-byte form
    ],
)
def test_invalid_utf8_fails_before_the_sequence_ends(payload: bytes, where: int) -> None:
    conn = WebSocketConnection(is_server=True)
    conn.receive_data(frame(Opcode.TEXT, b"", fin=False))
    list(conn.events())
    for i, byte in enumerate(payload):
        conn.receive_data(frame(Opcode.CONTINUATION, bytes([byte]), fin=False))
        if i < where:
            list(conn.events())
            continue
        with pytest.raises(RemoteProtocolError) as excinfo:
            list(conn.events())
        assert excinfo.value.code == CloseCode.INVALID_DATA
        return
    pytest.fail("no error")


def test_a_message_ending_inside_a_code_point_is_invalid() -> None:
    data = frame(Opcode.TEXT, b"ok\xce", fin=False) + frame(Opcode.CONTINUATION, b"")
    assert failure(data).code == CloseCode.INVALID_DATA


def test_noncharacters_and_split_code_points_are_valid() -> None:
    text = "\ufffe\uffff\U0010ffff€"
    raw = text.encode()
    data = b"".join(
        frame(0 if i else 1, raw[i : i + 1], fin=i == len(raw) - 1) for i in range(len(raw))
    )
    events, _ = server_events([data])
    assert events == [TextMessage(text)]


def test_message_size_limit_is_1009_at_the_header_and_across_fragments() -> None:
    big = frame(Opcode.BINARY, bytes(101))
    error = failure(big[:8], max_message=100)  # the header is enough
    assert error.code == CloseCode.MESSAGE_TOO_BIG
    parts = frame(Opcode.TEXT, b"a" * 60, fin=False) + frame(Opcode.CONTINUATION, b"a" * 41)
    assert failure(parts, max_message=100).code == CloseCode.MESSAGE_TOO_BIG
    events, _ = server_events([frame(Opcode.TEXT, b"a" * 100)], max_message=100)
    assert events == [TextMessage("a" * 100)]


# -- closing ----------------------------------------------------------------------------


def expected_valid(code: int) -> bool:
    # IANA WebSocket Close Code Number Registry (1012-1014 registered after RFC 6455).
    defined = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
    return code in defined or 3000 <= code <= 4999


def test_close_code_table_follows_the_iana_registry() -> None:
    assert [c for c in range(70000) if close_code_valid(c) != expected_valid(c)] == []
    for never in (1004, 1005, 1006, 1015, 0, 999, 1016, 1100, 2000, 2999, 5000, 65535):
        assert not close_code_valid(never)


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
)
def test_a_valid_close_is_echoed(code: int) -> None:
    events, conn = server_events([frame(Opcode.CLOSE, struct.pack("!H", code) + b"bye")])
    assert events == [CloseReceived(code, "bye")]
    assert conn.data_to_send() == b"\x88\x02" + struct.pack("!H", code)
    assert conn.state is ConnectionState.CLOSED and conn.closed_cleanly


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000])
def test_an_invalid_close_code_gets_1002(code: int) -> None:
    assert failure(frame(Opcode.CLOSE, struct.pack("!H", code))).code == 1002


def test_close_without_body_and_with_bad_reason() -> None:
    events, conn = server_events([frame(Opcode.CLOSE, b"")])
    assert events == [CloseReceived(CloseCode.NO_STATUS, "")]
    assert conn.data_to_send() == b"\x88\x00"
    bad = frame(Opcode.CLOSE, struct.pack("!H", 1000) + b"\xce\xba\xff")
    assert failure(bad).code == CloseCode.INVALID_DATA
    reason = "x" * 123  # a 125-byte Close payload
    events, _ = server_events([frame(Opcode.CLOSE, struct.pack("!H", 1000) + reason.encode())])
    assert events == [CloseReceived(1000, reason)]


def test_after_close_data_and_pings_are_ignored() -> None:
    data = frame(Opcode.CLOSE, b"\x03\xe8") + frame(Opcode.PING, b"p") + frame(Opcode.TEXT, b"t")
    events, conn = server_events([data])
    assert events == [CloseReceived(1000, "")]
    assert conn.data_to_send() == b"\x88\x02\x03\xe8"
    with pytest.raises(LocalProtocolError):
        conn.send_message("late")


def test_after_failing_only_the_peers_close_matters() -> None:
    conn = WebSocketConnection(is_server=True)
    conn.receive_data(frame(Opcode.TEXT, b"\xff") + frame(Opcode.PING, b"p"))
    with pytest.raises(RemoteProtocolError):
        list(conn.events())
    sent = conn.data_to_send()
    assert sent[0] == 0x88 and sent[2:4] == b"\x03\xef", "Close 1007 first"
    assert list(conn.events()) == []
    assert conn.data_to_send() == b"", "no Pong after our Close"
    conn.receive_data(frame(Opcode.CLOSE, b"\x03\xef"))
    assert list(conn.events()) == []
    assert conn.state is ConnectionState.CLOSED


def test_our_close_then_theirs() -> None:
    conn = WebSocketConnection(is_server=False)
    conn.send_close(1000, "done")
    sent = conn.data_to_send()
    assert sent[0] == 0x88 and sent[1] & 0x80, "a client masks its Close"
    assert mask_payload(sent[6:], sent[2:6]) == b"\x03\xe8done"
    conn.receive_data(frame(Opcode.CLOSE, b"\x03\xe8", masked=False))
    assert list(conn.events()) == [CloseReceived(1000, "")]
    assert conn.data_to_send() == b"", "no second Close"
    assert conn.closed_cleanly
    with pytest.raises(LocalProtocolError):
        WebSocketConnection(is_server=True).send_close(1005)


# -- handshake --------------------------------------------------------------------------

REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


def test_accept_key_of_rfc_6455_section_1_3() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_server_handshake_fed_three_ways() -> None:
    for name, pieces in feeds(REQUEST + b"\x81\x80" + KEY, seed=3, cuts=5).items():
        server = ServerHandshake(subprotocols=["superchat"])
        request = None
        for used, piece in enumerate(pieces, 1):  # noqa: B007 (used after the loop)
            if (request := server.receive_data(piece)) is not None:
                break
        assert request is not None, name
        rest = b"".join(pieces[used:])
        assert request.origin == "http://example.com"
        assert request.subprotocols == ("chat", "superchat")
        response, agreed = server.accept()
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
        assert b"Sec-WebSocket-Protocol: superchat\r\n" in response
        assert agreed.subprotocol == "superchat"
        assert agreed.trailing_data + rest == b"\x81\x80" + KEY, name


def test_tokens_are_case_insensitive_comma_lists() -> None:
    request = REQUEST.replace(b"Upgrade: websocket", b"upgrade: WebSocket").replace(
        b"Connection: Upgrade", b"connection: keep-alive, UPGRADE"
    )
    assert ServerHandshake().receive_data(request) is not None


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [
        (b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8", 426),
        (b"Sec-WebSocket-Version: 13\r\n", b"", 426),
        (b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b"", 400),
        (b"dGhlIHNhbXBsZSBub25jZQ==", b"dGhlIHNhbXBsZQ==", 400),  # 11 bytes
        (b"dGhlIHNhbXBsZSBub25jZQ==", b"not base64!", 400),
        (b"Upgrade: websocket\r\n", b"", 400),
        (b"Connection: Upgrade", b"Connection: keep-alive", 400),
        (b"Host: server.example.com\r\n", b"", 400),
        (b"GET /chat", b"POST /chat", 405),
        (b"HTTP/1.1", b"HTTP/1.0", 400),
        (b"Origin: http", b"Origin : http", 400),
    ],
)
def test_bad_requests_get_their_status(old: bytes, new: bytes, status: int) -> None:
    assert old in REQUEST
    with pytest.raises(RemoteProtocolError) as excinfo:
        ServerHandshake().receive_data(REQUEST.replace(old, new))
    assert excinfo.value.code == status


def test_head_limits_are_431() -> None:
    with pytest.raises(RemoteProtocolError) as excinfo:
        ServerHandshake().receive_data(b"GET / HTTP/1.1\r\nX: " + b"a" * 20000)
    assert excinfo.value.code == 431
    many = b"".join(b"X-%d: y\r\n" % i for i in range(101))
    with pytest.raises(RemoteProtocolError) as excinfo:
        ServerHandshake().receive_data(REQUEST.replace(b"\r\n\r\n", b"\r\n" + many + b"\r\n"))
    assert excinfo.value.code == 431


def test_426_names_version_13() -> None:
    from reference_impls.websocket.handshake import error_response

    response = error_response(426, "no")
    assert response.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")
    assert b"\r\nSec-WebSocket-Version: 13\r\n" in response


def test_client_handshake_checks_the_response() -> None:
    client = ClientHandshake("h:1", "/p", subprotocols=["chat"], deflate=True)
    request = client.request()
    server = ServerHandshake(subprotocols=["chat"])
    assert server.receive_data(request) is not None
    response, _ = server.accept()
    agreed = client.receive_data(response + b"\x81\x00")
    assert agreed is not None
    assert agreed.subprotocol == "chat" and agreed.deflate is not None
    assert agreed.trailing_data == b"\x81\x00"
    wrong = response.replace(accept_key(client.key).encode(), accept_key("x").encode())
    with pytest.raises(RemoteProtocolError, match="Accept"):
        ClientHandshake("h", key=client.key).receive_data(wrong)
    with pytest.raises(RemoteProtocolError) as excinfo:
        ClientHandshake("h").receive_data(b"HTTP/1.1 426 Upgrade Required\r\n\r\n")
    assert excinfo.value.code == 426


# -- permessage-deflate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        ("permessage-deflate", "permessage-deflate"),
        ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        (
            'permessage-deflate; server_max_window_bits="10"; client_max_window_bits=9',
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
        ),
        ("permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate"),
        ("permessage-deflate; bogus", None),
        ("permessage-deflate; server_max_window_bits=16", None),
        ("permessage-deflate; server_max_window_bits=09", None),
        ("permessage-deflate; server_no_context_takeover=1", None),
        ("permessage-deflate; client_no_context_takeover; client_no_context_takeover", None),
        ("x-webkit-deflate-frame", None),
    ],
)
def test_deflate_negotiation(offer: str, answer: str | None) -> None:
    negotiated = negotiate_server(parse_extensions([offer]))
    assert (negotiated[0] if negotiated else None) == answer
    if negotiated is not None:
        assert negotiate_client(parse_extensions([negotiated[0]])) is not None


def deflate_pair(params: DeflateParams) -> tuple[WebSocketConnection, WebSocketConnection]:
    return (
        WebSocketConnection(is_server=False, deflate=params),
        WebSocketConnection(is_server=True, deflate=params),
    )


def exchange(
    sender: WebSocketConnection,
    receiver: WebSocketConnection,
    data: str | bytes,
    fragment_size: int | None = None,
) -> bytes:
    sender.send_message(data, fragment_size=fragment_size)
    wire = sender.data_to_send()
    receiver.receive_data(wire)
    events = list(receiver.events())
    assert events == [TextMessage(data) if isinstance(data, str) else BytesMessage(data)]
    return wire


@pytest.mark.parametrize("snct", [False, True])
def test_deflate_round_trip_and_context_takeover(snct: bool) -> None:
    client, server = deflate_pair(DeflateParams(server_no_context_takeover=snct))
    text = "All work and no play makes Jack a dull boy. " * 40
    first = exchange(server, client, text)
    assert first[0] == 0x80 | RSV1 | Opcode.TEXT and len(first) < len(text) // 5
    second = exchange(server, client, text)
    if snct:
        assert second == first, "no context takeover: every message compresses alike"
    else:
        assert len(second) < len(first), "context takeover: the repeat refers back"
    exchange(client, server, b"\x00" * 5000)
    exchange(client, server, "")


def test_deflate_rsv1_only_on_the_first_fragment() -> None:
    client, server = deflate_pair(DeflateParams())
    wire = exchange(client, server, "fragmented " * 100, fragment_size=5)
    frames = decode([wire], expect_masked=True, allowed_rsv=RSV1)
    firsts = [c for c in frames if c.first]
    assert firsts[0].rsv == RSV1 and all(c.rsv == 0 for c in firsts[1:])
    assert len(firsts) > 2
    # A compressed continuation is a protocol error (RFC 7692 §6.1).
    compressor = zlib.compressobj(wbits=-15)
    body = compressor.compress(b"abc") + compressor.flush(zlib.Z_SYNC_FLUSH)
    bad = frame(Opcode.TEXT, b"", fin=False, rsv=RSV1) + frame(0, body[:-4], rsv=RSV1)
    assert failure(bad, deflate=DeflateParams()).code == CloseCode.PROTOCOL_ERROR
    assert failure(frame(Opcode.PING, b"", rsv=RSV1), deflate=DeflateParams()).code == 1002


def test_deflate_bomb_is_1009() -> None:
    client, server = deflate_pair(DeflateParams())
    server.max_message = 1000
    client.send_message(b"\x00" * 100_000)
    wire = client.data_to_send()
    assert len(wire) < 1000
    server.receive_data(wire)
    with pytest.raises(RemoteProtocolError) as excinfo:
        list(server.events())
    assert excinfo.value.code == CloseCode.MESSAGE_TOO_BIG


def test_deflate_client_window_and_no_context_takeover() -> None:
    params = DeflateParams(client_max_window_bits=9, client_no_context_takeover=True)
    client, server = deflate_pair(params)
    text = "abcdefgh" * 600 + "z" * 1000
    first = exchange(client, server, text)
    second = exchange(client, server, text)
    # Masked with fresh keys, so compare lengths: no context, the same compressed size.
    assert len(first) == len(second)
    payload = b"".join(c.payload for c in decode([first], expect_masked=True, allowed_rsv=RSV1))
    inflated = zlib.decompressobj(wbits=-9).decompress(payload + b"\x00\x00\xff\xff")
    assert inflated == text.encode(), "decodable with a 9-bit window"

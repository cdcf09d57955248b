"""Every failure case of the suite: what we send that the server must fail the connection on.

The name of each case is the slug of its check's parametrization; the Autobahn case it
follows is named in ``what`` where there is one. The UTF-8 cases are built from the
vectors in :mod:`suites.websocket.utf8vectors`.
"""

from __future__ import annotations

from harness.websocket import Opcode, WsConnection, build_frame, close_payload
from suites.websocket.cases import INVALID_DATA, PROTOCOL_ERROR, TOO_BIG, failure
from suites.websocket.utf8vectors import INVALID

T, B, C, PING, PONG, CLOSE = (
    Opcode.TEXT,
    Opcode.BINARY,
    Opcode.CONTINUATION,
    Opcode.PING,
    Opcode.PONG,
    Opcode.CLOSE,
)
F = build_frame

# -- masking and lengths (not in Autobahn) -------------------------------------------------


@failure("unmasked-text", "an unmasked text frame 'Hello'")
def _unmasked_text(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello", masked=False)])


@failure("unmasked-ping", "an unmasked Ping")
def _unmasked_ping(ws: WsConnection) -> None:
    ws.send_frames([F(PING, b"ping", masked=False)])


@failure(
    "length-top-bit",
    "a text frame whose 64-bit length has its most significant bit set",
    frozenset({PROTOCOL_ERROR, TOO_BIG}),
)
def _length_top_bit(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello", length=2**63 + 5, length_form=64)])


# -- Autobahn 2: control frame payloads ----------------------------------------------------


@failure("ping-126", "a Ping with a 126-byte payload (Autobahn 2.5)")
def _ping_126(ws: WsConnection) -> None:
    ws.send_frames([F(PING, b"\xfe" * 126)])


@failure(
    "close-126", "a Close with code 1000 and a 124-byte reason (Autobahn 7.3.6)", close_case=True
)
def _close_126(ws: WsConnection) -> None:
    ws.send_frames([F(CLOSE, close_payload(1000, b"*" * 124))])


@failure("pong-126", "an unsolicited Pong with a 126-byte payload")
def _pong_126(ws: WsConnection) -> None:
    ws.send_frames([F(PONG, b"\xfe" * 126), F(PING, b"after")])


# -- Autobahn 3: reserved bits -------------------------------------------------------------


@failure("rsv1-text", "a text frame with RSV=1 (Autobahn 3.1)")
def _rsv1(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello", rsv=1)])


@failure(
    "rsv2-after-valid",
    "a valid text, a text frame with RSV=2, then a Ping (Autobahn 3.2)",
    allowed=(b"Hello",),
)
def _rsv2(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello")])
    ws.send_frames([F(T, b"Hello", rsv=2)])
    ws.send_frames([F(PING)])


@failure(
    "rsv3-one-write",
    "a valid text, a text frame with RSV=3 and a Ping in one write (Autobahn 3.3)",
    allowed=(b"Hello",),
)
def _rsv3(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello"), F(T, b"Hello", rsv=3), F(PING)])


@failure(
    "rsv4-octets",
    "a valid text, a text frame with RSV=4 and a Ping, one octet per write (Autobahn 3.4)",
    allowed=(b"Hello",),
)
def _rsv4(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"Hello"), F(T, b"Hello", rsv=4), F(PING)], chop=1)


@failure("rsv5-binary", "a binary frame with RSV=5 (Autobahn 3.5)")
def _rsv5(ws: WsConnection) -> None:
    ws.send_frames([F(B, bytes(range(8)), rsv=5)])


@failure("rsv6-ping", "a Ping with RSV=6 (Autobahn 3.6)")
def _rsv6(ws: WsConnection) -> None:
    ws.send_frames([F(PING, b"Hello", rsv=6)])


@failure("rsv7-close", "a Close 1000 with RSV=7 (Autobahn 3.7)", close_case=True)
def _rsv7(ws: WsConnection) -> None:
    ws.send_frames([F(CLOSE, close_payload(1000), rsv=7)])


# -- Autobahn 4: reserved opcodes ----------------------------------------------------------


def _opcode_case(opcode: int, number: str, variant: int) -> None:
    payload = b"reserved opcode payload"
    allowed: tuple[bytes, ...]
    if variant == 1:
        what, allowed = f"a frame with reserved opcode {opcode} (Autobahn {number})", ()

        def steps(ws: WsConnection) -> None:
            ws.send_frames([F(opcode)])

    elif variant == 2:
        what, allowed = f"a frame with reserved opcode {opcode} and a payload ({number})", ()

        def steps(ws: WsConnection) -> None:
            ws.send_frames([F(opcode, payload)])

    else:
        what = f"a valid text, a frame with reserved opcode {opcode}, then a Ping ({number})"
        allowed = (b"Hello",)
        chop = 1 if variant == 5 else None

        def steps(ws: WsConnection) -> None:
            body = b"" if variant == 3 else payload
            ws.send_frames([F(T, b"Hello"), F(opcode, body), F(PING)], chop=chop)

    failure(f"opcode-{opcode}", what, allowed=allowed)(steps)


for _i, _op in enumerate((3, 4, 5, 6, 7), start=1):
    _opcode_case(_op, f"4.1.{_i}", _i)
for _i, _op in enumerate((11, 12, 13, 14, 15), start=1):
    _opcode_case(_op, f"4.2.{_i}", _i)

# -- Autobahn 5: fragmentation -------------------------------------------------------------


@failure("fragmented-ping", "a Ping in two fragments, FIN clear on the first (Autobahn 5.1)")
def _fragmented_ping(ws: WsConnection) -> None:
    ws.send_frames([F(PING, b"fragment1", fin=False), F(C, b"fragment2")])


@failure("fragmented-pong", "a Pong in two fragments, FIN clear on the first (Autobahn 5.2)")
def _fragmented_pong(ws: WsConnection) -> None:
    ws.send_frames([F(PONG, b"fragment1", fin=False), F(C, b"fragment2")])


@failure(
    "fragmented-close", "a Close 1000 in two fragments, FIN clear on the first", close_case=True
)
def _fragmented_close(ws: WsConnection) -> None:
    body = close_payload(1000, b"fragment")
    ws.send_frames([F(CLOSE, body[:3], fin=False), F(C, body[3:])])


def _stray(name: str, what: str, fin: bool, chop: int | None, twice: bool = False) -> None:
    def steps(ws: WsConnection) -> None:
        rounds = 2 if twice else 1
        frames: list[bytes] = []
        for _ in range(rounds):
            frames += [
                F(C, b"non-continuation payload", fin=fin),
                F(T, b"fragment1", fin=False),
                F(C, b"fragment2"),
            ]
        ws.send_frames(frames, chop=chop)

    failure(name, what)(steps)


_stray(
    "continuation-fin-first", "a continuation (FIN set) with nothing to continue (5.9)", True, None
)
_stray("continuation-fin-octets", "the same, one octet per write (5.10)", True, 1)
_stray("continuation-fin-chops", "the same, in 3-byte writes (5.11)", True, 3)
_stray(
    "continuation-nofin-first",
    "a continuation (FIN clear) with nothing to continue (5.12)",
    False,
    None,
)
_stray("continuation-nofin-octets", "the same, one octet per write (5.13)", False, 1)
_stray("continuation-nofin-chops", "the same, in 3-byte writes (5.14)", False, 3)
_stray(
    "continuation-twice-nofin",
    "twice: a stray continuation (FIN clear), then a fragmented text (5.16)",
    False,
    None,
    twice=True,
)
_stray(
    "continuation-twice-fin",
    "twice: a stray continuation (FIN set), then a fragmented text (5.17)",
    True,
    None,
    twice=True,
)


@failure(
    "continuation-after-message",
    "a text in two fragments, then a continuation with nothing to continue (Autobahn 5.15)",
    allowed=(b"fragment1fragment2",),
)
def _after_message(ws: WsConnection) -> None:
    ws.send_frames(
        [
            F(T, b"fragment1", fin=False),
            F(C, b"fragment2"),
            F(C, b"fragment3", fin=False),
            F(T, b"fragment4"),
        ]
    )


@failure(
    "text-inside-fragmented-text",
    "a text fragment (FIN clear), then a new text frame before the message ended (5.18)",
)
def _text_inside_text(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"fragment1", fin=False), F(T, b"fragment2")])


@failure(
    "binary-inside-fragmented-text",
    "a text fragment (FIN clear), then a binary frame before the message ended",
)
def _binary_inside_text(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"fragment1", fin=False), F(B, b"fragment2")])


# -- Autobahn 6: invalid UTF-8 -------------------------------------------------------------


def _utf8_case(name: str, data: bytes, where: str) -> None:
    def steps(ws: WsConnection) -> None:
        ws.send_frames([F(T, data)])

    failure(f"utf8-{name}", f"a text frame holding {where}: {data[:24].hex(' ')}", INVALID_DATA)(
        steps
    )


for _name, (_data, _where) in INVALID.items():
    _utf8_case(_name, _data, _where)


@failure(
    "utf8-invalid-in-fragments",
    "'κόσμε' then invalid octets (ED A0 80) then 'edited', as one-octet fragments (6.3.2)",
    INVALID_DATA,
)
def _utf8_fragments(ws: WsConnection) -> None:
    data = "κόσμε".encode() + b"\xed\xa0\x80" + b"edited"
    frames = [
        F(T if i == 0 else C, data[i : i + 1], fin=i == len(data) - 1) for i in range(len(data))
    ]
    ws.send_frames(frames)


@failure(
    "utf8-split-code-point-invalid",
    "a text in two fragments whose split 4-byte sequence decodes above U+10FFFF",
    INVALID_DATA,
)
def _utf8_split_invalid(ws: WsConnection) -> None:
    ws.send_frames([F(T, b"ab\xf4", fin=False), F(C, b"\x90\x80\x80cd")])


# -- Autobahn 7: close frames --------------------------------------------------------------


@failure("close-1-byte", "a Close whose body is a single byte (Autobahn 7.3.2)", close_case=True)
def _close_one_byte(ws: WsConnection) -> None:
    ws.send_frames([F(CLOSE, b"\x03")])


@failure(
    "close-reason-invalid-utf8",
    "a Close 1000 whose reason is invalid UTF-8 (Autobahn 7.5.1)",
    frozenset({PROTOCOL_ERROR, INVALID_DATA}),
    close_case=True,
)
def _close_bad_reason(ws: WsConnection) -> None:
    ws.send_frames(
        [
            F(
                CLOSE,
                close_payload(
                    1000,
                    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
                ),
            )
        ]
    )


#: Autobahn 7.9.x (plus 1015, which RFC 6455 §7.4.1 says is never sent, and 5000+ is
#: judged apart as informational).
INVALID_CLOSE_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999)


def _close_code_case(code: int) -> None:
    def steps(ws: WsConnection) -> None:
        ws.send_frames([F(CLOSE, close_payload(code))])

    failure(f"close-code-{code}", f"a Close with the invalid code {code} (7.9.x)", close_case=True)(
        steps
    )


for _code in INVALID_CLOSE_CODES:
    _close_code_case(_code)

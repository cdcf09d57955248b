"""Small threaded UTF-8 and UTF-16 servers, each with one switch that breaks one requirement.

Like :mod:`brokenservers` (whose threaded base and suite runner these reuse): correct
by default, and a ``fault`` named by the requirement id without the suite and spec
prefix (``utf16/rfc2781/sender/bom-matches-byte-order`` -> ``sender/bom-matches-byte-order``)
breaks exactly that requirement. The servers are written with Python's own codecs, not
with the reference implementation, so the suites are checked against an independent
encoder.

* :class:`Utf8Server`: the chapter 6 UTF-8 server (the text, then close).
* :class:`Utf16Server`: the chapter 6 UTF-16 server (BOM, the text, then close),
  two octets per write as the book's server writes them.
* :class:`Utf16EchoServer`: a document in until the client's FIN, BOM and the same
  text back, then close; invalid input: close, no reply.
"""

from __future__ import annotations

import socket

from brokenservers import LINGER, _ThreadedServer

__all__ = [
    "BOOK_UTF8_TEXT",
    "BOOK_UTF16_TEXT",
    "UTF8_FAULTS",
    "UTF16_ECHO_FAULTS",
    "UTF16_SENDER_FAULTS",
    "Utf8Server",
    "Utf16EchoServer",
    "Utf16Server",
]

BOOK_UTF8_TEXT = "百度一下，你就知道"
BOOK_UTF16_TEXT = "j'ai arrêté"

#: Each breaks ``utf8/rfc3629/<fault>`` (after the colon: which way).
UTF8_FAULTS: tuple[str, ...] = (
    "sender/valid-utf8",  # '/' as the overlong C0 AF in the middle of the text
    "sender/valid-utf8:surrogate",  # U+D800 encoded as ED A0 80 (CESU-style)
    "sender/valid-utf8:above-max",  # F4 90 80 80, above U+10FFFF
    "sender/valid-utf8:truncated",  # the last character cut one octet short
)

#: Each breaks ``utf16/rfc2781/<fault>``.
UTF16_SENDER_FAULTS: tuple[str, ...] = (
    "sender/bom-present",  # big-endian text, no BOM
    "sender/bom-matches-byte-order",  # the book's 1st edition: FF FE, then big-endian units
    "sender/bom-matches-byte-order:no-bom",  # no BOM (so big-endian), little-endian units
    "sender/even-length",  # a stray octet after the text
    "sender/no-unpaired-surrogates",  # a lone high surrogate before the last character
    "sender/astral-surrogate-pairs",  # characters above U+FFFF sent as U+FFFD (UCS-2 style)
    "sender/text-as-expected",  # another text ("j'ai arrete")
)

UTF16_ECHO_FAULTS: tuple[str, ...] = (
    "echo/both-byte-orders",  # ignores the BOM: reads everything big-endian
    "echo/no-bom-big-endian",  # no BOM: reads little-endian
    "echo/astral-characters",  # characters above U+FFFF come back as U+FFFD
    "echo/invalid-input-closed",  # invalid input comes back with U+FFFD (garbage)
)

#: The most an echo connection reads (a bound, not a protocol limit).
MAX_DOCUMENT = 1024 * 1024


class _TcpOnly(_ThreadedServer):
    def targets(self, suite: str) -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tcp://{host}:{port}"]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # TCP services: datagrams are ignored


class Utf8Server(_TcpOnly):
    """The chapter 6 UTF-8 server; ``fault`` (see :data:`UTF8_FAULTS`) breaks its text."""

    FAULTS = UTF8_FAULTS

    def document(self) -> bytes:
        good = BOOK_UTF8_TEXT.encode("utf-8")
        middle = len(good) // 2 // 3 * 3  # a character boundary
        bad = {
            "sender/valid-utf8": b"\xc0\xaf",
            "sender/valid-utf8:surrogate": b"\xed\xa0\x80",
            "sender/valid-utf8:above-max": b"\xf4\x90\x80\x80",
        }.get(self.fault or "")
        if bad is not None:
            return good[:middle] + bad + good[middle:]
        if self.fault == "sender/valid-utf8:truncated":
            return good[:-1]
        return good

    def _serve_connection(self, conn: socket.socket) -> None:
        conn.sendall(self.document())


class Utf16Server(_TcpOnly):
    """The chapter 6 UTF-16 server; ``fault`` (see :data:`UTF16_SENDER_FAULTS`)."""

    FAULTS = UTF16_SENDER_FAULTS

    def __init__(self, fault: str | None = None, *, text: str = BOOK_UTF16_TEXT) -> None:
        super().__init__(fault)
        self.text = text

    def document(self) -> bytes:
        fault, text = self.fault, self.text
        if fault == "sender/text-as-expected":
            text = text.replace("ê", "e").replace("é", "e")
        if fault == "sender/astral-surrogate-pairs":
            text = "".join("\ufffd" if ord(c) > 0xFFFF else c for c in text)
        big = text.encode("utf-16-be")
        if fault == "sender/bom-present":
            return big
        if fault == "sender/bom-matches-byte-order":
            # The first edition: BOM = '\ufffe' written big-endian is FF FE.
            return b"\xff\xfe" + big
        if fault == "sender/bom-matches-byte-order:no-bom":
            return text.encode("utf-16-le")
        if fault == "sender/even-length":
            return b"\xfe\xff" + big + b"\x00"
        if fault == "sender/no-unpaired-surrogates":
            return b"\xfe\xff" + big[:-2] + b"\xd8\x34" + big[-2:]
        return b"\xfe\xff" + big

    def _serve_connection(self, conn: socket.socket) -> None:
        document = self.document()
        for i in range(0, len(document), 2):
            conn.sendall(document[i : i + 2])


def _decode_document(data: bytes, fault: str | None) -> str:
    """Decode a UTF-16 document strictly, with the fault's misreading; ValueError if invalid."""
    errors = "replace" if fault == "echo/invalid-input-closed" else "strict"
    order = "be"
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        if fault != "echo/both-byte-orders":
            order = "be" if data[:2] == b"\xfe\xff" else "le"
        data = data[2:]
    elif fault == "echo/no-bom-big-endian":
        order = "le"
    if len(data) % 2 and errors == "strict":
        raise ValueError("odd octet count")
    text = data.decode(f"utf-16-{order}", errors=errors)
    if fault == "echo/astral-characters":
        text = "".join("\ufffd" if ord(c) > 0xFFFF else c for c in text)
    return text


class Utf16EchoServer(_TcpOnly):
    """A UTF-16 echo; ``fault`` (see :data:`UTF16_ECHO_FAULTS`) breaks one requirement."""

    FAULTS = UTF16_ECHO_FAULTS

    def _serve_connection(self, conn: socket.socket) -> None:
        received = bytearray()
        while self._readable(conn, LINGER):
            data = conn.recv(65536)
            if not data:
                break
            received += data
            if len(received) > MAX_DOCUMENT:
                return
        else:
            return  # the client never finished: close
        try:
            text = _decode_document(bytes(received), self.fault)
        except ValueError:  # UnicodeDecodeError included
            return  # invalid input: close, no reply
        conn.sendall(b"\xfe\xff" + text.encode("utf-16-be"))

"""The chapter 6 services as sans-IO cores: what to send, given what arrived; no sockets."""

from __future__ import annotations

from reference_impls.errors import RemoteProtocolError
from reference_impls.text.utf16 import ByteOrder, Utf16Decoder, encode_utf16

__all__ = [
    "BOOK_UTF8_TEXT",
    "BOOK_UTF16_TEXT",
    "MAX_DOCUMENT",
    "Utf16EchoConnection",
    "utf8_document",
    "utf16_document",
]

#: What the book's UTF-8 server sends ("Baidu it, and you'll know").
BOOK_UTF8_TEXT = "百度一下，你就知道"
#: What the book's UTF-16 server sends.
BOOK_UTF16_TEXT = "j'ai arrêté"
#: The largest document the UTF-16 echo accepts (octets, BOM included).
MAX_DOCUMENT = 1024 * 1024


def utf8_document(text: str = BOOK_UTF8_TEXT) -> bytes:
    """What the UTF-8 server sends on each connection before it closes."""
    return text.encode("utf-8")


def utf16_document(text: str = BOOK_UTF16_TEXT, *, order: ByteOrder = "big") -> bytes:
    """What the UTF-16 server sends: U+FEFF in ``order`` (FE FF or FF FE), then the text."""
    return encode_utf16(text, order=order, bom=True)


class Utf16EchoConnection:
    """One connection of the UTF-16 echo: a document in, the same text back after EOF.

    The client sends a UTF-16 document (a BOM in either order, or none: big-endian)
    and shuts down its sending side; the reply is U+FEFF and the same text in
    ``order``, after which the server closes. Invalid input (an odd number of octets,
    an unpaired surrogate) or a document over ``max_document`` octets gets no reply:
    :attr:`failed` says why, and the shell closes at once.
    """

    def __init__(self, *, order: ByteOrder = "big", max_document: int = MAX_DOCUMENT) -> None:
        self.order: ByteOrder = order
        self.max_document = max_document
        self._decoder = Utf16Decoder()
        self._text: list[str] = []
        self._reply = b""
        self._done = False
        #: Why no reply will come (the error), or None.
        self.failed: RemoteProtocolError | None = None

    def receive_data(self, data: bytes) -> None:
        if self.failed is not None or self._done:
            return
        try:
            if self._decoder.offset + len(data) > self.max_document:
                raise RemoteProtocolError(
                    f"the document exceeds {self.max_document} octets",
                    offset=self.max_document,
                )
            self._text.append(self._decoder.receive_data(data))
        except RemoteProtocolError as exc:
            self.failed = exc

    def receive_eof(self) -> None:
        if self.failed is not None or self._done:
            return
        try:
            self._text.append(self._decoder.receive_eof())
        except RemoteProtocolError as exc:
            self.failed = exc
            return
        self._done = True
        self._reply = encode_utf16("".join(self._text), order=self.order, bom=True)

    def data_to_send(self) -> bytes:
        """The reply, once (empty before EOF, after it was taken, or on failure)."""
        out, self._reply = self._reply, b""
        return out

    @property
    def should_close(self) -> bool:
        """True once the reply is out, or the input turned out invalid."""
        return self.failed is not None or (self._done and not self._reply)

"""Go's rules for text that is not valid UTF-8, shared by the parser and the encoder."""

from __future__ import annotations

import codecs

__all__ = ["GO_REPLACE", "go_decode", "go_encode", "quote_char"]

#: Codec error handler: each byte that does not start a valid UTF-8 sequence becomes
#: one U+FFFD, as Go's ``utf8.DecodeRune`` (size 1 on error) has it. Python's own
#: "replace" handler would give one U+FFFD per maximal invalid subpart instead
#: (``b"\xe2\x82"`` -> one U+FFFD; Go gives two).
GO_REPLACE = "wirecert.go-replace"


def _go_replace(exc: UnicodeError) -> tuple[str | bytes, int]:
    if isinstance(exc, UnicodeDecodeError):
        return "\ufffd", exc.start + 1
    if isinstance(exc, UnicodeEncodeError):
        # A str holding surrogates (which no UTF-8 string can): U+FFFD each, as Go's
        # string(rune) conversion gives for a surrogate code point. (The UTF-8 encoder
        # takes only ASCII text from a handler, so this is bytes.)
        return "\ufffd".encode() * (exc.end - exc.start), exc.end
    raise exc


codecs.register_error(GO_REPLACE, _go_replace)


def go_decode(data: bytes | bytearray | memoryview) -> str:
    """Decode UTF-8 the way Go ranges over a string: each invalid byte is U+FFFD."""
    return bytes(data).decode("utf-8", GO_REPLACE)


def go_encode(text: str) -> bytes:
    """The Go string for ``text``: its UTF-8 bytes, with any surrogate as U+FFFD."""
    return text.encode("utf-8", GO_REPLACE)


_ASCII_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}


def quote_char(c: int) -> str:
    """Go's ``json.quoteChar``: the offending byte as Go's syntax errors show it."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    # Go quotes string(rune(c)) with strconv.Quote, so a byte >= 0x80 shows as Latin-1.
    if c == 0x5C:
        body = "\\\\"
    elif 0x20 <= c < 0x7F:
        body = chr(c)
    elif c in _ASCII_ESCAPES:
        body = _ASCII_ESCAPES[c]
    elif c < 0x80:
        body = f"\\x{c:02x}"
    elif c <= 0xA0 or c == 0xAD:  # C1 controls, NBSP and SHY are not "printable"
        body = f"\\u{c:04x}"
    else:
        body = chr(c)
    return f"'{body}'"

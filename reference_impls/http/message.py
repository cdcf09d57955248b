"""HTTP/1.1 message rules h11 leaves to its user, sans-IO: request heads, body framing, dates.

h11 (0.14-0.16) parses HTTP/1.1 well, but it is lenient where request smuggling
lives. Measured against its server role, it accepts a request with both
Content-Length and Transfer-Encoding (and frames it by Transfer-Encoding), unfolds
obs-fold, takes a bare LF as a line end, reads a chunk size of any number of hex
digits (``fffff...`` waits for that many octets), and accepts ``HTTP/2.0`` in a
request line. It does reject whitespace before the colon, bare CR, conflicting
Content-Length values, non-hex chunk sizes, and a missing or repeated Host.

:func:`parse_request_head` checks a complete head strictly before the bytes go to
h11, :class:`ChunkedFraming` walks a chunked body before h11 decodes it (so only the
current request's bytes reach h11, and a pipelined next request is checked in its
turn), and :func:`error_response` writes the answer to a request that is refused.
Each check sits beside the sentence of RFC 9112 or RFC 9110 it enforces.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from reference_impls.errors import RemoteProtocolError

__all__ = [
    "MAX_CHUNK_SIZE_DIGITS",
    "MAX_FIELDS",
    "MAX_HEAD",
    "MAX_REQUEST_LINE",
    "BodyFraming",
    "ChunkedFraming",
    "RequestHead",
    "check_request_line_length",
    "error_response",
    "find_head_end",
    "http_date",
    "parse_http_date",
    "parse_request_head",
    "reason",
]

#: Longest request line we parse; a longer one is answered 414 (RFC 9112 §3).
MAX_REQUEST_LINE = 8192
#: Largest header section (request line included); larger is answered 431 (RFC 9110 §5.4).
MAX_HEAD = 16384
#: Most field lines in one header section.
MAX_FIELDS = 100
#: Most hex digits in a chunk size: 16 digits is 2**64 - 1; more cannot be a real size.
MAX_CHUNK_SIZE_DIGITS = 16
#: Longest chunk-size line (size, extensions and CRLF) or trailer line.
MAX_CHUNK_LINE = 4096

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN_RE = re.compile(_TOKEN)
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([^\x00-\x20\x7f]+) ([^\x00-\x20\x7f]+)")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_FIELD_VALUE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")
_CONTENT_LENGTH = re.compile(rb"[0-9]{1,18}")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)((?:[ \t]*;[^\r\n]*)?)\r\n")


def reason(status: int) -> str:
    """The registered reason phrase of ``status`` ("" for an unregistered code)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_date(timestamp: float | None = None) -> str:
    """IMF-fixdate (RFC 9110 §5.6.7), e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return email.utils.formatdate(time.time() if timestamp is None else timestamp, usegmt=True)


def parse_http_date(text: str) -> float | None:
    """Seconds since the epoch of an HTTP-date in any of its three forms; None if invalid."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.timestamp()


@dataclass(frozen=True)
class RequestHead:
    """A request line and its fields, as received (names lowercased)."""

    method: bytes
    target: bytes
    version: tuple[int, int]
    fields: tuple[tuple[bytes, bytes], ...]

    def get(self, name: bytes) -> list[bytes]:
        """Every value of field ``name`` (lowercase), in order."""
        return [value for field, value in self.fields if field == name]


BodyFraming = tuple[Literal["none", "length", "chunked"], int]


def find_head_end(buffer: bytes | bytearray) -> int | None:
    """The offset just past the header section's empty line; None if it is not complete.

    A bare LF ends a line here too, so that a head using one is found (and then refused
    by :func:`parse_request_head`) instead of waiting for a CRLF that never comes.
    """
    index = buffer.find(b"\n")
    while index != -1:
        after = index + 1
        if buffer[after : after + 1] == b"\n":
            return after + 1
        if buffer[after : after + 2] == b"\r\n":
            return after + 2
        index = buffer.find(b"\n", after)
    return None


def _refuse(message: str, status: int = 400) -> RemoteProtocolError:
    return RemoteProtocolError(message, code=status)


def check_request_line_length(buffer: bytes | bytearray) -> None:
    """Raise 414 once more than :data:`MAX_REQUEST_LINE` octets came without a line end.

    RFC 9112 §3: "A server that receives a request-target longer than any URI it wishes
    to parse MUST respond with a 414 (URI Too Long) status code".
    """
    end = buffer.find(b"\n")
    length = len(buffer) if end == -1 else end
    if length > MAX_REQUEST_LINE:
        raise _refuse(f"request line longer than {MAX_REQUEST_LINE} octets", 414)


def parse_request_head(head: bytes) -> tuple[RequestHead, BodyFraming]:
    """Check a complete header section (ending with its empty line) and frame its body.

    Raises :class:`RemoteProtocolError` whose ``code`` is the status to answer with.
    """
    check_request_line_length(head)
    if len(head) > MAX_HEAD:
        raise _refuse(f"header section larger than {MAX_HEAD} octets", 431)
    # RFC 9112 §2.2: "A recipient of such a bare CR MUST consider that element to be
    # invalid or replace each bare CR with SP before processing the element".
    if re.search(rb"\r(?!\n)", head):
        raise _refuse("bare CR in the header section")
    # RFC 9112 §2.2 lets a recipient accept a bare LF as a line end (MAY); this server
    # takes the strict side, since proxies in front of it may not.
    if re.search(rb"(?<!\r)\n", head):
        raise _refuse("bare LF in the header section: lines end with CRLF")
    lines = head[:-4].split(b"\r\n") if head.endswith(b"\r\n\r\n") else [head[:-2]]
    request_line, field_lines = lines[0], lines[1:]
    match = _REQUEST_LINE.fullmatch(request_line)
    if match is None:
        raise _refuse("malformed request line")
    method, target, version_text = match.groups()
    version = _VERSION.fullmatch(version_text)
    if version is None:
        # RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
        raise _refuse(f"malformed HTTP version {version_text[:20]!r}")
    major, minor = int(version[1]), int(version[2])
    if major != 1:
        # RFC 9110 §15.6.6: 505 "indicates that the server does not support, or refuses
        # to support, the major version of HTTP that was used in the request message."
        raise _refuse(f"HTTP/{major}.{minor} is not supported; this server speaks HTTP/1.1", 505)
    if len(field_lines) > MAX_FIELDS:
        raise _refuse(f"more than {MAX_FIELDS} header fields", 431)
    fields: list[tuple[bytes, bytes]] = []
    for line in field_lines:
        if line[:1] in (b" ", b"\t"):
            # RFC 9112 §5.2: "A server that receives an obs-fold in a request message ...
            # MUST either reject the message by sending a 400 (Bad Request) ... or replace
            # each received obs-fold with one or more SP octets".
            raise _refuse("obsolete line folding (obs-fold) is not accepted")
        name, colon, value = line.partition(b":")
        if not colon:
            raise _refuse("a header field line without a colon")
        if name != name.rstrip(b" \t"):
            # RFC 9112 §5.1: "A server MUST reject, with a response status code of 400
            # (Bad Request), any received request message that contains whitespace
            # between a header field name and colon."
            raise _refuse("whitespace between a field name and the colon")
        if _TOKEN_RE.fullmatch(name) is None:
            raise _refuse("a field name that is not a token")
        value = value.strip(b" \t")
        if _FIELD_VALUE.fullmatch(value) is None:
            raise _refuse(f"a control character in the {name.decode('ascii')} field")
        fields.append((name.lower(), value))
    head_fields = RequestHead(method, target, (major, minor), tuple(fields))
    return head_fields, _framing(head_fields)


def _framing(head: RequestHead) -> BodyFraming:
    transfer_codings = [
        coding.strip().lower()
        for value in head.get(b"transfer-encoding")
        for coding in value.split(b",")
        if coding.strip()
    ]
    lengths = head.get(b"content-length")
    for host in head.get(b"host"):
        if _HOST.fullmatch(host) is None:
            # RFC 9112 §3.2: a server MUST respond with 400 to a request "with a Host
            # header field with an invalid field value".
            raise _refuse("invalid Host field value")
    if head.get(b"transfer-encoding"):
        if head.version < (1, 1):
            # RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message
            # containing a Transfer-Encoding header field MUST treat the message as if
            # the framing is faulty".
            raise _refuse("Transfer-Encoding in an HTTP/1.0 request")
        if lengths:
            # RFC 9112 §6.1: "A server MAY reject a request that contains both
            # Content-Length and Transfer-Encoding ... Regardless, the server MUST close
            # the connection after responding to such a request".
            raise _refuse("both Content-Length and Transfer-Encoding")
        if not transfer_codings or transfer_codings[-1] != b"chunked":
            # RFC 9112 §6.3: chunked not final in a request: "the server MUST respond
            # with the 400 (Bad Request) status code and then close the connection."
            raise _refuse("chunked is not the final transfer coding")
        if transfer_codings != [b"chunked"]:
            raise _refuse("only the chunked transfer coding is implemented", 501)
        return ("chunked", 0)
    if lengths:
        values = {item.strip() for value in lengths for item in value.split(b",")}
        if len(values) != 1 or _CONTENT_LENGTH.fullmatch(next(iter(values))) is None:
            # RFC 9112 §6.3: an invalid Content-Length: "the server MUST respond with a
            # 400 (Bad Request) status code and then close the connection."
            raise _refuse("invalid or conflicting Content-Length")
        return ("length", int(next(iter(values))))
    return ("none", 0)


class ChunkedFraming:
    """Walks a chunked body (RFC 9112 §7.1) and says where it ends; no decoding.

    :meth:`feed` returns how many octets of ``data`` belong to the body; once
    :attr:`done`, the rest belongs to the next message. Raises
    :class:`RemoteProtocolError` (400) on a malformed chunk line, a chunk size of more
    than :data:`MAX_CHUNK_SIZE_DIGITS` hex digits ("Recipients MUST anticipate
    potentially large hexadecimal numerals and prevent parsing errors due to integer
    conversion overflows", §7.1), or a body larger than ``max_body`` (413).
    """

    def __init__(self, *, max_body: int) -> None:
        self.max_body = max_body
        self.done = False
        self.total = 0
        self._line = bytearray()
        self._state: Literal["size", "data", "data-crlf", "trailer"] = "size"
        self._remaining = 0

    def feed(self, data: bytes | bytearray) -> int:
        # Released on the way out, even by an exception: ``data`` may be a growing buffer.
        with memoryview(data) as view:
            return self._feed(view)

    def _feed(self, view: memoryview) -> int:
        used = 0
        while used < len(view) and not self.done:
            if self._state == "data":
                take = min(self._remaining, len(view) - used)
                used += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = "data-crlf"
                continue
            # A line: size line, the CRLF after data, or a trailer line.
            newline = bytes(view[used:]).find(b"\n")
            if newline == -1:
                self._line += view[used:]
                used = len(view)
                if len(self._line) > MAX_CHUNK_LINE:
                    raise _refuse("chunk line too long")
                break
            self._line += view[used : used + newline + 1]
            used += newline + 1
            line, self._line = bytes(self._line), bytearray()
            self._line_done(line)
        return used

    def _line_done(self, line: bytes) -> None:
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
            raise _refuse("a line of the chunked body does not end with CRLF")
        if self._state == "data-crlf":
            if line != b"\r\n":
                raise _refuse("chunk data longer than its chunk size")
            self._state = "size"
        elif self._state == "size":
            match = _CHUNK_LINE.fullmatch(line)
            if match is None:
                raise _refuse(f"invalid chunk size line {line[:20]!r}")
            digits = match[1]
            if len(digits.lstrip(b"0")) > MAX_CHUNK_SIZE_DIGITS:
                raise _refuse("chunk size too large")
            size = int(digits, 16)
            self.total += size
            if self.total > self.max_body:
                raise _refuse(f"request content larger than {self.max_body} octets", 413)
            if size == 0:
                self._state = "trailer"
            else:
                self._remaining = size
                self._state = "data"
        elif line == b"\r\n":  # trailer section ends
            self.done = True
        elif line[:1] in (b" ", b"\t") or b":" not in line:
            raise _refuse("malformed trailer field")


def error_response(
    status: int,
    message: str,
    *,
    head_only: bool = False,
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A complete HTTP/1.1 response that refuses a request, then closes the connection."""
    body = f"{status} {reason(status)}: {message}\n".encode()
    lines = [
        f"HTTP/1.1 {status} {reason(status)}",
        f"Date: {http_date()}",
        "Server: wirecert-reference",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in extra),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + body

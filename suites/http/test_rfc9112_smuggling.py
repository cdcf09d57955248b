"""RFC 9112 §2.2, §5, §6, §7.1: malformed framing, the request-smuggling vectors.

Each request is one a front-end and a back-end could frame differently: both
Content-Length and Transfer-Encoding, two different Content-Lengths, whitespace
before a colon, obs-fold, a bare CR, chunk sizes that are not hex or overflow 64
bits, and a chunk line ending in a bare LF. A bare LF at the end of a start-line or
field line is not checked: RFC 9112 §2.2 lets a recipient accept it.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from suites.http.client import ResponseReader, describe, host_header, send_and_read

GRAMMAR_400 = (
    "When a server listening only for HTTP request messages, or processing what appears from "
    "the start-line to be an HTTP request message, receives a sequence of octets that does "
    "not match the HTTP-message grammar aside from the robustness exceptions listed above, "
    "the server SHOULD respond with a 400 (Bad Request) response and close the connection."
)


def _head(target: Target, method: str, path: str, *fields: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header(target)}", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.mark.requirement(
    "http/rfc9112/6.1/content-length-with-transfer-encoding",
    level="MUST",
    ref="RFC 9112 §6.1",
    quote="A server MAY reject a request that contains both Content-Length and "
    "Transfer-Encoding or process such a request in accordance with the Transfer-Encoding "
    "alone. Regardless, the server MUST close the connection after responding to such a "
    "request to avoid the potential attacks.",
)
def test_cl_with_te(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """POST --http-path with Transfer-Encoding: chunked and a Content-Length that also
    covers a second request (GET --http-path) after the last chunk."""
    path = wirecert.option("path")
    smuggled = _head(target, "GET", path)
    content = b"0\r\n\r\n" + smuggled
    data = _head(
        target,
        "POST",
        path,
        f"Content-Length: {len(content)}",
        "Transfer-Encoding: chunked",
    )
    conn = wire.connect(target)
    conn.send(data + content)
    reader = ResponseReader(conn)
    response = reader.read(method="POST")
    end = reader.wait_end()
    if response is None or end not in (End.FIN, End.RST) or reader.leftover():
        after = f", then {len(reader.leftover())} more octets" if reader.leftover() else ""
        fail(
            "one response (400, or the request framed by Transfer-Encoding), then the "
            "connection closed",
            f"{describe(response, reader)}{after}, then {end.describe()}",
        )


@pytest.mark.requirement(
    "http/rfc9112/6.3/conflicting-content-length",
    level="MUST",
    ref="RFC 9112 §6.3",
    quote="If the unrecoverable error is in a request message, the server MUST respond with "
    "a 400 (Bad Request) status code and then close the connection.",
)
def test_conflicting_content_length(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """POST --http-path with Content-Length: 5 and Content-Length: 6, and 6 octets."""
    path = wirecert.option("path")
    data = _head(target, "POST", path, "Content-Length: 5", "Content-Length: 6") + b"hello!"
    response, reader = send_and_read(wire, target, data, method="POST")
    end = reader.wait_end()
    if response is None or response.status != 400 or end not in (End.FIN, End.RST):
        fail(
            "a 400 response, then the connection closed",
            f"{describe(response, reader)}, then {end.describe()}",
        )


@pytest.mark.requirement(
    "http/rfc9112/5.1/whitespace-before-colon",
    level="MUST",
    ref="RFC 9112 §5.1",
    quote="A server MUST reject, with a response status code of 400 (Bad Request), any "
    "received request message that contains whitespace between a header field name and "
    "colon.",
)
def test_whitespace_before_colon(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path with the field line ``X-Wirecert : 1``."""
    path = wirecert.option("path")
    response, reader = send_and_read(wire, target, _head(target, "GET", path, "X-Wirecert : 1"))
    if response is None or response.status != 400:
        fail("a 400 response", describe(response, reader))


@pytest.mark.requirement(
    "http/rfc9112/5.2/obs-fold",
    level="MUST",
    ref="RFC 9112 §5.2",
    quote="A server that receives an obs-fold in a request message that is not within a "
    '"message/http" container MUST either reject the message by sending a 400 (Bad Request) '
    "... or replace each received obs-fold with one or more SP octets prior to interpreting "
    "the field value",
)
def test_obs_fold(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path with ``X-Wirecert: a`` folded onto a continuation line
    `` Transfer-Encoding: chunked`` (part of X-Wirecert's value once unfolded)."""
    path = wirecert.option("path")
    data = _head(target, "GET", path, "X-Wirecert: a", " Transfer-Encoding: chunked")
    response, reader = send_and_read(wire, target, data)
    if response is None:
        fail(
            "a 400 response, or the response to GET with the fold replaced by SP",
            describe(response, reader),
        )


@pytest.mark.requirement(
    "http/rfc9112/2.2/bare-cr",
    level="MUST",
    ref="RFC 9112 §2.2",
    quote="A recipient of such a bare CR MUST consider that element to be invalid or replace "
    "each bare CR with SP before processing the element or forwarding the message.",
)
def test_bare_cr(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """``GET path HTTP/1.1`` CR ``Host: ...`` CRLF CRLF: a bare CR where the request line's
    CRLF belongs (invalid, and still invalid with the CR replaced by SP)."""
    path = wirecert.option("path")
    data = f"GET {path} HTTP/1.1\rHost: {host_header(target)}\r\n\r\n".encode()
    response, reader = send_and_read(wire, target, data)
    if response is not None and response.status == 400:
        return
    if response is None and reader.end in (End.FIN, End.RST):
        return
    fail(
        ["a 400 response", "the connection closed without a response"],
        describe(response, reader),
    )


CHUNK_CASES = {
    "non-hex": b"zz\r\nhello\r\n0\r\n\r\n",
    "0x-prefix": b"0x5\r\nhello\r\n0\r\n\r\n",
    "sign": b"+5\r\nhello\r\n0\r\n\r\n",
    "space-inside": b"5 5\r\nhello\r\n0\r\n\r\n",
    "bare-lf": b"5\nhello\r\n0\r\n\r\n",
}


def _framed_after(wire: Wire, target: Target, path: str, content: bytes) -> tuple[str | None, str]:
    """POST path with chunked ``content``, then GET path in the same write.

    Returns None when the server did not take ``content`` as a complete chunked body
    (it refused, closed, stayed silent, or answered the POST and nothing after it),
    else a description of the answers to both requests.
    """
    data = _head(target, "POST", path, "Transfer-Encoding: chunked") + content
    conn = wire.connect(target)
    conn.send(data + _head(target, "GET", path))
    reader = ResponseReader(conn)
    first = reader.read(method="POST")
    if first is None or first.status >= 400:
        return None, describe(first, reader)
    second = reader.read()
    if second is None or second.status >= 400:
        return None, describe(first, reader)
    return f"{first.summary()} to the POST, then {second.summary()} to the GET after it", ""


@pytest.mark.requirement(
    "http/rfc9112/7.1/invalid-chunk-size",
    level="SHOULD",
    ref="RFC 9112 §7.1, §2.2",
    quote=GRAMMAR_400,
)
@pytest.mark.parametrize("case", list(CHUNK_CASES))
def test_invalid_chunk_size(target: Target, wire: Wire, wirecert: CheckContext, case: str) -> None:
    """POST --http-path, Transfer-Encoding: chunked, whose first chunk-size line is not
    chunk-size = 1*HEXDIG followed by CRLF, then GET --http-path in the same write."""
    accepted, _ = _framed_after(wire, target, wirecert.option("path"), CHUNK_CASES[case])
    if accepted is not None:
        fail(
            [
                "a 400 response (or another refusal, 4xx or 5xx)",
                "the connection closed",
                "an answer to the POST and none to the GET (the content never parsed)",
            ],
            f"{accepted}: the invalid chunk-size line was accepted as framing",
        )


@pytest.mark.requirement(
    "http/rfc9112/7.1/chunk-size-overflow",
    level="MUST",
    ref="RFC 9112 §7.1",
    quote="Recipients MUST anticipate potentially large hexadecimal numerals and prevent "
    "parsing errors due to integer conversion overflows or precision loss due to integer "
    "representation.",
)
def test_chunk_size_overflow(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """POST --http-path, chunked, chunk size 10000000000000005 (hex: 2**64 + 5, which is 5
    once truncated to 64 bits), 5 octets and the last chunk; then GET --http-path."""
    content = b"10000000000000005\r\nhello\r\n0\r\n\r\n"
    accepted, _ = _framed_after(wire, target, wirecert.option("path"), content)
    if accepted is not None:
        fail(
            [
                "a 4xx or 5xx response",
                "the connection closed",
                "silence (waiting for the rest of a very large chunk)",
                "an answer to the POST and none to the GET (the content never parsed)",
            ],
            f"{accepted}: the chunk size was read as 5",
        )

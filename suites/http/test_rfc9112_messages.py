"""RFC 9112 §2-§7 and RFC 9110 §6.6.1, §9.3.2: what a response looks like on the wire.

Status-line and field-line grammar, CRLF line ends, Date, HEAD, exact
Content-Length and well-formed chunked content, judged on the target's answers to
GET and HEAD of ``--http-path`` and of a name that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.http.client import (
    Response,
    ResponseReader,
    describe,
    request,
    require_response,
    send_and_read,
)

MISSING = "/wirecert-missing-7f3a9c"
GRAMMAR = (
    "A sender MUST NOT generate protocol elements that do not match the grammar defined by "
    "the corresponding ABNF rules."
)
_IMF_FIXDATE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    rb" [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def _get(wire: Wire, target: Target, path: str, *, method: str = "GET") -> Response:
    """``method path`` on a new connection, with Connection: close; one response."""
    response, reader = send_and_read(
        wire, target, request(target, method, path, close=True), method=method
    )
    return require_response(response, reader, f"{method} {path}")


def _problems(response: Response, keep: Callable[[str], bool]) -> list[str]:
    return [p for p in response.problems if keep(p)]


@pytest.mark.requirement(
    "http/rfc9112/4/status-line",
    level="MUST",
    ref="RFC 9112 §4; RFC 9110 §2.2",
    quote="The first line of a response message is the status-line, consisting of the "
    "protocol version, a space (SP), the status code, and another space and ending with an "
    "OPTIONAL textual phrase describing the status code.",
)
def test_status_line(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path and GET a missing name, each on its own connection."""
    for path in (wirecert.option("path"), MISSING):
        response = _get(wire, target, path)
        bad = _problems(response, lambda p: p.startswith("the status-line"))
        if bad or response.version[0] != 1:
            fail(
                "status-line = HTTP-version SP status-code SP [ reason-phrase ], "
                "with HTTP-version HTTP/1.x",
                f"to GET {path}: {response.summary()}" + (f": {bad[0]}" if bad else ""),
            )


@pytest.mark.requirement(
    "http/rfc9112/5/field-line-syntax",
    level="MUST",
    ref="RFC 9112 §5; RFC 9110 §2.2",
    quote=GRAMMAR,
)
def test_field_lines(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path and GET a missing name; every field line is
    field-name ":" OWS field-value OWS, with no obs-fold."""
    for path in (wirecert.option("path"), MISSING):
        response = _get(wire, target, path)
        bad = _problems(response, lambda p: p.startswith("a field line"))
        if bad:
            fail(
                'field-line = field-name ":" OWS field-value OWS, the name a token, '
                "no whitespace before the colon, no line folding",
                f"to GET {path}: {bad[0]}",
            )


@pytest.mark.requirement(
    "http/rfc9112/2.1/crlf-line-endings",
    level="MUST",
    ref="RFC 9112 §2.1; RFC 9110 §2.2",
    quote="HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]",
)
def test_crlf(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path and GET a missing name; every line of the header section ends
    with CRLF (no bare LF, no bare CR)."""
    for path in (wirecert.option("path"), MISSING):
        response = _get(wire, target, path)
        bad = _problems(response, lambda p: "bare" in p and "header section" in p)
        if bad:
            fail("every header-section line ending with CRLF", f"to GET {path}: {bad[0]}")


@pytest.mark.requirement(
    "http/rfc9110/6.6.1/date",
    level="MUST",
    ref="RFC 9110 §6.6.1, §5.6.7",
    quote="An origin server with a clock (as defined in Section 5.6.7) MUST generate a Date "
    "header field in all 2xx (Successful), 3xx (Redirection), and 4xx (Client Error) "
    "responses",
)
def test_date(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path (2xx) and GET a missing name (4xx); each response has one Date
    field in IMF-fixdate form."""
    for path in (wirecert.option("path"), MISSING):
        response = _get(wire, target, path)
        if response.status >= 500:
            continue  # MAY
        dates = response.values("date")
        if len(dates) != 1 or _IMF_FIXDATE.fullmatch(dates[0]) is None:
            fail(
                "one Date field, e.g. 'Date: Sun, 06 Nov 1994 08:49:37 GMT'",
                f"to GET {path}: {response.summary()} with Date {dates!r}",
            )


@pytest.mark.requirement(
    "http/rfc9110/9.3.2/head-no-content",
    level="MUST",
    ref="RFC 9110 §9.3.2",
    quote="The HEAD method is identical to GET except that the server MUST NOT send content "
    "in the response.",
)
def test_head_has_no_content(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """HEAD --http-path, then (pipelined, same write) GET --http-path with
    Connection: close; the GET's status-line must follow the HEAD's header section
    at once."""
    path = wirecert.option("path")
    conn = wire.connect(target)
    conn.send(request(target, "HEAD", path) + request(target, "GET", path, close=True))
    reader = ResponseReader(conn)
    head = require_response(reader.read(method="HEAD"), reader, f"HEAD {path}")
    if head.closes():
        reader.wait_end()
        extra = reader.leftover()
        if extra:
            fail(
                "no content after the HEAD response's header section",
                f"{len(extra)} octets after it: {extra[:48]!r}",
            )
        return
    following = reader.read()
    if following is None or following.head[:5] != b"HTTP/":
        got = reader.leftover() if following is None else following.head
        fail(
            "the GET's status-line right after the HEAD response's header section",
            f"{head.summary()}, then {got[:48]!r}",
        )


@pytest.mark.requirement(
    "http/rfc9110/9.3.2/head-same-fields",
    level="SHOULD",
    ref="RFC 9110 §9.3.2",
    quote="The server SHOULD send the same header fields in response to a HEAD request as it "
    "would have sent if the request method had been GET.",
)
def test_head_same_fields(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET and HEAD --http-path on two connections; compare Content-Type, Content-Length,
    ETag and Last-Modified (HEAD may leave out Content-Length, not change it)."""
    path = wirecert.option("path")
    got = _get(wire, target, path)
    head = _get(wire, target, path, method="HEAD")
    differences = []
    if head.status != got.status:
        differences.append(f"status {head.status} to HEAD, {got.status} to GET")
    for name in ("content-type", "etag", "last-modified"):
        if got.values(name) != head.values(name):
            differences.append(f"{name} {head.values(name)!r} to HEAD, {got.values(name)!r} to GET")
    head_length = head.values("content-length")
    length = got.values("content-length") or [str(len(got.body)).encode()]
    if head_length and head_length != length:
        differences.append(f"content-length {head_length!r} to HEAD, {length!r} to GET")
    if differences:
        fail("the same header fields as the response to GET", "; ".join(differences))


@pytest.mark.requirement(
    "http/rfc9112/6.3/content-length-exact",
    level="MUST",
    ref="RFC 9112 §6.3",
    quote="If a valid Content-Length header field is present without Transfer-Encoding, its "
    "decimal value defines the expected message body length in octets.",
)
def test_content_length_exact(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path, GET a missing name, then GET --http-path with Connection: close,
    pipelined in one write; each response with Content-Length must be followed at once
    by the next status-line (or, the last, by the close)."""
    path = wirecert.option("path")
    conn = wire.connect(target)
    paths = (path, MISSING, path)
    conn.send(
        request(target, "GET", path)
        + request(target, "GET", MISSING)
        + request(target, "GET", path, close=True)
    )
    reader = ResponseReader(conn)
    checked = 0
    for index, sent in enumerate(paths):
        response = reader.read()
        if response is None:
            if checked:
                return  # the server closed early: what it sent was judged
            fail(f"a response to GET {sent}", describe(None, reader))
        assert response is not None
        short = [p for p in response.problems if p.startswith("Content-Length is")]
        if short:
            fail(f"exactly Content-Length octets of content to GET {sent}", short[0])
        if response.framing != "length":
            if response.closes():
                return
            continue
        checked += 1
        last = index == len(paths) - 1 or response.closes()
        if last:
            reader.wait_end()
            if reader.leftover():
                fail(
                    f"exactly Content-Length octets of content to GET {sent}, then the close",
                    f"{len(reader.leftover())} octets more: {reader.leftover()[:48]!r}",
                )
            return
        if reader.peek(5) != b"HTTP/":
            fail(
                f"the next status-line right after Content-Length octets of content to GET {sent}",
                f"{response.summary()} with Content-Length {response.first('content-length')!r}, "
                f"then {bytes(reader.buffer[:48])!r}",
            )
    if not checked:
        pytest.skip("no response carried Content-Length: nothing to check")


@pytest.mark.requirement(
    "http/rfc9112/7.1/chunked-well-formed",
    level="MUST",
    ref="RFC 9112 §7.1",
    quote="chunked-body = *chunk last-chunk trailer-section CRLF",
)
def test_chunked_well_formed(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path and GET its directory with HTTP/1.1; any chunked response must be
    chunk-size CRLF chunk-data CRLF ..., 0 CRLF, trailers, CRLF."""
    path = wirecert.option("path")
    directory = path.rsplit("/", 1)[0] + "/"
    seen = 0
    for sent in dict.fromkeys((path, directory)):
        response = _get(wire, target, sent)
        if response.framing != "chunked":
            continue
        seen += 1
        bad = [p for p in response.problems if "chunk" in p or "trailer" in p]
        if bad:
            fail(
                "chunk-size (hex) CRLF, that many octets, CRLF; ...; 0 CRLF, trailers, CRLF",
                f"to GET {sent}: {bad[0]}",
            )
    if not seen:
        pytest.skip(
            f"no chunked response to GET {path} or {directory}: nothing to check "
            "(choose --http-path to name a resource sent chunked)"
        )

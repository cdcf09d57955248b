"""The http suite's raw client: requests built byte by byte, responses read tolerantly.

The checks send malformed requests on purpose, so requests are bytes, not a library's
objects. Responses are read by :class:`ResponseReader`, which is tolerant (it frames
what it can and notes every departure from RFC 9112's grammar in
:attr:`Response.problems`) so that a check can judge exactly the rule it is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, TcpConnection, Wire

__all__ = [
    "MAX_BODY",
    "Response",
    "ResponseReader",
    "describe",
    "host_header",
    "request",
    "send_and_read",
]

#: The most content the reader takes from one response.
MAX_BODY = 4 * 1024 * 1024
#: The most octets the reader takes for one header section.
MAX_HEAD = 256 * 1024
_STATUS_LINE = re.compile(rb"HTTP/([0-9])\.([0-9]) ([0-9]{3}) ([\t\x20-\x7e\x80-\xff]*)")
_FIELD_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)((?:[ \t]*;[^\r\n]*)?)")


def host_header(target: Target) -> str:
    """The Host field value for ``target`` (its port always given)."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"{host}:{target.port}"


def request(
    target: Target,
    method: str,
    request_target: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    version: str = "HTTP/1.1",
    host: bool = True,
    close: bool = False,
) -> bytes:
    """A well-formed request: request line, Host (unless ``host`` is False), ``headers``,
    ``Connection: close`` when asked, and Content-Length when there is a body."""
    lines = [f"{method} {request_target} {version}"]
    if host:
        lines.append(f"Host: {host_header(target)}")
    lines += [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Response:
    """One response as received; ``problems`` lists every grammar departure noted."""

    status_line: bytes
    status: int
    version: tuple[int, int]
    field_lines: list[bytes]
    fields: list[tuple[bytes, bytes]]
    body: bytes = b""
    framing: str = "none"  #: none, length, chunked, close
    head: bytes = b""
    problems: list[str] = field(default_factory=list)
    informational: list[bytes] = field(default_factory=list)
    #: how the connection stood once the response was read
    end: End = End.OPEN

    def values(self, name: str) -> list[bytes]:
        key = name.lower().encode("ascii")
        return [value for field_name, value in self.fields if field_name.lower() == key]

    def first(self, name: str) -> bytes | None:
        found = self.values(name)
        return found[0] if found else None

    def summary(self) -> str:
        return f"{self.status_line.decode('latin-1')!r}"

    def closes(self) -> bool:
        """The response announced ``Connection: close`` (or is HTTP/1.0 without keep-alive)."""
        tokens = {
            token.strip().lower()
            for value in self.values("connection")
            for token in value.split(b",")
        }
        return b"close" in tokens or (self.version < (1, 1) and b"keep-alive" not in tokens)


def describe(response: Response | None, reader: ResponseReader) -> str:
    """A response in one line, or what happened instead of one."""
    if response is not None:
        return f"{response.summary()} ({len(response.body)} octets of content)"
    got = reader.leftover()
    what = f"{len(got)} octets that are not a complete response ({got[:48]!r})" if got else ""
    end = (reader.end or End.TIMEOUT).describe()
    return f"{what}, then {end}" if what else f"no response: {end}"


class ResponseReader:
    """Reads responses from one connection, however they are framed."""

    def __init__(self, conn: TcpConnection) -> None:
        self.conn = conn
        self.buffer = bytearray()
        self.end: End | None = None

    def leftover(self) -> bytes:
        return bytes(self.buffer)

    def _more(self, timeout: float | None = None) -> bool:
        """Read what arrives next; False once the connection ended or fell silent."""
        if self.end is not None:
            return False
        observed = self.conn.receive(until=bool, timeout=timeout)
        self.buffer += observed.received
        if observed.end in (End.FIN, End.RST):
            self.end = observed.end
        elif observed.end is End.TIMEOUT and not observed.received:
            return False
        return bool(observed.received) or self.end is None

    def peek(self, size: int) -> bytes:
        """Up to ``size`` octets of what comes next, left in the buffer."""
        for _ in range(1000):
            if len(self.buffer) >= size or not self._more():
                break
        return bytes(self.buffer[:size])

    def wait_end(self, timeout: float | None = None) -> End:
        """Read until the peer closes or falls silent; the octets are kept in the buffer."""
        for _ in range(1000):
            if self.end is not None:
                return self.end
            if not self._more(timeout):
                return self.end or End.TIMEOUT
        return End.OPEN

    def _line(self) -> bytes | None:
        """The next line, with its terminator; None when the stream ended first."""
        for _ in range(100000):
            index = self.buffer.find(b"\n")
            if index != -1:
                line = bytes(self.buffer[: index + 1])
                del self.buffer[: index + 1]
                return line
            if len(self.buffer) > MAX_HEAD or not self._more():
                return None
        return None

    def _exactly(self, size: int) -> bytes | None:
        for _ in range(100000):
            if len(self.buffer) >= size:
                data = bytes(self.buffer[:size])
                del self.buffer[:size]
                return data
            if not self._more():
                return None
        return None

    def read(self, *, method: str = "GET") -> Response | None:
        """The next final response (1xx responses are kept in ``informational``);
        None when the connection ends or falls silent before a complete one."""
        informational: list[bytes] = []
        for _ in range(20):
            response = self._read_one(method)
            if response is None:
                return None
            if 100 <= response.status < 200:
                informational.append(response.status_line)
                continue
            response.informational = informational
            if self.end is not None and not self.buffer:
                response.end = self.end
            return response
        return None

    def _read_one(self, method: str) -> Response | None:
        head_lines: list[bytes] = []
        for _ in range(1000):
            line = self._line()
            if line is None:
                # Put back what was read: it is evidence of a partial response.
                self.buffer[:0] = b"".join(head_lines)
                return None
            head_lines.append(line)
            if line in (b"\r\n", b"\n"):
                break
        else:
            return None
        problems: list[str] = []
        for line in head_lines:
            if not line.endswith(b"\r\n"):
                problems.append(f"a line of the header section ends with a bare LF: {line[:60]!r}")
            elif b"\r" in line[:-2]:
                problems.append(f"a bare CR in the header section: {line[:60]!r}")
        stripped = [line.rstrip(b"\r\n") for line in head_lines]
        status_line, field_lines = stripped[0], stripped[1:-1]
        match = _STATUS_LINE.fullmatch(status_line)
        if match is None:
            problems.append(f"the status-line {status_line[:80]!r} does not match its grammar")
            loose = re.match(rb"HTTP/(\d)\.(\d)\s+(\d{3})", status_line)
            if loose is None:
                return Response(status_line, 0, (0, 0), field_lines, [], problems=problems)
            version = (int(loose[1]), int(loose[2]))
            status = int(loose[3])
        else:
            version = (int(match[1]), int(match[2]))
            status = int(match[3])
        fields: list[tuple[bytes, bytes]] = []
        for line in field_lines:
            parsed = _FIELD_LINE.fullmatch(line)
            if parsed is None:
                problems.append(f"a field line that does not match field-line: {line[:80]!r}")
                name, _, value = line.partition(b":")
                fields.append((name.strip(), value.strip()))
            else:
                fields.append((parsed[1], parsed[2]))
        response = Response(
            status_line,
            status,
            version,
            field_lines,
            fields,
            head=b"".join(head_lines),
            problems=problems,
        )
        self._read_body(response, method)
        return response

    def _read_body(self, response: Response, method: str) -> None:
        status = response.status
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return
        codings = [
            c.strip().lower() for v in response.values("transfer-encoding") for c in v.split(b",")
        ]
        if codings and codings[-1] == b"chunked":
            response.framing = "chunked"
            self._read_chunked(response)
            return
        lengths = response.values("content-length")
        if lengths:
            values = {v.strip() for v in lengths}
            text = next(iter(values))
            if len(values) != 1 or not text.isdigit():
                response.problems.append(f"invalid Content-Length {lengths!r}")
            else:
                response.framing = "length"
                size = int(text)
                if size > MAX_BODY:
                    response.problems.append(f"Content-Length {size} is more than we read")
                    return
                data = self._exactly(size)
                if data is None:
                    response.problems.append(
                        f"Content-Length is {size} but only {len(self.buffer)} octets came "
                        f"before {(self.end or End.TIMEOUT).describe()}"
                    )
                    response.body = bytes(self.buffer)
                    self.buffer.clear()
                else:
                    response.body = data
                return
        response.framing = "close"
        for _ in range(100000):
            if len(self.buffer) > MAX_BODY or not self._more():
                break
        response.body = bytes(self.buffer)
        self.buffer.clear()
        if self.end is None:
            response.problems.append("close-delimited content, but the connection stayed open")

    def _read_chunked(self, response: Response) -> None:
        body = bytearray()
        for _ in range(100000):
            line = self._line()
            if line is None:
                response.problems.append("the chunked content ended before its last chunk")
                break
            if not line.endswith(b"\r\n"):
                response.problems.append(f"a chunk-size line ends with a bare LF: {line[:40]!r}")
            match = _CHUNK_LINE.fullmatch(line.rstrip(b"\r\n"))
            if match is None:
                response.problems.append(f"an invalid chunk-size line {line[:40]!r}")
                break
            size = int(match[1], 16)
            if size == 0:
                for _ in range(100):  # the trailer section
                    trailer = self._line()
                    if trailer is None:
                        response.problems.append("the trailer section did not end")
                        break
                    if trailer in (b"\r\n", b"\n"):
                        if trailer == b"\n":
                            response.problems.append("the chunked content ends with a bare LF")
                        break
                break
            if len(body) + size > MAX_BODY:
                response.problems.append(f"a chunk of {size} octets is more than we read")
                break
            data = self._exactly(size)
            if data is None:
                response.problems.append(
                    f"a chunk announced {size} octets but the stream ended first"
                )
                break
            body += data
            crlf = self._exactly(2)
            if crlf != b"\r\n":
                response.problems.append(
                    f"chunk-data of {size} octets is not followed by CRLF (got {crlf!r}): "
                    "the chunk size does not match the data"
                )
                break
        response.body = bytes(body)


def send_and_read(
    wire: Wire, target: Target, data: bytes, *, method: str = "GET"
) -> tuple[Response | None, ResponseReader]:
    """On a new connection: send ``data``, read one response."""
    conn = wire.connect(target)
    conn.send(data)
    reader = ResponseReader(conn)
    return reader.read(method=method), reader


def require_response(response: Response | None, reader: ResponseReader, what: str) -> Response:
    """The response, or a failure saying a response to ``what`` was needed first."""
    __tracebackhide__ = True
    if response is None:
        fail(f"a response to {what}", describe(None, reader))
    assert response is not None
    return response

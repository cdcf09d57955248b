"""A small threaded HTTP/1.1 origin server with one switch per requirement that breaks it.

The unbroken server is correct and written apart from the reference implementation
(no h11): it serves a temporary directory it makes itself (``hello.txt``,
``docs/guide.txt``; ``/`` is a listing sent chunked), answers GET, HEAD and POST (POST
answers how many octets it read), 405 with Allow for the other methods of RFC 9110
§9, 501 for the rest, and refuses every malformed request the http suite sends. The
suite certifies it CONFORMANT with ``--http-path /hello.txt``::

    with HttpServer(fault="rfc9112/9.6/connection-close") as server:
        run = run_suite("http", server, tmp_path, "--http-path", "/hello.txt")

A fault is named by its requirement id without ``http/``. The listener, threads and
stopping come from :class:`brokenservers._ThreadedServer`.
"""

from __future__ import annotations

import os
import re
import socket
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from brokenservers import _DirectoryServer

__all__ = ["HTTP_FAULTS", "HttpServer"]

#: The faults; each breaks the requirement ``http/<fault>``.
HTTP_FAULTS: tuple[str, ...] = (
    "rfc9112/4/status-line",  # "HTTP/1.1 200" without the SP before the (empty) reason
    "rfc9112/5/field-line-syntax",  # a field name with a space in it
    "rfc9112/2.1/crlf-line-endings",  # one field line ends with a bare LF
    "rfc9110/6.6.1/date",  # no Date field
    "rfc9110/9.3.2/head-no-content",  # HEAD gets the content too
    "rfc9110/9.3.2/head-same-fields",  # HEAD leaves out Content-Type
    "rfc9112/6.3/content-length-exact",  # a file's Content-Length is one too many on close
    "rfc9112/7.1/chunked-well-formed",  # the listing's chunk size is one too many
    "rfc9112/3.2/host-required",  # no Host (or two) is fine
    "rfc9112/3.2.2/absolute-form",  # the absolute-form is looked up as a file name
    "rfc9112/9.6/connection-close",  # Connection: close is ignored
    "rfc9112/9.3/persistent-connections",  # closes after every response
    "rfc9112/9.3.2/pipelined-in-order",  # of three or more pipelined, swaps the first two answers
    "rfc9112/6.1/content-length-with-transfer-encoding",  # frames by CL, keeps the connection
    "rfc9112/6.3/conflicting-content-length",  # the last Content-Length wins
    "rfc9112/5.1/whitespace-before-colon",  # "Name : value" is accepted
    "rfc9112/5.2/obs-fold",  # a continuation line is read as a field line of its own
    "rfc9112/2.2/bare-cr",  # a bare CR ends a line
    "rfc9112/7.1/invalid-chunk-size",  # chunk sizes read with int(text, 16), lines end at LF
    "rfc9112/7.1/chunk-size-overflow",  # chunk sizes truncated to 64 bits
    "rfc9110/15.5.6/405-allow",  # 405 without Allow
    "rfc9110/9.1/unknown-method-501",  # unknown methods get 405
    "rfc9110/15.6.6/major-version-505",  # HTTP/2.0 is served as HTTP/1.1
    "rfc9112/2.3/malformed-version",  # anything starting "HTTP/1" (any case) is HTTP/1.1
    "rfc9112/3/long-request-target",  # a request line over 8 KiB: silence
    "rfc9110/5.4/large-header-section",  # a header section over 16 KiB: silence
    "rfc9112/9.5/slow-client-timeout",  # no deadline for a header section
    "rfc9110/17.3/no-path-traversal",  # the decoded path is joined to the root as it is
)

TREE = {
    "hello.txt": "Hello from tests/brokenhttp.py\n",
    "docs/guide.txt": "a file in a subdirectory\n",
}
#: How long a client may take to send a header section (seconds).
HEADER_DEADLINE = 2.0
#: How long a connection may stay idle between requests (seconds).
IDLE = 10.0
MAX_LINE = 8192
MAX_HEAD = 16384
KNOWN = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
REASONS = {
    200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
    431: "Request Header Fields Too Large", 501: "Not Implemented",
    505: "HTTP Version Not Supported",
}  # fmt: skip


class _Refuse(Exception):
    def __init__(self, status: int, close: bool = True) -> None:
        super().__init__(status)
        self.status = status
        self.close = close


class _Hang(Exception):
    """Stop answering this connection (the limits faults)."""


class _Gone(Exception):
    """The client closed, or fell silent for too long."""


class HttpServer(_DirectoryServer):
    """HTTP/1.1 over TCP; ``fault`` (see :data:`HTTP_FAULTS`) breaks one requirement."""

    FAULTS = HTTP_FAULTS
    TREE = TREE

    def targets(self, suite: str = "http") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=http://{host}:{port}"]

    # -- one connection ----------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            for _ in range(10000):
                heads = self._heads(conn, buffer)
                if self.fault == "rfc9112/9.3.2/pipelined-in-order" and len(heads) >= 3:
                    replies = [self._answer(conn, buffer, head) for head in heads]
                    replies[0], replies[1] = replies[1], replies[0]
                    for reply, _ in replies:
                        conn.sendall(reply)
                    if any(close for _, close in replies):
                        self._close(conn)
                        return
                    continue
                for head in heads:
                    reply, close = self._answer(conn, buffer, head)
                    conn.sendall(reply)
                    if close:
                        self._close(conn)
                        return
        except _Refuse as exc:
            conn.sendall(self._response(exc.status, b"refused\n", close=True))
            self._close(conn)
        except _Hang:
            self._drain(conn, 30.0)
        except _Gone:
            pass

    def _close(self, conn: socket.socket) -> None:
        """Send our FIN now; read what the client still sends for a moment."""
        conn.shutdown(socket.SHUT_WR)
        self._drain(conn, 1.0)

    def _recv(self, conn: socket.socket, buffer: bytearray, deadline: float) -> None:
        if not self._readable(conn, deadline - time.monotonic()):
            raise _Gone
        data = conn.recv(65536)
        if not data:
            raise _Gone
        buffer += data

    def _heads(self, conn: socket.socket, buffer: bytearray) -> list[bytes]:
        """Every complete header section waiting (at least one): pipelined requests."""
        started: float | None = None
        while True:
            while buffer.startswith(b"\r\n"):
                del buffer[:2]
            if buffer and started is None:
                started = time.monotonic()
            end = buffer.find(b"\r\n\r\n")
            line_end = buffer.find(b"\n")
            if end != -1 and end <= MAX_HEAD and line_end <= MAX_LINE:
                break
            if (line_end == -1 and len(buffer) > MAX_LINE) or line_end > MAX_LINE:
                if self.fault == "rfc9112/3/long-request-target":
                    raise _Hang
                raise _Refuse(414)
            if len(buffer) > MAX_HEAD:
                if self.fault == "rfc9110/5.4/large-header-section":
                    raise _Hang
                raise _Refuse(431)
            if started is not None and self.fault != "rfc9112/9.5/slow-client-timeout":
                if time.monotonic() - started > HEADER_DEADLINE:
                    raise _Refuse(408)
                deadline = started + HEADER_DEADLINE
            else:
                deadline = time.monotonic() + (IDLE if started is None else 30.0)
            try:
                self._recv(conn, buffer, deadline)
            except _Gone:
                if started is not None and time.monotonic() - started > HEADER_DEADLINE:
                    raise _Refuse(408) from None
                raise
        heads = []
        # Take every complete head whose request has no content (only those can be
        # answered before reading more); one with content is read by _answer.
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end == -1:
                break
            heads.append(bytes(buffer[: end + 4]))
            del buffer[: end + 4]
            if re.search(rb"(?i)\r\n(content-length|transfer-encoding)", heads[-1]):
                break
        return heads

    def _answer(self, conn: socket.socket, buffer: bytearray, head: bytes) -> tuple[bytes, bool]:
        method, target, version, fields = self._parse(head)
        names = [name for name, _ in fields]
        body = self._body(conn, buffer, version, fields)
        close = any(name == b"connection" and b"close" in value.lower() for name, value in fields)
        if self.fault == "rfc9112/9.6/connection-close":
            close = False
        if version == (1, 0):
            close = True
        lenient = self.fault == "rfc9112/3.2/host-required"
        if not lenient and version >= (1, 1) and names.count(b"host") != 1:
            raise _Refuse(400)
        if b"transfer-encoding" in names and b"content-length" in names:
            close = True  # RFC 9112 §6.1 (unless the fault frames by CL: see _body)
            if self.fault == "rfc9112/6.1/content-length-with-transfer-encoding":
                close = False
        if self.fault == "rfc9112/9.3/persistent-connections":
            close = True
        status, headers, content = self._resource(method, target, body, close)
        reply = self._response(status, content, headers=headers, close=close, method=method)
        return reply, close

    def _parse(self, head: bytes) -> tuple[str, str, tuple[int, int], list[tuple[bytes, bytes]]]:
        if self.fault == "rfc9112/2.2/bare-cr":
            lines = re.split(rb"\r\n|\r|\n", head[:-4])
        else:
            if re.search(rb"\r(?!\n)|(?<!\r)\n", head):
                raise _Refuse(400)
            lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not TOKEN.fullmatch(parts[0]):
            raise _Refuse(400)
        method, target, version_text = (p.decode("latin-1") for p in parts)
        if self.fault == "rfc9112/2.3/malformed-version" and version_text.upper().startswith(
            "HTTP/1"
        ):
            version_text = "HTTP/1.1"
        match = re.fullmatch(r"HTTP/([0-9])\.([0-9])", version_text)
        if match is None:
            raise _Refuse(400)
        version = (int(match[1]), int(match[2]))
        if version[0] != 1:
            if self.fault != "rfc9110/15.6.6/major-version-505":
                raise _Refuse(505)
            version = (1, 1)
        fields: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                if self.fault != "rfc9112/5.2/obs-fold":
                    raise _Refuse(400)
                line = line.strip()
            name, colon, value = line.partition(b":")
            if name != name.rstrip():
                if self.fault != "rfc9112/5.1/whitespace-before-colon":
                    raise _Refuse(400)
                name = name.rstrip()
            if not colon or not TOKEN.fullmatch(name):
                raise _Refuse(400)
            fields.append((name.lower(), value.strip()))
        return method, target, version, fields

    def _body(
        self,
        conn: socket.socket,
        buffer: bytearray,
        version: tuple[int, int],
        fields: list[tuple[bytes, bytes]],
    ) -> bytes:
        lengths = [value for name, value in fields if name == b"content-length"]
        codings = [value.lower() for name, value in fields if name == b"transfer-encoding"]
        if codings and lengths:
            if self.fault != "rfc9112/6.1/content-length-with-transfer-encoding":
                raise _Refuse(400)
            codings = []
        if codings:
            if codings != [b"chunked"]:
                raise _Refuse(501)
            return self._chunked(conn, buffer)
        if lengths:
            if len(set(lengths)) != 1 and self.fault != "rfc9112/6.3/conflicting-content-length":
                raise _Refuse(400)
            text = lengths[-1]
            if not text.isdigit():
                raise _Refuse(400)
            size = int(text)
            if size > 1024 * 1024:
                raise _Refuse(413)
            deadline = time.monotonic() + IDLE
            while len(buffer) < size:
                self._recv(conn, buffer, deadline)
            body = bytes(buffer[:size])
            del buffer[:size]
            return body
        return b""

    def _line(self, conn: socket.socket, buffer: bytearray) -> bytes:
        deadline = time.monotonic() + IDLE
        lenient = self.fault == "rfc9112/7.1/invalid-chunk-size"
        while True:
            end = buffer.find(b"\n") if lenient else buffer.find(b"\r\n")
            if end != -1:
                size = end + (1 if lenient else 2)
                line = bytes(buffer[:size])
                del buffer[:size]
                return line.rstrip(b"\r\n")
            if len(buffer) > 4096:
                raise _Refuse(400)
            self._recv(conn, buffer, deadline)

    def _chunked(self, conn: socket.socket, buffer: bytearray) -> bytes:
        body = bytearray()
        for _ in range(10000):
            line = self._line(conn, buffer).split(b";")[0]
            if self.fault == "rfc9112/7.1/invalid-chunk-size":
                try:
                    size = int(line.decode("latin-1").strip(), 16)
                except ValueError:
                    raise _Refuse(400) from None
            elif self.fault == "rfc9112/7.1/chunk-size-overflow":
                if not re.fullmatch(rb"[0-9A-Fa-f]+", line):
                    raise _Refuse(400)
                size = int(line, 16) & 0xFFFFFFFFFFFFFFFF
            else:
                if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", line):
                    raise _Refuse(400)
                size = int(line, 16)
            if size == 0:
                while self._line(conn, buffer):
                    pass  # trailers
                return bytes(body)
            if len(body) + size > 1024 * 1024:
                raise _Refuse(413)
            deadline = time.monotonic() + IDLE
            while len(buffer) < size + 2:
                self._recv(conn, buffer, deadline)
            if buffer[size : size + 2] != b"\r\n":
                raise _Refuse(400)
            body += buffer[:size]
            del buffer[: size + 2]
        raise _Refuse(413)

    # -- resources ---------------------------------------------------------------------

    def _resource(
        self, method: str, target: str, body: bytes, close: bool
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        allow = [("Allow", "GET, HEAD, POST")]
        if method not in KNOWN:
            if self.fault == "rfc9110/9.1/unknown-method-501":
                return 405, allow, b"not allowed\n"
            return 501, [], b"not implemented\n"
        if method not in ("GET", "HEAD", "POST"):
            return 405, [] if self.fault == "rfc9110/15.5.6/405-allow" else allow, b"no\n"
        if not target.startswith("/"):
            if self.fault == "rfc9112/3.2.2/absolute-form":
                return 404, [], b"not found\n"
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https"):
                return 400, [], b"bad target\n"
            target = parts.path or "/"
        if method == "POST":
            return 200, [("Content-Type", "text/plain")], f"read {len(body)} octets\n".encode()
        path = target.split("?", 1)[0]
        file = self._file(path)
        if file is None:
            return 404, [("Content-Type", "text/plain")], b"not found\n"
        if file.is_dir():
            names = "".join(f"<li>{name}</li>\n" for name in sorted(os.listdir(file)))
            listing = f"<html><body><ul>\n{names}</ul></body></html>\n".encode()
            return 200, [("Content-Type", "text/html"), ("X-Chunked", "1")], listing
        content = file.read_bytes()
        headers = [("Content-Type", "text/plain")]
        if close and self.fault == "rfc9112/6.3/content-length-exact":
            headers.append(("Content-Length", str(len(content) + 1)))
        return 200, headers, content

    def _file(self, path: str) -> Path | None:
        assert self.root is not None
        decoded = unquote(path)
        if self.fault == "rfc9110/17.3/no-path-traversal":
            candidate = Path(str(self.root) + decoded)
            return candidate if candidate.exists() else None
        if "\x00" in decoded or "\\" in decoded:
            return None
        real = Path(os.path.realpath(self.root / decoded.lstrip("/")))
        root = Path(os.path.realpath(self.root))
        if real != root and root not in real.parents:
            return None
        return real if real.exists() else None

    def _response(
        self,
        status: int,
        content: bytes,
        *,
        headers: list[tuple[str, str]] | None = None,
        close: bool,
        method: str = "GET",
    ) -> bytes:
        headers = list(headers or [])
        chunked = ("X-Chunked", "1") in headers
        headers = [h for h in headers if h != ("X-Chunked", "1")]
        status_line = f"HTTP/1.1 {status} {REASONS.get(status, '')}"
        if self.fault == "rfc9112/4/status-line":
            status_line = f"HTTP/1.1 {status}"
        lines = [status_line]
        if self.fault != "rfc9110/6.6.1/date":
            lines.append(f"Date: {formatdate(usegmt=True)}")
        lines.append("Server: brokenhttp")
        if self.fault == "rfc9112/5/field-line-syntax":
            lines.append("X-Bad Name: 1")
        if not headers or headers[0][0] != "Content-Type":
            headers.insert(0, ("Content-Type", "text/plain"))
        if method == "HEAD" and self.fault == "rfc9110/9.3.2/head-same-fields":
            headers = [h for h in headers if h[0] != "Content-Type"]
        lines += [f"{name}: {value}" for name, value in headers]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif not any(name == "Content-Length" for name, _ in headers):
            lines.append(f"Content-Length: {len(content)}")
        if close:
            lines.append("Connection: close")
        head = "\r\n".join(lines) + "\r\n"
        if self.fault == "rfc9112/2.1/crlf-line-endings":
            head += "X-Line: ends with a bare LF\n"
        data = (head + "\r\n").encode("latin-1")
        if method == "HEAD" and self.fault != "rfc9110/9.3.2/head-no-content":
            return data
        if chunked:
            size = len(content) + (1 if self.fault == "rfc9112/7.1/chunked-well-formed" else 0)
            return data + f"{size:x}\r\n".encode() + content + b"\r\n0\r\n\r\n"
        return data + content

"""The WebSocket opening handshake (RFC 6455 §4), sans-IO, server and client.

:class:`ServerHandshake` reads an HTTP/1.1 Upgrade request, checks it (§4.2.1) and
answers ``101 Switching Protocols`` with the ``Sec-WebSocket-Accept`` key (§4.2.2), or
an error: ``426 Upgrade Required`` with ``Sec-WebSocket-Version: 13`` for a version we
do not speak (§4.4), 405 for a method other than GET, 400 for anything else missing or
malformed. Errors are :class:`~reference_impls.errors.RemoteProtocolError` whose
``code`` is the HTTP status to answer with. :class:`ClientHandshake` writes the request
and checks the response (§4.1). Bytes after the head (the first frames, if the peer
did not wait) are kept in ``trailing_data``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.websocket.deflate import (
    DeflateParams,
    Params,
    client_offer,
    negotiate_client,
    negotiate_server,
    parse_extensions,
)

__all__ = [
    "GUID",
    "MAX_HEAD",
    "SUPPORTED_VERSION",
    "ClientHandshake",
    "Handshake",
    "Head",
    "HeadReader",
    "ServerHandshake",
    "UpgradeRequest",
    "accept_key",
    "error_response",
    "parse_head",
    "tokens",
]

#: §1.3: the GUID appended to the key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: §4.1: "The value of this header field MUST be 13."
SUPPORTED_VERSION = "13"
#: The longest request or response head we read (bytes), and the most header lines.
MAX_HEAD = 16 * 1024
MAX_HEADERS = 100

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_REQUEST_LINE = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP/(\d)\.(\d)$")
_STATUS_LINE = re.compile(r"^HTTP/(\d)\.(\d) (\d{3})(?: (.*))?$")
_REASONS = {
    101: "Switching Protocols",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    426: "Upgrade Required",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key`` (§4.2.2 step 5.4): base64(SHA-1(key + GUID))."""
    digest = hashlib.sha1((key + GUID).encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def tokens(values: Sequence[str]) -> list[str]:
    """The comma-separated tokens of header values, lower-cased (RFC 7230 §7 lists)."""
    return [item.strip().lower() for value in values for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Head:
    """A request or response head: the start line's parts, and headers (names lower-case)."""

    start: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        return values[0] if values else None


class HeadReader:
    """Buffers bytes until an HTTP head ends with an empty line (at most ``limit`` bytes)."""

    def __init__(self, limit: int = MAX_HEAD) -> None:
        self.limit = limit
        self._buffer = bytearray()
        self.trailing_data = b""
        self.done = False

    def receive_data(self, data: bytes) -> bytes | None:
        """The whole head (without the empty line) once it is in, else None."""
        if self.done:
            raise LocalProtocolError("the head was already read")
        start = max(0, len(self._buffer) - 3)
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n", start)
        if end < 0:
            if len(self._buffer) > self.limit:
                raise RemoteProtocolError(f"head longer than {self.limit} bytes", code=431)
            return None
        if end > self.limit:
            raise RemoteProtocolError(f"head longer than {self.limit} bytes", code=431)
        head = bytes(self._buffer[:end])
        self.trailing_data = bytes(self._buffer[end + 4 :])
        self._buffer.clear()
        self.done = True
        return head


def parse_head(head: bytes, *, request: bool) -> Head:
    """Parse a request (``request=True``) or response head; 400 when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    if request:
        match = _REQUEST_LINE.match(lines[0])
        if match is None:
            raise RemoteProtocolError(f"malformed request line {lines[0][:80]!r}", code=400)
    else:
        match = _STATUS_LINE.match(lines[0])
        if match is None:
            raise RemoteProtocolError(f"malformed status line {lines[0][:80]!r}", code=400)
    if len(lines) - 1 > MAX_HEADERS:
        raise RemoteProtocolError(f"more than {MAX_HEADERS} header lines", code=431)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.match(name):
            # RFC 7230 §3.2.4: "No whitespace is allowed between the header field-name
            # and colon"; obs-fold lines begin with whitespace and are refused too.
            raise RemoteProtocolError(f"malformed header line {line[:80]!r}", code=400)
        headers.append((name.lower(), value.strip(" \t")))
    start = tuple(group if group is not None else "" for group in match.groups())
    return Head(start, tuple(headers))


@dataclass(frozen=True)
class UpgradeRequest:
    """A valid opening handshake (§4.2.1), what the application may want to know."""

    target: str
    key: str
    host: str
    #: §4.2.1 item 7 and §10.2: the application decides what to do with it.
    origin: str | None
    subprotocols: tuple[str, ...]
    extensions: tuple[tuple[str, Params], ...]
    head: Head


def _one(head: Head, name: str, *, missing: str) -> str:
    values = head.get_all(name)
    if not values:
        raise RemoteProtocolError(missing, code=400)
    if len(values) > 1:
        raise RemoteProtocolError(f"{len(values)} {name} header fields", code=400)
    return values[0]


def check_request(head: Head) -> UpgradeRequest:
    """Check an opening handshake (§4.2.1); :class:`RemoteProtocolError` with the status."""
    method, target, major, minor = head.start
    if method != "GET":
        # §4.1: "The method of the request MUST be GET".
        raise RemoteProtocolError(f"method {method}, not GET", code=405)
    if (int(major), int(minor)) < (1, 1):
        # §4.1: "the HTTP version MUST be at least 1.1".
        raise RemoteProtocolError(f"HTTP/{major}.{minor}, not 1.1 or later", code=400)
    host = _one(head, "host", missing="no Host header field")
    # §4.2.1 items 3 and 4: Upgrade "containing the value "websocket", treated as an
    # ASCII case-insensitive value", Connection "that includes the token "Upgrade",
    # treated as an ASCII case-insensitive value".
    if "websocket" not in tokens(head.get_all("upgrade")):
        raise RemoteProtocolError("no 'websocket' token in Upgrade", code=400)
    if "upgrade" not in tokens(head.get_all("connection")):
        raise RemoteProtocolError("no 'Upgrade' token in Connection", code=400)
    key = _one(head, "sec-websocket-key", missing="no Sec-WebSocket-Key")
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if len(raw) != 16:
        # §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16 bytes".
        raise RemoteProtocolError(f"Sec-WebSocket-Key {key[:40]!r} is not 16 bytes", code=400)
    versions = head.get_all("sec-websocket-version")
    if versions != [SUPPORTED_VERSION]:
        # §4.4: "the server MUST abort the WebSocket handshake ... and instead send an
        # appropriate HTTP error code (such as 426 Upgrade Required) and a
        # |Sec-WebSocket-Version| header field indicating the version(s) the server is
        # capable of understanding."
        shown = ", ".join(versions) if versions else "none"
        raise RemoteProtocolError(f"Sec-WebSocket-Version {shown}, not 13", code=426)
    subprotocols = tuple(
        item.strip()
        for value in head.get_all("sec-websocket-protocol")
        for item in value.split(",")
        if item.strip()
    )
    extensions = tuple(parse_extensions(head.get_all("sec-websocket-extensions")))
    return UpgradeRequest(
        target=target,
        key=key,
        host=host,
        origin=head.get("origin"),
        subprotocols=subprotocols,
        extensions=extensions,
        head=head,
    )


def error_response(status: int, message: str = "") -> bytes:
    """An HTTP error that ends the connection; 426 names the version we speak (§4.4)."""
    reason = _REASONS.get(status, "Error")
    body = (message + "\n").encode("utf-8") if message else b""
    lines = [f"HTTP/1.1 {status} {reason}"]
    if status == 426:
        lines.append(f"Sec-WebSocket-Version: {SUPPORTED_VERSION}")
    elif status == 405:
        lines.append("Allow: GET")  # RFC 9110 §15.5.6: a 405 "MUST generate an Allow"
    lines += [
        "Connection: close",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Handshake:
    """What both sides agreed: the subprotocol and permessage-deflate parameters."""

    subprotocol: str | None = None
    deflate: DeflateParams | None = None
    #: Frames that came right behind the head.
    trailing_data: bytes = b""
    extensions: str | None = field(default=None)


class ServerHandshake:
    """Server side: feed bytes until a request comes out, then :meth:`accept` or reject.

    ``subprotocols``: those we speak, in our order of preference; ``deflate``: whether
    to accept permessage-deflate offers.
    """

    def __init__(
        self,
        *,
        subprotocols: Sequence[str] = (),
        deflate: bool = True,
        deflate_no_context_takeover: bool = False,
    ) -> None:
        self.subprotocols = tuple(subprotocols)
        self.deflate = deflate
        self.deflate_no_context_takeover = deflate_no_context_takeover
        self._reader = HeadReader()
        self.request: UpgradeRequest | None = None

    @property
    def trailing_data(self) -> bytes:
        return self._reader.trailing_data

    def receive_data(self, data: bytes) -> UpgradeRequest | None:
        """The request once complete and valid; raises with the HTTP status otherwise."""
        head = self._reader.receive_data(data)
        if head is None:
            return None
        self.request = check_request(parse_head(head, request=True))
        return self.request

    def accept(self, *, subprotocol: str | None = None) -> tuple[bytes, Handshake]:
        """The ``101`` response and what was agreed.

        ``subprotocol``: one the client offered (None: the first of ours it offered).
        """
        request = self.request
        if request is None:
            raise LocalProtocolError("accept() before a request came in")
        if subprotocol is None:
            subprotocol = next((p for p in self.subprotocols if p in request.subprotocols), None)
        elif subprotocol not in request.subprotocols:
            # §4.2.2: the value "MUST be one of the values ... the client sent".
            raise LocalProtocolError(f"subprotocol {subprotocol!r} was not offered")
        agreed = Handshake(subprotocol=subprotocol, trailing_data=self.trailing_data)
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Accept: {accept_key(request.key)}",
        ]
        if subprotocol is not None:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        if self.deflate:
            negotiated = negotiate_server(
                list(request.extensions), no_context_takeover=self.deflate_no_context_takeover
            )
            if negotiated is not None:
                agreed.extensions, agreed.deflate = negotiated
                lines.append(f"Sec-WebSocket-Extensions: {agreed.extensions}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), agreed


class ClientHandshake:
    """Client side (§4.1): :meth:`request` to send, then feed the response's bytes."""

    def __init__(
        self,
        host: str,
        target: str = "/",
        *,
        origin: str | None = None,
        subprotocols: Sequence[str] = (),
        deflate: bool = False,
        extra_headers: Sequence[tuple[str, str]] = (),
        key: str | None = None,
    ) -> None:
        self.host = host
        self.target = target
        self.origin = origin
        self.subprotocols = tuple(subprotocols)
        self.deflate = deflate
        self.extra_headers = tuple(extra_headers)
        # §4.1 item 7: "a randomly selected 16-byte value that has been base64-encoded".
        self.key = key or base64.b64encode(os.urandom(16)).decode("ascii")
        self._reader = HeadReader()

    def request(self) -> bytes:
        lines = [
            f"GET {self.target} HTTP/1.1",
            f"Host: {self.host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.key}",
            f"Sec-WebSocket-Version: {SUPPORTED_VERSION}",
        ]
        if self.origin is not None:
            lines.append(f"Origin: {self.origin}")
        if self.subprotocols:
            lines.append(f"Sec-WebSocket-Protocol: {', '.join(self.subprotocols)}")
        if self.deflate:
            lines.append(f"Sec-WebSocket-Extensions: {client_offer()}")
        lines += [f"{name}: {value}" for name, value in self.extra_headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def receive_data(self, data: bytes) -> Handshake | None:
        """What was agreed once the response is in; raises when it is not a valid 101.

        §4.1: "If the status code received from the server is not 101, the client
        handles the response per HTTP [RFC2616] procedures"; any other check failing
        means "the client MUST _Fail the WebSocket Connection_". The error's ``code`` is
        the response status.
        """
        head_bytes = self._reader.receive_data(data)
        if head_bytes is None:
            return None
        head = parse_head(head_bytes, request=False)
        status = int(head.start[2])

        def fail(message: str) -> RemoteProtocolError:
            return RemoteProtocolError(message, code=status)

        if status != 101:
            raise fail(f"status {status} {head.start[3]}".rstrip())
        if "websocket" not in tokens(head.get_all("upgrade")):
            raise fail("no 'websocket' token in the response's Upgrade")
        if "upgrade" not in tokens(head.get_all("connection")):
            raise fail("no 'Upgrade' token in the response's Connection")
        if head.get_all("sec-websocket-accept") != [accept_key(self.key)]:
            raise fail("wrong or missing Sec-WebSocket-Accept")
        protocols = head.get_all("sec-websocket-protocol")
        subprotocol = None
        if protocols:
            if len(protocols) > 1 or protocols[0] not in self.subprotocols:
                raise fail(f"server chose a subprotocol not offered: {protocols}")
            subprotocol = protocols[0]
        accepted = parse_extensions(head.get_all("sec-websocket-extensions"))
        if accepted and not self.deflate:
            raise fail("server agreed to extensions not offered")
        try:
            deflate = negotiate_client(accepted)
        except RemoteProtocolError as exc:
            raise fail(str(exc)) from None
        return Handshake(
            subprotocol=subprotocol,
            deflate=deflate,
            trailing_data=self._reader.trailing_data,
            extensions=", ".join(head.get_all("sec-websocket-extensions")) or None,
        )

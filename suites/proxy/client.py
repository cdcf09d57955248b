"""Talking to a forward proxy as a client does, and reading what came back.

Requests are built by h11 (so they are well-formed and their bytes are exactly what
the wire log shows) and sent with the recording :class:`~harness.wire.Wire`; the
proxy's answer is parsed by the same h11 connection. A proxy that answers garbage,
closes or falls silent gives a :class:`Reply` with ``problem`` set, never an
exception, so checks can say what they saw.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field

import h11
import pytest

from harness.targets import Target
from harness.wire import End, TcpConnection, Wire
from suites.proxy.origin import Received, RecordingOrigin

__all__ = [
    "Reply",
    "basic",
    "challenges",
    "exchange",
    "forwarded_or_skip",
    "new_token",
    "note_origin",
    "read_reply",
    "send_request",
]

#: The most reads spent on one reply (each bounded by the per-event timeout).
MAX_READS = 200

Headers = list[tuple[bytes, bytes]]


def new_token() -> str:
    return secrets.token_hex(6)


def basic(user: str, password: str) -> bytes:
    """``Basic <base64(user:password)>`` (RFC 7617 §2, UTF-8)."""
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


@dataclass
class Reply:
    """The proxy's answer to one request (or why there was none)."""

    status: int | None = None
    reason: bytes = b""
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    problem: str = ""  #: set when no complete response arrived
    tunnel: bytes = b""  #: after a 2xx to CONNECT: bytes that followed the head

    def values(self, name: str) -> list[bytes]:
        wanted = name.lower().encode()
        return [v for n, v in self.headers if n.lower() == wanted]

    def names(self) -> set[str]:
        return {n.decode("latin-1").lower() for n, _ in self.headers}

    @property
    def success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        if self.status is None:
            return f"no response ({self.problem})"
        text = f"{self.status} {self.reason.decode('latin-1')}".rstrip()
        challenge = self.values("proxy-authenticate")
        if challenge:
            shown = ", ".join(v.decode("latin-1") for v in challenge)
            text += f" with Proxy-Authenticate: {shown}"
        elif self.status == 407:
            text += " without Proxy-Authenticate"
        if self.problem:
            text += f" ({self.problem})"
        return text


def send_request(
    wire: Wire,
    target: Target,
    method: str,
    request_target: str,
    headers: Headers,
    body: bytes = b"",
) -> tuple[TcpConnection, h11.Connection]:
    """Connect to the proxy and send one request; the h11 connection reads the reply."""
    conn = wire.connect(target)
    client = h11.Connection(h11.CLIENT)
    fields = list(headers)
    if body:
        fields.append((b"Content-Length", str(len(body)).encode()))
    data = client.send(h11.Request(method=method, target=request_target, headers=fields))
    if body:
        data += client.send(h11.Data(data=body)) or b""
    data += client.send(h11.EndOfMessage()) or b""
    conn.send(data)
    return conn, client


def read_reply(conn: TcpConnection, client: h11.Connection) -> Reply:
    """Read one response (head and body) with ``client``'s h11 state."""
    reply = Reply()
    for _ in range(MAX_READS):
        try:
            event = client.next_event()
        except h11.RemoteProtocolError as exc:
            reply.problem = f"a malformed response: {exc}"
            return reply
        if event is h11.NEED_DATA:
            observed = conn.receive(until=bool)
            if observed.received:
                client.receive_data(observed.received)
            elif observed.end is End.TIMEOUT:
                reply.problem = f"silence for {conn.timeout:g} s"
                return reply
            elif observed.end in (End.FIN, End.RST):
                client.receive_data(b"")
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            reply.status = event.status_code
            reply.reason = bytes(event.reason)
            reply.headers = [(bytes(n), bytes(v)) for n, v in event.headers.raw_items()]
            if client.our_state is h11.SWITCHED_PROTOCOL:
                reply.tunnel = client.trailing_data[0]
                return reply
        elif isinstance(event, h11.Data):
            reply.body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return reply
        elif isinstance(event, h11.ConnectionClosed):
            reply.problem = "the connection closed"
            return reply
        else:
            reply.problem = f"h11 stopped at {event!r}"
            return reply
    reply.problem = f"no complete response after {MAX_READS} reads"
    return reply


def exchange(
    wire: Wire,
    target: Target,
    method: str,
    request_target: str,
    headers: Headers,
    body: bytes = b"",
) -> Reply:
    """One request on a new connection to the proxy, and its reply."""
    conn, client = send_request(wire, target, method, request_target, headers, body)
    return read_reply(conn, client)


def note_origin(wire: Wire, token: str, seen: list[Received]) -> None:
    """Put what the origin received into the wire log (the evidence of forwarding)."""
    if not seen:
        wire.log.record(0, "note", note=f"the suite's origin received no request for {token}")
    for request in seen:
        wire.log.record(0, "note", note=f"the suite's origin received: {request.head()}")


def forwarded_or_skip(wire: Wire, origin: RecordingOrigin, token: str, reply: Reply) -> Received:
    """The request the origin received for ``token``; skips the check when the proxy
    refused the suite's credentials or forwarded nothing (other checks judge that)."""
    seen = origin.wait(token, 0.2 if reply.status is not None else 0.0)
    note_origin(wire, token, seen)
    if seen:
        return seen[-1]
    if reply.status == 407:
        pytest.skip(
            f"the proxy answered 407 to the suite's credentials: see {RIGHT_CREDENTIALS} "
            "(or give --proxy-credentials USER:PASSWORD)"
        )
    pytest.skip(
        f"the proxy did not forward the request ({reply.describe()}): see {RIGHT_CREDENTIALS}"
    )


#: The check that the suite's credentials pass: the one the others point to when they
#: cannot run for want of a forwarded request.
RIGHT_CREDENTIALS = "proxy/rfc9110/11.7.2/right-credentials-pass"

_TOKEN68_OR_PARAMS = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+(.*))?$")
_PARAM = re.compile(
    r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*'
)


def challenges(values: list[bytes]) -> list[tuple[str, dict[str, str]]]:
    """Parse Proxy-Authenticate values into ``(scheme, params)`` (RFC 9110 §11.3).

    Lenient: a challenge is a scheme name followed by ``name=value`` pairs separated
    by commas; the next scheme starts where a token stands without ``=``.
    """
    parsed: list[tuple[str, dict[str, str]]] = []
    for value in values:
        text = value.decode("latin-1")
        for piece in _split_commas(text):
            match = _PARAM.fullmatch(piece)
            if match and parsed:
                name, raw = match.groups()
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                parsed[-1][1][name.lower()] = raw
                continue
            head = _TOKEN68_OR_PARAMS.match(piece)
            if head is None:
                continue
            scheme, rest = head.group(1), head.group(2) or ""
            params: dict[str, str] = {}
            inner = _PARAM.fullmatch(rest) if rest else None
            if inner:
                name, raw = inner.groups()
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                params[name.lower()] = raw
            parsed.append((scheme, params))
    return parsed


def _split_commas(text: str) -> list[str]:
    """Split at commas outside quoted strings."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    pieces.append("".join(current))
    return [p for p in pieces if p.strip()]

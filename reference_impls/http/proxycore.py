"""The forward proxy's rules, without sockets: what to do with one parsed request.

:func:`decide` takes a request as h11 parsed it and answers with one of

* :class:`Respond` -- the proxy answers itself (407 challenge, 400 for a request it
  cannot forward, Max-Forwards at zero);
* :class:`Forward` -- send this request (origin-form target, hop-by-hop fields
  removed, a new Host, ``Via`` added, Max-Forwards decremented) to ``host:port``;
* :class:`Tunnel` -- CONNECT: open a TCP connection to ``host:port`` and pass bytes.

:func:`response_headers` filters the origin's response the same way. The asyncio
shell (:mod:`reference_impls.http.proxy`) only moves bytes between h11 connections.

Specifications: RFC 9110 §7.6 (Connection, Max-Forwards, Via), §9.3.6 (CONNECT),
§11.7 (proxy authentication), RFC 9112 §3.2 (request targets), RFC 7617 (Basic).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_REALM",
    "DEFAULT_USER",
    "HOP_BY_HOP",
    "PSEUDONYM",
    "Credentials",
    "Forward",
    "Headers",
    "ProxyConfig",
    "Respond",
    "Tunnel",
    "basic_credentials",
    "challenge",
    "decide",
    "error_response",
    "parse_basic",
    "response_headers",
    "strip_hop_by_hop",
]

Headers = list[tuple[bytes, bytes]]

#: The demo credentials ``serve httpproxy`` uses unless given others (and the proxy
#: suite's default ``--proxy-credentials``). Demo values: give real ones with --user.
DEFAULT_USER = "wirecert"
DEFAULT_PASSWORD = "proxy-demo"
DEFAULT_REALM = "wirecert proxy"
#: The received-by name in the Via fields this proxy adds (RFC 9110 §7.6.3).
PSEUDONYM = "wirecert-proxy"

#: Fields removed before forwarding, whether or not Connection names them (RFC 9110
#: §7.6.1 lists Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and Upgrade; the
#: proxy's own authentication fields apply to this hop only, §11.7). Transfer-Encoding
#: is re-framed by h11 on the next hop.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-authorization",
        b"proxy-authenticate",
    }
)

#: Methods whose Max-Forwards the proxy honours (RFC 9110 §7.6.2).
_MAX_FORWARDS_METHODS = frozenset({b"TRACE", b"OPTIONS"})
#: Fields a proxy answering TRACE itself leaves out of the echo (RFC 9110 §9.3.8).
_SENSITIVE = frozenset({b"authorization", b"proxy-authorization", b"cookie"})


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


@dataclass(frozen=True)
class ProxyConfig:
    """Who may use the proxy; ``credentials`` None: anyone (no authentication)."""

    credentials: Credentials | None = Credentials(DEFAULT_USER, DEFAULT_PASSWORD)
    realm: str = DEFAULT_REALM
    pseudonym: str = PSEUDONYM


@dataclass(frozen=True)
class Respond:
    status: int
    headers: Headers
    body: bytes = b""


@dataclass(frozen=True)
class Forward:
    host: str
    port: int
    method: bytes
    target: bytes
    headers: Headers


@dataclass(frozen=True)
class Tunnel:
    host: str
    port: int


def basic_credentials(user: str, password: str) -> bytes:
    """The field value of ``Proxy-Authorization`` for Basic (RFC 7617 §2, UTF-8)."""
    token = base64.b64encode(f"{user}:{password}".encode())
    return b"Basic " + token


def parse_basic(value: bytes) -> Credentials | None:
    """User and password from a Basic credentials value; None if it is not one.

    The scheme name is case-insensitive (RFC 9110 §11.1); the user-id ends at the
    first colon, so the password may contain colons (RFC 7617 §2).
    """
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    if not colon:
        return None
    return Credentials(user, password)


def _authorized(config: ProxyConfig, headers: Sequence[tuple[bytes, bytes]]) -> bool:
    want = config.credentials
    if want is None:
        return True
    for name, value in headers:
        if name.lower() != b"proxy-authorization":
            continue
        got = parse_basic(value)
        if got is None:
            continue
        # Constant time: a timing difference must not reveal how much was right.
        same_user = hmac.compare_digest(got.user.encode(), want.user.encode())
        same_password = hmac.compare_digest(got.password.encode(), want.password.encode())
        if same_user and same_password:
            return True
    return False


def _quoted(text: str) -> bytes:
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


def error_response(status: int, reason: str, extra: Headers | None = None) -> Respond:
    body = f"{status} {reason}\n".encode()
    headers: Headers = [(b"Content-Type", b"text/plain; charset=utf-8")]
    headers += extra or []
    headers.append((b"Content-Length", str(len(body)).encode()))
    return Respond(status, headers, body)


def challenge(config: ProxyConfig) -> Respond:
    """407 with a Basic challenge (RFC 9110 §15.5.8, §11.7.1; RFC 7617 §2)."""
    value = b"Basic realm=" + _quoted(config.realm) + b', charset="UTF-8"'
    return error_response(407, "proxy authentication required", [(b"Proxy-Authenticate", value)])


def connection_options(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """The lower-cased names listed in every Connection field."""
    named: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return named


def strip_hop_by_hop(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Remove Connection, the fields it names, and the fields always hop-by-hop."""
    items = list(headers)
    drop = HOP_BY_HOP | connection_options(items)
    return [(n, v) for n, v in items if n.lower() not in drop]


def _with_via(headers: Headers, version: bytes, config: ProxyConfig) -> Headers:
    """Append this proxy to Via (RFC 9110 §7.6.3: received-protocol received-by)."""
    ours = version + b" " + config.pseudonym.encode()
    previous = [v for n, v in headers if n.lower() == b"via"]
    rest = [(n, v) for n, v in headers if n.lower() != b"via"]
    return [*rest, (b"Via", b", ".join([*previous, ours]))]


def response_headers(
    headers: Iterable[tuple[bytes, bytes]], version: bytes, config: ProxyConfig
) -> Headers:
    """The origin's response fields as relayed to the client."""
    return _with_via(strip_hop_by_hop(headers), version, config)


def _parse_authority(text: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit("//" + text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or port is None or parts.path or parts.username is not None:
        return None
    return host, port


def _max_forwards(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    values = [v.strip() for n, v in headers if n.lower() == b"max-forwards"]
    if not values:
        return None
    text = values[0]
    if not text.isdigit():
        return None
    return int(text)


def _answer_itself(method: bytes, target: bytes, headers: Headers, version: bytes) -> Respond:
    """Max-Forwards reached zero: the proxy is the final recipient (RFC 9110 §7.6.2)."""
    if method == b"OPTIONS":
        allow = b"GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, CONNECT"
        return Respond(200, [(b"Allow", allow), (b"Content-Length", b"0")])
    lines = [method + b" " + target + b" HTTP/" + version]
    lines += [n + b": " + v for n, v in headers if n.lower() not in _SENSITIVE]
    body = b"\r\n".join(lines) + b"\r\n\r\n"
    return Respond(
        200,
        [(b"Content-Type", b"message/http"), (b"Content-Length", str(len(body)).encode())],
        body,
    )


def decide(
    config: ProxyConfig,
    method: bytes,
    target: bytes,
    headers: Sequence[tuple[bytes, bytes]],
    version: bytes = b"1.1",
) -> Respond | Forward | Tunnel:
    """What the proxy does with one request (fields as received, names any case)."""
    items = list(headers)
    if not _authorized(config, items):
        return challenge(config)
    if method == b"CONNECT":
        address = _parse_authority(target.decode("ascii", "replace"))
        if address is None:
            return error_response(400, "CONNECT needs host:port")
        return Tunnel(*address)
    try:
        url = urlsplit(target.decode("ascii"))
        port = url.port
    except (UnicodeDecodeError, ValueError):
        return error_response(400, "bad request target")
    if url.scheme.lower() != "http" or not url.hostname:
        return error_response(
            400, "this is a forward proxy: send an absolute-form http:// request target"
        )
    hops = _max_forwards(items) if method in _MAX_FORWARDS_METHODS else None
    if hops == 0:
        return _answer_itself(method, target, items, version)
    kept = [(n, v) for n, v in strip_hop_by_hop(items) if n.lower() not in (b"host", b"via")]
    kept += [(n, v) for n, v in items if n.lower() == b"via"]
    if hops is not None:
        kept = [(n, v) for n, v in kept if n.lower() != b"max-forwards"]
        kept.append((b"Max-Forwards", str(hops - 1).encode()))
    authority = url.netloc.rpartition("@")[2].encode()
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    forwarded = [(b"Host", authority), *_with_via(kept, version, config)]
    return Forward(url.hostname, port or 80, method, path.encode(), forwarded)

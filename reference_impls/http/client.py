"""The reference HTTP/1.1 client: HEAD and GET, charsets, proxies, HTTPS, timeouts.

The book's clients (Newmarch, ch. 8) in one: ``HEAD`` and ``GET``; a client that asks
for UTF-8 with ``Accept-Charset``; a client that goes through a proxy named by
``HTTP_PROXY``/``http_proxy`` and sends ``Proxy-Authorization: Basic`` with the
credentials of the proxy URL; and an HTTPS client that verifies the server's
certificate (the system's trust store, or ``cafile``).

h11 is the sans-IO core for messages; the decisions of this module that involve no
socket (:func:`proxy_from_environment`, :func:`prepare`, :func:`charset_of`,
:func:`decode_body`) are plain functions, and :func:`fetch` is the thin synchronous
shell: one connection per request, every wait bounded by ``timeout``.

Charset of a reply (RFC 9110 §8.3.2): the ``charset`` parameter of Content-Type when
there is one. Without it, the media type's own rule: ``application/json`` and
``+json`` types are UTF-8 (RFC 8259 §8.1); other ``text/*`` types are US-ASCII, their
default since RFC 2046 §4.1.2 (RFC 9110 dropped HTTP/1.1's ISO-8859-1 default), with
undecodable bytes replaced (U+FFFD) rather than guessed; any other type is not text,
and ``Response.text`` is None.

``python -m reference_impls.http.client [--head] [--accept-charset utf-8] [--cafile PEM]
[--timeout S] URL`` prints the status line and fields, then the body as text.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import h11

from reference_impls.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "Prepared",
    "ProxySetting",
    "Response",
    "charset_of",
    "decode_body",
    "fetch",
    "main",
    "prepare",
    "proxy_from_environment",
]

USER_AGENT = b"wirecert-client/0.1"
_READ = 65536
#: The most bytes of body kept; more is a RemoteProtocolError (the client's memory bound).
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class ProxySetting:
    host: str
    port: int
    #: ``Basic ...`` from the proxy URL's user and password, or None
    authorization: bytes | None = None


@dataclass(frozen=True)
class Prepared:
    """What :func:`fetch` will do: where to connect, what to send, whether to tunnel."""

    connect: tuple[str, int]
    request: h11.Request
    tls_host: str | None  #: TLS to the origin with this server name (https)
    tunnel: h11.Request | None  #: CONNECT first (https through a proxy)


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    charset: str | None = None
    #: where the charset came from, e.g. "Content-Type" or the default's RFC
    charset_source: str = ""
    text: str | None = None
    http_version: str = "1.1"
    tls_version: str | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def _basic(user: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


def _no_proxy(host: str, environ: Mapping[str, str]) -> bool:
    rule = environ.get("no_proxy", environ.get("NO_PROXY", ""))
    for entry in (e.strip().lower() for e in rule.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.lstrip(".")
        if host.lower() == entry or host.lower().endswith("." + entry):
            return True
    return False


def proxy_from_environment(
    scheme: str, host: str, environ: Mapping[str, str] | None = None
) -> ProxySetting | None:
    """The proxy for a ``scheme`` URL on ``host``, from ``http_proxy``/``HTTP_PROXY``
    (``https_proxy``/``HTTPS_PROXY`` for https), unless ``no_proxy`` covers ``host``.

    ``HTTP_PROXY`` is ignored when ``REQUEST_METHOD`` is set: in a CGI program that
    variable comes from the request's ``Proxy:`` header ("httpoxy", CVE-2016-5385).
    Raises ValueError for a proxy URL that is not ``[http://][user:password@]host[:port]``.
    """
    env = os.environ if environ is None else environ
    names = [f"{scheme}_proxy"]
    if not (scheme == "http" and "REQUEST_METHOD" in env):
        names.append(f"{scheme.upper()}_PROXY")
    value = next((env[n] for n in names if env.get(n)), "")
    if not value or _no_proxy(host, env):
        return None
    url = urlsplit(value if "://" in value else f"http://{value}")
    if url.scheme != "http" or not url.hostname:
        raise ValueError(f"proxy URL {value!r}: expected http://[USER:PASSWORD@]HOST[:PORT]")
    try:
        port = url.port or 80
    except ValueError:
        raise ValueError(f"proxy URL {value!r}: the port is not a number") from None
    auth = None
    if url.username is not None:
        auth = _basic(unquote(url.username), unquote(url.password or ""))
    return ProxySetting(url.hostname, port, auth)


def prepare(
    method: str,
    url: str,
    *,
    proxy: ProxySetting | None = None,
    accept_charset: str | None = None,
) -> Prepared:
    """The request for ``method url``: absolute-form through a plain-HTTP proxy,
    CONNECT then origin-form for https through a proxy, origin-form otherwise."""
    if method not in ("GET", "HEAD"):
        raise LocalProtocolError(f"this client sends GET and HEAD, not {method}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"{url!r}: expected http://HOST[:PORT]/PATH or https://...")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise LocalProtocolError(f"{url!r}: the port is not a number") from None
    host = parts.hostname
    authority = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        authority += f":{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [(b"Host", authority.encode("idna")), (b"User-Agent", USER_AGENT)]
    if accept_charset:
        headers.append((b"Accept-Charset", accept_charset.encode("ascii")))
    headers.append((b"Connection", b"close"))
    if proxy is not None and parts.scheme == "http":
        if proxy.authorization:
            headers.append((b"Proxy-Authorization", proxy.authorization))
        absolute = f"http://{authority}{path}"
        request = h11.Request(method=method, target=absolute, headers=headers)
        return Prepared((proxy.host, proxy.port), request, None, None)
    request = h11.Request(method=method, target=path, headers=headers)
    if proxy is not None:
        target = f"{authority}:{port}" if parts.port is None else authority
        connect_headers = [(b"Host", target.encode("idna")), (b"User-Agent", USER_AGENT)]
        if proxy.authorization:
            connect_headers.append((b"Proxy-Authorization", proxy.authorization))
        tunnel = h11.Request(method="CONNECT", target=target, headers=connect_headers)
        return Prepared((proxy.host, proxy.port), request, host, tunnel)
    return Prepared((host, port), request, host if parts.scheme == "https" else None, None)


def charset_of(content_type: str | None) -> tuple[str | None, str]:
    """The charset of a body with this Content-Type, and where that answer came from."""
    if not content_type:
        return None, "no Content-Type: not text"
    media, *params = (p.strip() for p in content_type.split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower(), "Content-Type charset parameter"
    media = media.lower()
    if media == "application/json" or media.endswith("+json"):
        return "utf-8", "default of JSON (RFC 8259 §8.1)"
    if media.startswith("text/"):
        return "us-ascii", "default of text/* (RFC 2046 §4.1.2)"
    return None, f"{media} is not text"


def decode_body(body: bytes, content_type: str | None) -> tuple[str | None, str | None, str]:
    """``(text, charset, source)``; text None when the type is not text.

    An unknown charset name falls back to UTF-8 with replacement, and says so.
    """
    charset, source = charset_of(content_type)
    if charset is None:
        return None, None, source
    try:
        return body.decode(charset, errors="replace"), charset, source
    except LookupError:
        text = body.decode("utf-8", errors="replace")
        return text, "utf-8", f"unknown charset {charset!r}; decoded as UTF-8"


class _Deadline:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete response within {self.timeout:g} s")
        return remaining


def _exchange(
    sock: socket.socket, request: h11.Request, deadline: _Deadline, *, head_only: bool = False
) -> tuple[h11.Response, bytes, h11.Connection]:
    conn = h11.Connection(h11.CLIENT)
    sock.settimeout(deadline.left())
    sock.sendall(conn.send(request) + (conn.send(h11.EndOfMessage()) or b""))
    response: h11.Response | None = None
    body = bytearray()
    for _ in range(10_000_000):
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(f"malformed response: {exc}", code=502) from None
        if event is h11.NEED_DATA:
            sock.settimeout(deadline.left())
            try:
                data = sock.recv(_READ)
            except TimeoutError:
                raise TimeoutError(f"no complete response within {deadline.timeout:g} s") from None
            conn.receive_data(data)
        elif isinstance(event, h11.Response):
            response = event
            if head_only or conn.our_state is h11.SWITCHED_PROTOCOL:
                return response, b"", conn
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY:
                raise RemoteProtocolError(f"body larger than {MAX_BODY} bytes")
        elif isinstance(event, h11.EndOfMessage):
            break
        elif isinstance(event, h11.ConnectionClosed):
            raise RemoteProtocolError("the server closed the connection without a response")
    if response is None:
        raise RemoteProtocolError("no response")
    return response, bytes(body), conn


def fetch(
    url: str,
    *,
    method: str = "GET",
    accept_charset: str | None = None,
    proxy: ProxySetting | str | None = "environment",
    cafile: str | None = None,
    timeout: float = 10.0,
    environ: Mapping[str, str] | None = None,
) -> Response:
    """One request, one connection. ``proxy``: "environment" (the default), None
    (direct) or a :class:`ProxySetting`. Certificates are verified (``cafile``, or
    the system's). Raises OSError/TimeoutError for the network, ssl.SSLError for
    TLS, RemoteProtocolError for a malformed response, LocalProtocolError for a bad
    URL or method. A proxy's refusal (e.g. 407) is a Response like any other."""
    parts = urlsplit(url)
    chosen: ProxySetting | None
    if proxy == "environment":
        chosen = proxy_from_environment(parts.scheme or "http", parts.hostname or "", environ)
    else:
        chosen = proxy if isinstance(proxy, ProxySetting) else None
    prepared = prepare(method, url, proxy=chosen, accept_charset=accept_charset)
    deadline = _Deadline(timeout)
    sock = socket.create_connection(prepared.connect, timeout=deadline.left())
    tls_version = None
    try:
        if prepared.tunnel is not None:
            answer, _, tunnel = _exchange(sock, prepared.tunnel, deadline, head_only=True)
            if not 200 <= answer.status_code < 300:
                return _response(answer, b"", None)
            if tunnel.trailing_data[0]:
                raise RemoteProtocolError("the proxy sent bytes before the TLS handshake")
        if prepared.tls_host is not None:
            context = ssl.create_default_context(cafile=cafile)
            sock.settimeout(deadline.left())
            sock = context.wrap_socket(sock, server_hostname=prepared.tls_host)
            tls_version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        response, body, _ = _exchange(sock, prepared.request, deadline)
    finally:
        sock.close()
    return _response(response, body, tls_version)


def _response(response: h11.Response, body: bytes, tls_version: str | None) -> Response:
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers.raw_items()]
    result = Response(
        response.status_code,
        response.reason.decode("latin-1"),
        headers,
        body,
        http_version=response.http_version.decode("ascii", "replace"),
        tls_version=tls_version,
    )
    result.text, result.charset, result.charset_source = decode_body(
        body, result.header("content-type")
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reference_impls.http.client",
        description="GET or HEAD a URL (proxy from http_proxy / HTTP_PROXY, https_proxy).",
    )
    parser.add_argument("url")
    parser.add_argument("--head", action="store_true", help="send HEAD instead of GET")
    parser.add_argument("--accept-charset", default=None, metavar="CHARSET")
    parser.add_argument("--cafile", default=None, metavar="PEM", help="CA to verify https with")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S")
    args = parser.parse_args(argv)
    try:
        response = fetch(
            args.url,
            method="HEAD" if args.head else "GET",
            accept_charset=args.accept_charset,
            cafile=args.cafile,
            timeout=args.timeout,
        )
    except (OSError, ValueError, LocalProtocolError, RemoteProtocolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"HTTP/{response.http_version} {response.status} {response.reason}")
    for name, value in response.headers:
        print(f"{name}: {value}")
    print()
    if response.text is not None:
        sys.stdout.write(response.text)
    elif response.body:
        print(f"({len(response.body)} bytes of {response.header('content-type')})")
    return 0 if response.status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The reference HTTP client: HEAD and GET, charsets, proxies from the environment, HTTPS.

Against Python's ``http.server`` (plain, and over TLS with a certificate made by the
references' own TLS plumbing), against the proxy suite's recording origin (to see
what was sent), and through the reference proxy (absolute-form with Basic
credentials from ``http_proxy``, and CONNECT for https).
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from brokenproxy import running_reference_proxy

from reference_impls._tls import DemoCertificates, server_context
from reference_impls.errors import LocalProtocolError
from reference_impls.http.client import (
    ProxySetting,
    charset_of,
    decode_body,
    fetch,
    main,
    prepare,
    proxy_from_environment,
)
from reference_impls.http.proxycore import Credentials, ProxyConfig, basic_credentials
from suites.proxy.origin import RecordingOrigin, body_for

CONFIG = ProxyConfig(credentials=Credentials("dora", "p@ss:w/rd"))
#: The same credentials percent-encoded in a proxy URL.
USERINFO = "dora:p%40ss%3Aw%2Frd"


# -- sans-IO decisions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "charset", "source"),
    [
        ("text/html; charset=ISO-8859-1", "iso-8859-1", "Content-Type"),
        ('text/plain; charset="UTF-8"', "utf-8", "Content-Type"),
        ("text/plain", "us-ascii", "RFC 2046"),
        ("application/json", "utf-8", "RFC 8259"),
        ("application/problem+json", "utf-8", "RFC 8259"),
        ("image/png", None, "not text"),
        (None, None, "no Content-Type"),
    ],
)
def test_charset_of_a_reply(content_type: str | None, charset: str | None, source: str) -> None:
    got, why = charset_of(content_type)
    assert got == charset
    assert source in why


def test_decoding_replaces_what_the_charset_cannot_say() -> None:
    text, charset, _ = decode_body("héllo".encode(), "text/plain")
    assert charset == "us-ascii"
    assert text == "h\ufffd\ufffdllo"
    text, charset, why = decode_body(b"caf\xc3\xa9", "text/plain; charset=x-nonsense")
    assert (text, charset) == ("café", "utf-8")
    assert "unknown charset" in why


def test_proxy_from_environment() -> None:
    env = {"http_proxy": f"http://{USERINFO}@127.0.0.1:3128"}
    setting = proxy_from_environment("http", "example.test", env)
    assert setting == ProxySetting("127.0.0.1", 3128, basic_credentials("dora", "p@ss:w/rd"))
    assert proxy_from_environment("http", "example.test", {"HTTP_PROXY": "proxy.test"}) == (
        ProxySetting("proxy.test", 80, None)
    )
    # httpoxy: in a CGI program HTTP_PROXY comes from the request's Proxy: header.
    cgi = {"HTTP_PROXY": "http://evil.test:80", "REQUEST_METHOD": "GET"}
    assert proxy_from_environment("http", "example.test", cgi) is None
    skip = {"http_proxy": "proxy.test:1", "no_proxy": "localhost, .internal.test"}
    assert proxy_from_environment("http", "a.internal.test", skip) is None
    assert proxy_from_environment("http", "example.test", skip) is not None
    assert proxy_from_environment("https", "example.test", {"http_proxy": "p.test"}) is None
    with pytest.raises(ValueError, match="expected http://"):
        proxy_from_environment("http", "example.test", {"http_proxy": "socks5://p.test:1"})


def test_prepare_picks_the_request_form() -> None:
    direct = prepare("GET", "http://example.test:8080/a?b=c", accept_charset="utf-8")
    assert direct.connect == ("example.test", 8080)
    assert direct.request.target == b"/a?b=c"
    assert (b"accept-charset", b"utf-8") in list(direct.request.headers)
    proxied = prepare("HEAD", "http://example.test/", proxy=ProxySetting("p.test", 3128, b"B x"))
    assert proxied.connect == ("p.test", 3128)
    assert proxied.request.target == b"http://example.test/"
    assert (b"proxy-authorization", b"B x") in list(proxied.request.headers)
    tunnelled = prepare("GET", "https://example.test/", proxy=ProxySetting("p.test", 3128, b"B x"))
    assert tunnelled.tunnel is not None and tunnelled.tunnel.target == b"example.test:443"
    assert tunnelled.request.target == b"/"
    assert all(n != b"proxy-authorization" for n, _ in tunnelled.request.headers)
    with pytest.raises(LocalProtocolError):
        prepare("POST", "http://example.test/")
    with pytest.raises(LocalProtocolError):
        prepare("GET", "ftp://example.test/")


# -- against servers ------------------------------------------------------------------


@contextlib.contextmanager
def file_server(root: Path, context: ssl.SSLContext | None = None) -> Iterator[int]:
    """Python's http.server on 127.0.0.1 serving ``root`` (over TLS with ``context``)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def docroot(tmp_path: Path) -> Path:
    (tmp_path / "hello.txt").write_bytes(b"hello, world\n")
    (tmp_path / "data.json").write_bytes('{"name": "Zoë"}'.encode())
    return tmp_path


def test_get_and_head_against_http_server(docroot: Path) -> None:
    with file_server(docroot) as port:
        got = fetch(f"http://127.0.0.1:{port}/hello.txt", proxy=None)
        head = fetch(f"http://127.0.0.1:{port}/hello.txt", method="HEAD", proxy=None)
        json = fetch(f"http://127.0.0.1:{port}/data.json", proxy=None)
        missing = fetch(f"http://127.0.0.1:{port}/nope", proxy=None)
    assert (got.status, got.body, got.text) == (200, b"hello, world\n", "hello, world\n")
    assert got.charset is not None
    assert (head.status, head.body) == (200, b"")
    assert head.header("content-length") == "13"
    assert json.text == '{"name": "Zoë"}'
    assert missing.status == 404


def test_accept_charset_is_sent(capsys: pytest.CaptureFixture[str]) -> None:
    with RecordingOrigin() as origin:
        response = fetch(origin.url("charset"), accept_charset="utf-8", proxy=None)
        (received,) = origin.seen("charset")
    assert received.values("accept-charset") == [b"utf-8"]
    assert response.text == body_for("charset").decode()
    assert (response.charset, response.charset_source) == (
        "utf-8",
        "Content-Type charset parameter",
    )


def test_proxy_from_http_proxy_with_basic_credentials() -> None:
    with RecordingOrigin() as origin, running_reference_proxy(CONFIG) as (host, port):
        env = {"http_proxy": f"http://{USERINFO}@{host}:{port}"}
        response = fetch(origin.url("via-proxy"), environ=env)
        wrong = fetch(origin.url("wrong"), environ={"HTTP_PROXY": f"http://dora:x@{host}:{port}"})
        (received,) = origin.seen("via-proxy")
    assert response.status == 200
    assert response.header("via") == "1.1 wirecert-proxy"
    assert received.values("proxy-authorization") == []
    assert wrong.status == 407
    assert 'Basic realm="wirecert proxy"' in (wrong.header("proxy-authenticate") or "")
    assert not origin.seen("wrong")


@pytest.fixture(scope="module")
def certificates() -> Iterator[DemoCertificates]:
    demo = DemoCertificates.make()
    try:
        yield demo
    finally:
        demo.close()


def test_https_is_verified(docroot: Path, certificates: DemoCertificates) -> None:
    context = server_context(str(certificates.certfile), str(certificates.keyfile))
    with file_server(docroot, context) as port:
        url = f"https://127.0.0.1:{port}/hello.txt"
        good = fetch(url, cafile=str(certificates.cafile), proxy=None)
        with pytest.raises(ssl.SSLCertVerificationError):
            fetch(url, proxy=None)  # the system's trust store does not know the demo CA
    assert (good.status, good.body) == (200, b"hello, world\n")
    assert good.tls_version in ("TLSv1.2", "TLSv1.3")


def test_https_through_the_proxy_uses_connect(
    docroot: Path, certificates: DemoCertificates
) -> None:
    context = server_context(str(certificates.certfile), str(certificates.keyfile))
    with file_server(docroot, context) as port, running_reference_proxy(CONFIG) as proxy:
        env = {"https_proxy": f"http://{USERINFO}@{proxy[0]}:{proxy[1]}"}
        url = f"https://127.0.0.1:{port}/hello.txt"
        good = fetch(url, cafile=str(certificates.cafile), environ=env)
        refused = fetch(
            url, cafile=str(certificates.cafile), environ={"https_proxy": f"{proxy[0]}:{proxy[1]}"}
        )
    assert (good.status, good.body) == (200, b"hello, world\n")
    assert good.header("via") is None  # the proxy saw only a tunnel
    assert refused.status == 407


def test_silent_server_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            fetch(f"http://127.0.0.1:{port}/", proxy=None, timeout=0.3)
    assert time.monotonic() - started < 2


def test_command_line(docroot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with file_server(docroot) as port:
        status = main([f"http://127.0.0.1:{port}/hello.txt", "--accept-charset", "utf-8"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("HTTP/1.0 200 OK\n")
    assert out.endswith("\nhello, world\n")
    assert main([f"http://127.0.0.1:{_closed_port()}/"]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

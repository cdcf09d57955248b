"""The reference forward proxy: its sans-IO rules and its asyncio shell.

The proxy suite certifies the behaviour a client can see (``pytest suites/proxy``);
these tests cover the rest: the rules of :mod:`reference_impls.http.proxycore` one by
one, the shell's answers to a broken origin (502), a silent one (504), garbage from a
client (400, and the proxy goes on), a chunked request body re-framed upstream, and
``serve httpproxy``'s credentials option.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import h11
import pytest
from brokenproxy import running_reference_proxy
from brokenservers import REPO

from reference_impls.http import proxy
from reference_impls.http.proxycore import (
    Credentials,
    Forward,
    ProxyConfig,
    Respond,
    Tunnel,
    basic_credentials,
    decide,
    parse_basic,
    strip_hop_by_hop,
)
from suites.proxy.origin import RecordingOrigin

CONFIG = ProxyConfig(credentials=Credentials("alice", "pa:ss word"))
AUTH = (b"Proxy-Authorization", basic_credentials("alice", "pa:ss word"))


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [v for n, v in headers if n.lower() == name]


# -- proxycore ---------------------------------------------------------------------


def test_basic_credentials_parse_case_insensitively_and_keep_colons() -> None:
    token = base64.b64encode(b"alice:pa:ss word")
    assert parse_basic(b"bAsIc " + token) == Credentials("alice", "pa:ss word")
    assert parse_basic(b"Basic not-base64!") is None
    assert parse_basic(b"Bearer " + token) is None
    assert parse_basic(b"Basic " + base64.b64encode(b"no colon")) is None


@pytest.mark.parametrize(
    "authorization",
    [None, basic_credentials("alice", "wrong"), basic_credentials("bob", "pa:ss word")],
    ids=["missing", "wrong-password", "unknown-user"],
)
def test_refused_requests_get_a_basic_challenge(authorization: bytes | None) -> None:
    headers = [(b"Host", b"example.test")]
    if authorization is not None:
        headers.append((b"Proxy-Authorization", authorization))
    action = decide(CONFIG, b"GET", b"http://example.test/", headers)
    assert isinstance(action, Respond)
    assert action.status == 407
    assert header(action.headers, b"proxy-authenticate") == [
        b'Basic realm="wirecert proxy", charset="UTF-8"'
    ]


def test_forwarded_request_is_cleaned_and_marked() -> None:
    headers = [
        (b"Host", b"wrong.test"),
        AUTH,
        (b"Connection", b"keep-alive, X-Hop"),
        (b"X-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Proxy-Connection", b"keep-alive"),
        (b"TE", b"trailers"),
        (b"Upgrade", b"h2c"),
        (b"Via", b"1.0 earlier"),
        (b"Accept", b"*/*"),
    ]
    action = decide(CONFIG, b"GET", b"http://example.test:8081/a/b?c=d", headers)
    assert isinstance(action, Forward)
    assert (action.host, action.port, action.target) == ("example.test", 8081, b"/a/b?c=d")
    names = {n.lower() for n, _ in action.headers}
    for gone in (b"connection", b"x-hop", b"keep-alive", b"proxy-connection", b"te", b"upgrade"):
        assert gone not in names
    assert b"proxy-authorization" not in names
    assert header(action.headers, b"host") == [b"example.test:8081"]
    assert header(action.headers, b"via") == [b"1.0 earlier, 1.1 wirecert-proxy"]
    assert header(action.headers, b"accept") == [b"*/*"]


def test_max_forwards_is_decremented_or_answered() -> None:
    url = b"http://example.test/"
    forwarded = decide(CONFIG, b"OPTIONS", url, [AUTH, (b"Max-Forwards", b"3")])
    assert isinstance(forwarded, Forward)
    assert header(forwarded.headers, b"max-forwards") == [b"2"]
    answered = decide(CONFIG, b"TRACE", url, [AUTH, (b"Max-Forwards", b"0"), (b"X-A", b"1")])
    assert isinstance(answered, Respond) and answered.status == 200
    assert answered.body.startswith(b"TRACE http://example.test/ HTTP/1.1\r\n")
    assert b"X-A: 1" in answered.body
    assert b"Proxy-Authorization" not in answered.body  # RFC 9110 §9.3.8: no credentials
    # Only TRACE and OPTIONS: a GET keeps Max-Forwards as it is.
    get = decide(CONFIG, b"GET", url, [AUTH, (b"Max-Forwards", b"0")])
    assert isinstance(get, Forward)
    assert header(get.headers, b"max-forwards") == [b"0"]


def test_connect_needs_host_and_port() -> None:
    assert decide(CONFIG, b"CONNECT", b"example.test:443", [AUTH]) == Tunnel("example.test", 443)
    bad = decide(CONFIG, b"CONNECT", b"example.test", [AUTH])
    assert isinstance(bad, Respond) and bad.status == 400
    unauthenticated = decide(CONFIG, b"CONNECT", b"example.test:443", [])
    assert isinstance(unauthenticated, Respond) and unauthenticated.status == 407


def test_origin_form_is_not_forwarded() -> None:
    action = decide(CONFIG, b"GET", b"/index.html", [AUTH, (b"Host", b"example.test")])
    assert isinstance(action, Respond) and action.status == 400


def test_no_credentials_configured_means_open() -> None:
    action = decide(ProxyConfig(credentials=None), b"GET", b"http://example.test/", [])
    assert isinstance(action, Forward)


def test_strip_removes_every_connection_field_named() -> None:
    headers = [(b"Connection", b"a"), (b"connection", b" B ,c"), (b"A", b"1"), (b"b", b"2")]
    assert strip_hop_by_hop([*headers, (b"D", b"4")]) == [(b"D", b"4")]


# -- the asyncio shell ---------------------------------------------------------------


def _ask(address: tuple[str, int], data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data``, read until the proxy closes or falls silent for a moment."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + timeout
        sock.settimeout(1.5)
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received


def _request(method: str, target: str, *extra: tuple[bytes, bytes], body: bytes = b"") -> bytes:
    client = h11.Connection(h11.CLIENT)
    headers = [(b"Host", b"x"), AUTH, (b"Connection", b"close"), *extra]
    if body:
        headers.append((b"Transfer-Encoding", b"chunked"))
    data = client.send(h11.Request(method=method, target=target, headers=headers))
    if body:
        data += client.send(h11.Data(data=body)) or b""
    return data + (client.send(h11.EndOfMessage()) or b"")


@pytest.fixture
def reference() -> Iterator[tuple[str, int]]:
    timeouts = proxy.Timeouts(connect=1.0, upstream=0.5, idle=2.0, tunnel_idle=2.0)
    with running_reference_proxy(CONFIG, timeouts) as address:
        yield address


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_upstream_is_502(reference: tuple[str, int]) -> None:
    port = _closed_port()
    reply = _ask(reference, _request("GET", f"http://127.0.0.1:{port}/"))
    assert reply.startswith(b"HTTP/1.1 502 "), reply
    tunnel = _ask(reference, _request("CONNECT", f"127.0.0.1:{port}"))
    assert tunnel.startswith(b"HTTP/1.1 502 "), tunnel


def test_silent_upstream_is_504(reference: tuple[str, int]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        reply = _ask(reference, _request("GET", f"http://127.0.0.1:{port}/"))
    assert reply.startswith(b"HTTP/1.1 504 "), reply
    assert time.monotonic() - started < 4


def test_garbage_gets_400_and_the_proxy_goes_on(reference: tuple[str, int]) -> None:
    assert _ask(reference, b"\x00\xffnot http at all\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _ask(reference, _request("GET", "/origin-form")).startswith(b"HTTP/1.1 400 ")
    with RecordingOrigin() as origin:
        reply = _ask(reference, _request("GET", origin.url("after-garbage")))
    assert reply.startswith(b"HTTP/1.1 200 "), reply


def test_chunked_body_is_reframed_upstream(reference: tuple[str, int]) -> None:
    body = b"x" * 70000
    with RecordingOrigin() as origin:
        reply = _ask(reference, _request("GET", origin.url("chunked"), body=body))
        (received,) = origin.seen("chunked")
    assert reply.startswith(b"HTTP/1.1 200 "), reply
    assert received.values("transfer-encoding") == [b"chunked"]
    assert received.raw.endswith(b"0\r\n\r\n")


def test_keep_alive_serves_several_requests_on_one_connection(reference: tuple[str, int]) -> None:
    with RecordingOrigin() as origin:
        client = h11.Connection(h11.CLIENT)
        answers = []
        with socket.create_connection(reference, timeout=5) as sock:
            for token in ("first", "second"):
                request = h11.Request(
                    method="GET", target=origin.url(token), headers=[(b"Host", b"x"), AUTH]
                )
                sock.sendall(client.send(request) + (client.send(h11.EndOfMessage()) or b""))
                for _ in range(100):
                    event = client.next_event()
                    if event is h11.NEED_DATA:
                        client.receive_data(sock.recv(65536))
                    elif isinstance(event, h11.Response):
                        answers.append(event.status_code)
                    elif isinstance(event, h11.EndOfMessage):
                        break
                client.start_next_cycle()
    assert answers == [200, 200]


def test_many_clients_at_once(reference: tuple[str, int]) -> None:
    results: list[bytes] = []
    with RecordingOrigin() as origin:
        threads = [
            threading.Thread(
                target=lambda i=i: results.append(
                    _ask(reference, _request("GET", origin.url(f"c{i}")))[:12]
                )
            )
            for i in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [b"HTTP/1.1 200"] * 20


# -- serve httpproxy ---------------------------------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_impls", "serve", "httpproxy", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_bad_credentials_option_is_one_line() -> None:
    result = _serve("--credentials", "no-colon")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "USER:PASSWORD" in result.stderr


def test_udp_listener_is_refused() -> None:
    result = _serve("--listen", "udp://127.0.0.1:0")
    assert result.returncode == 2
    assert "HTTP proxy runs over TCP" in result.stderr


def test_suite_certifies_the_proxy_with_chosen_credentials(tmp_path: object) -> None:
    """``serve httpproxy --credentials`` and ``--proxy-credentials`` meet in the middle."""
    from pathlib import Path

    from brokenservers import FAST, run_suite_against

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_impls",
            "serve",
            "httpproxy",
            "--credentials",
            "carol:c0l:on",
            "--listen",
            "http://127.0.0.1:0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening http 127.0.0.1 "), line
        port = int(line.split()[3])
        run = run_suite_against(
            "proxy",
            [f"http://127.0.0.1:{port}"],
            Path(str(tmp_path)),
            "--proxy-credentials",
            "carol:c0l:on",
            options=FAST,
        )
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_demo_credentials_are_announced_once() -> None:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "reference_impls", "serve", "httpproxy"),
            *("--listen", "http://127.0.0.1:0", "--listen", "https://127.0.0.1:0"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while sum(line.startswith("listening ") for line in lines) < 2 and len(lines) < 10:
            lines.append(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    announced = [line for line in lines if line.startswith("credentials ")]
    assert announced == [
        "credentials wirecert:proxy-demo (demo; choose others with --credentials USER:PASSWORD)\n"
    ], lines
    assert any(line.startswith("ca ") for line in lines), lines


def test_expect_100_continue(reference: tuple[str, int]) -> None:
    """A client waiting for 100 (Continue) gets it once the request will be forwarded,
    and an immediate 407 (then a close) when it will not."""
    with RecordingOrigin() as origin:
        head = (
            f"POST {origin.url('expect')} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            "Expect: 100-continue\r\n"
        ).encode()
        auth = b"Proxy-Authorization: " + AUTH[1] + b"\r\n"
        with socket.create_connection(reference, timeout=3) as sock:
            sock.sendall(head + auth + b"\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 100 ")
            sock.sendall(b"hello")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        (received,) = origin.seen("expect")
        assert received.raw.endswith(b"\r\n\r\nhello")
        refused = _ask(reference, head + b"\r\n", timeout=3)
        assert refused.startswith(b"HTTP/1.1 407 "), refused
        assert b"Connection: close" in refused


def test_malformed_origin_response_is_502(reference: tuple[str, int]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def garbage() -> None:
            listener.settimeout(5)
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/9 nonsense\r\n\x00\r\n\r\n")

        thread = threading.Thread(target=garbage)
        thread.start()
        reply = _ask(reference, _request("GET", f"http://127.0.0.1:{port}/"))
        thread.join(10)
    assert reply.startswith(b"HTTP/1.1 502 "), reply

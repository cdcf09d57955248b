"""The reference HTTP/1.1 origin server: its sans-IO core, its docroot, its shell.

The core is fed bytes three ways (whole, one byte at a time, and with a pipelined
request after), as h11's own tests do. A Hypothesis test over path encodings shows
that no request-target reaches a file outside the root, whatever the encoding.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impls._shell import Listen
from reference_impls.errors import RemoteProtocolError
from reference_impls.http.message import ChunkedFraming, parse_request_head
from reference_impls.http.protocol import OriginConnection, Phase
from reference_impls.http.server import start
from reference_impls.http.site import Site, resolve

SECRET = b"wirecert-secret-outside-the-root"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/root (served: hello.txt, sub/inner.txt, link -> ../outside), base/outside/."""
    base = tmp_path_factory.mktemp("http-tree")
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello, world\n")
    (root / "sub" / "inner.txt").write_bytes(b"inner\n")
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_bytes(SECRET)
    (base / "secret.txt").write_bytes(SECRET)
    (root / "link").symlink_to(base / "outside")
    (root / "hello-link.txt").symlink_to(base / "secret.txt")
    return root


def exchange(root: Path, data: bytes, *, split: bool = False) -> tuple[bytes, OriginConnection]:
    """Feed ``data`` (whole, or one byte at a time) and collect all output."""
    conn = OriginConnection(Site(root), peer=("127.0.0.1", 5555), local=("127.0.0.1", 80))
    out = bytearray()
    for piece in [data[i : i + 1] for i in range(len(data))] if split else [data]:
        conn.receive_data(piece)
        for _ in range(1000):
            chunk = conn.data_to_send()
            if not chunk:
                break
            out += chunk
    return bytes(out), conn


def statuses(output: bytes) -> list[int]:
    return [int(m) for m in re.findall(rb"(?m)^HTTP/1\.1 (\d{3}) ", output)]


GET = b"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.mark.parametrize("split", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (GET, 200),
        (b"HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 200),
        (b"GET http://a/hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 200),
        (b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 404),
        (b"GET /sub HTTP/1.1\r\nHost: a\r\n\r\n", 301),
        (b"GET /hello.txt HTTP/1.1\r\n\r\n", 400),
        (b"GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /hello.txt HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET /hello.txt HTTP/1.x\r\nHost: a\r\n\r\n", 400),
        (b"DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 405),
        (b"BREW /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        (b"GET /hello.txt HTTP/1.1\r\nHost: a\r\nX : 1\r\n\r\n", 400),
        (b"GET /hello.txt HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400),
        (b"GET /hello.txt HTTP/1.1\rHost: a\r\n\r\n", 400),
        (b"GET /hello.txt HTTP/1.1\nHost: a\n\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello", 400),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"10000000000000005\r\nhello\r\n0\r\n\r\n",
            400,
        ),
    ],
)
def test_status(tree: Path, request_bytes: bytes, status: int, split: bool) -> None:
    out, conn = exchange(tree, request_bytes, split=split)
    assert statuses(out)[:1] == [status], out[:300]
    if status >= 400 and status != 404 and status != 405 and status != 501:
        assert conn.closing, "a refused request closes the connection"


def test_pipelined_requests_are_answered_in_order_and_each_checked(tree: Path) -> None:
    data = (
        GET
        + b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
        + b"HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
        + b"GET /hello.txt HTTP/1.1\r\nHost : a\r\n\r\n"  # refused in its turn
        + GET
    )
    for split in (False, True):
        out, conn = exchange(tree, data, split=split)
        assert statuses(out) == [200, 404, 200, 400], out
        assert conn.closing


def test_head_has_the_fields_of_get_and_no_content(tree: Path) -> None:
    got, _ = exchange(tree, GET)
    head, _ = exchange(tree, b"HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
    assert got.endswith(b"\r\n\r\nhello, world\n")
    assert head.endswith(b"\r\n\r\n")

    def fields(out: bytes) -> set[bytes]:
        return {line for line in out.split(b"\r\n")[1:] if line and not line.startswith(b"Date")}

    assert fields(got) - {b"hello, world\n"} == fields(head)


def test_validators_give_304(tree: Path) -> None:
    out, _ = exchange(tree, GET)
    etag = re.search(rb"ETag: (\S+)", out)
    modified = re.search(rb"Last-Modified: ([^\r]+)", out)
    assert etag and modified
    for field in (b"If-None-Match: " + etag[1], b"If-Modified-Since: " + modified[1]):
        out, _ = exchange(tree, GET[:-2] + field + b"\r\n\r\n")
        assert statuses(out) == [304] and out.endswith(b"\r\n\r\n"), out
    out, _ = exchange(tree, GET[:-2] + b'If-None-Match: "other"\r\n\r\n')
    assert statuses(out) == [200]


def test_ranges(tree: Path) -> None:
    out, _ = exchange(tree, GET[:-2] + b"Range: bytes=0-4\r\n\r\n")
    assert statuses(out) == [206] and out.endswith(b"\r\n\r\nhello")
    assert b"Content-Range: bytes 0-4/13" in out
    out, _ = exchange(tree, GET[:-2] + b"Range: bytes=-6\r\n\r\n")
    assert out.endswith(b"world\n")
    out, _ = exchange(tree, GET[:-2] + b"Range: bytes=100-\r\n\r\n")
    assert statuses(out) == [416] and b"Content-Range: bytes */13" in out


def test_limits_give_414_and_431(tree: Path) -> None:
    out, conn = exchange(tree, b"GET /" + b"a" * 9000)
    assert statuses(out) == [414] and conn.closing
    out, conn = exchange(tree, b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-A: " + b"b" * 17000)
    assert statuses(out) == [431] and conn.closing


def test_chunked_body_and_100_continue_reach_printenv(tree: Path) -> None:
    data = (
        b"POST /cgi-bin/printenv/extra?x=1 HTTP/1.1\r\nHost: example.org:8080\r\n"
        b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nAuthorization: Basic c2VjcmV0\r\n"
        b"Content-Type: text/plain\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n"
    )
    out, _ = exchange(tree, data, split=True)
    assert statuses(out) == [100, 200]
    for line in (
        b"REQUEST_METHOD=POST",
        b"PATH_INFO=/extra",
        b"QUERY_STRING=x=1",
        b"CONTENT_LENGTH=5",
        b"SERVER_NAME=example.org",
        b"REMOTE_ADDR=127.0.0.1",
        b"SERVER_PROTOCOL=HTTP/1.1",
    ):
        assert line + b"\n" in out, out
    assert b"c2VjcmV0" not in out and b"AUTHORIZATION" not in out


def test_printenv_never_shows_the_process_environment(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRECERT_TEST_TOKEN", "s3cr3t-token")
    out, _ = exchange(tree, b"GET /cgi-bin/printenv HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(out) == [200]
    assert b"s3cr3t-token" not in out and b"PATH=" not in out.replace(b"_PATH=", b"")
    names = set(re.findall(rb"(?m)^([A-Z_]+)=", out.split(b"\r\n\r\n", 1)[1]))
    allowed = {b"GATEWAY_INTERFACE", b"PATH_INFO", b"QUERY_STRING", b"REMOTE_ADDR", b"REMOTE_HOST"}
    allowed |= {b"REQUEST_METHOD", b"SCRIPT_NAME", b"SERVER_NAME", b"SERVER_PORT"}
    allowed |= {b"SERVER_PROTOCOL", b"SERVER_SOFTWARE"}
    assert names - allowed == {b"HTTP_HOST"}, names


def test_http10_closes_and_keep_alive_persists(tree: Path) -> None:
    _, conn = exchange(tree, b"GET /hello.txt HTTP/1.0\r\n\r\n")
    assert conn.closing
    _, conn = exchange(tree, GET)
    assert not conn.closing and conn.phase is Phase.IDLE and conn.answered == 1
    _, conn = exchange(tree, GET[:-2] + b"Connection: close\r\n\r\n")
    assert conn.closing


def test_directory_listing_is_chunked_and_escaped(tmp_path: Path) -> None:
    (tmp_path / "<b>.txt").write_bytes(b"x")
    out, _ = exchange(tmp_path, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in out
    assert b"&lt;b&gt;.txt" in out and b"<b>.txt" not in out


def test_chunked_framing_finds_the_end_whatever_the_split() -> None:
    body = b"5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
    for size in (1, 2, 7, len(body)):
        framing = ChunkedFraming(max_body=100)
        used = 0
        for i in range(0, len(body) + 5, size):
            used += framing.feed((body + b"GET /")[i : i + size])
            if framing.done:
                break
        assert framing.done and used == len(body)
    with pytest.raises(RemoteProtocolError, match="larger"):
        ChunkedFraming(max_body=3).feed(b"5\r\n")


def test_parse_request_head_keeps_field_order() -> None:
    head, framing = parse_request_head(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nX: 2\r\n\r\n")
    assert head.get(b"x") == [b"1", b"2"] and framing == ("none", 0)


# -- path traversal -----------------------------------------------------------------

DOTS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "...", "...."]
SEPARATORS = ["/", "%2f", "%2F", "\\", "%5c", "%255c", "//", "/./"]
NAMES = ["secret.txt", "outside", "link", "hello-link.txt", "root", "hello.txt", "sub", "%00"]
segments = st.one_of(
    st.sampled_from(DOTS),
    st.sampled_from(NAMES),
    st.text(alphabet="./%25c\\abx0", max_size=6),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.tuples(segments, st.sampled_from(SEPARATORS)), min_size=1, max_size=8),
    absolute=st.booleans(),
    query=st.sampled_from(["", "?a=../../x", "#frag"]),
)
def test_no_request_target_reaches_outside_the_root(
    tree: Path, parts: list[tuple[str, str]], absolute: bool, query: str
) -> None:
    path = "/" + "".join(segment + separator for segment, separator in parts) + query
    target = ("http://a" + path) if absolute else path
    out, _ = exchange(tree, f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode("latin-1"))
    assert SECRET not in out, target
    try:
        found = resolve(tree, path.split("?")[0].split("#")[0])
    except ValueError:
        return
    if found is not None:
        assert found == tree or tree in found.parents, (target, found)


def test_symlinks_out_of_the_root_are_not_followed(tree: Path) -> None:
    for path in (b"/link/secret.txt", b"/hello-link.txt"):
        out, _ = exchange(tree, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert statuses(out) == [404] and SECRET not in out


# -- the asyncio shell ----------------------------------------------------------------


@pytest.fixture
def served(tree: Path) -> Iterator[tuple[str, int]]:
    """The shell on a thread-free event loop in a child thread, short timeouts."""
    import threading

    loop = asyncio.new_event_loop()
    ready: list[tuple[str, int]] = []
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        server = await start(
            Listen("http", "127.0.0.1", 0),
            root=tree,
            header_timeout=0.5,
            body_timeout=0.5,
            idle_timeout=0.5,
        )
        ready.append(server.sockname)
        started.set()
        await stop.wait()
        await server.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(10)
    yield ready[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def _read_all(sock: socket.socket, limit: float = 5.0) -> tuple[bytes, float]:
    sock.settimeout(limit)
    began = time.monotonic()
    data = bytearray()
    while True:
        piece = sock.recv(65536)
        if not piece:
            return bytes(data), time.monotonic() - began
        data += piece


def test_slow_client_gets_408_then_close(served: tuple[str, int]) -> None:
    with socket.create_connection(served) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX: ")
        for _ in range(3):
            time.sleep(0.2)
            sock.sendall(b"a")
        data, _ = _read_all(sock)
    assert statuses(data) == [408]


def test_idle_connection_is_closed(served: tuple[str, int]) -> None:
    with socket.create_connection(served) as sock:
        sock.sendall(GET)
        data, elapsed = _read_all(sock)
    assert statuses(data) == [200] and elapsed < 4


def test_serve_command_serves_a_root(tree: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impls", "serve", "http", "--root", str(tree)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        with socket.create_connection((line[2], int(line[3])), timeout=5) as sock:
            sock.sendall(GET[:-2] + b"Connection: close\r\n\r\n")
            data, _ = _read_all(sock)
        assert data.endswith(b"hello, world\n") and statuses(data) == [200]
    finally:
        proc.terminate()
        proc.wait(10)

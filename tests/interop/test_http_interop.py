"""The http suite against independent origin servers: nginx, Go's net/http, Python's
http.server. Each gets the verdict its behaviour implies; the exact set of
requirements it fails or warns on, and the checks it leaves unjudged (skip), are
asserted here, each with the reason and the RFC sentence.

All three serve the same temporary docroot (``hello.txt``, ``docs/guide.txt``); the
suite runs with ``--http-path /docs/guide.txt`` (so the chunked check also asks for
the ``/docs/`` listing) and ``--timeout 1``.

**nginx** (Debian's 1.22, started on a free loopback port with a configuration written
to tmp_path: ``autoindex on``, ``client_header_timeout 3s``): NON_CONFORMANT.

* ``http/rfc9110/15.5.6/405-allow`` (MUST, fail): its 405 to DELETE of a static file
  has no Allow field. RFC 9110 §15.5.6: "The origin server MUST generate an Allow
  header field in a 405 response containing a list of the target resource's
  currently supported methods."
* ``http/rfc9110/9.1/unknown-method-501`` (SHOULD, warn): an unknown method gets 405,
  not 501. RFC 9110 §9.1: "An origin server that receives a request method that is
  unrecognized or not implemented SHOULD respond with the 501 (Not Implemented)
  status code."

**Go** net/http FileServer with the book's printenv handler (``go/bookhttp``, Go 1.19,
``http.Serve``, no timeouts): NON_CONFORMANT.

* ``http/rfc9112/6.1/content-length-with-transfer-encoding`` (MUST, fail): it frames a
  request with both fields by Transfer-Encoding (allowed) but keeps the connection
  open and answers the request smuggled after the last chunk. RFC 9112 §6.1:
  "Regardless, the server MUST close the connection after responding to such a
  request to avoid the potential attacks."
* ``http/rfc9112/7.1/invalid-chunk-size`` (SHOULD, warn): a chunk-size line ended by a
  bare LF is accepted (its chunk reader trims trailing whitespace), and the request
  after it answered. RFC 9112 §2.2: "...the server SHOULD respond with a 400 (Bad
  Request) response and close the connection."
* ``http/rfc9110/9.1/unknown-method-501`` (SHOULD, warn): FileServer serves the file
  for any method (200 to WIRECERTPROBE).
* ``http/rfc9112/9.5/slow-client-timeout`` (SHOULD, warn): the zero ``http.Server``
  has no ReadHeaderTimeout, so a client that trickles its header section holds a
  connection for ever (slowloris). RFC 9112 §9.5: "Servers will usually have some
  timeout value beyond which they will no longer maintain an inactive connection."
* skipped: ``405-allow`` (no method is answered 405) and ``chunked-well-formed``
  (small responses carry Content-Length, never chunked).
* Not a requirement of the suite, but the reason the reference differs: the book's
  ``/cgi-bin/printenv`` sends the server's whole process environment to anyone.

**Python**'s http.server (ThreadingHTTPServer + SimpleHTTPRequestHandler, which
answers as HTTP/1.0): NON_CONFORMANT.

* ``http/rfc9112/3.2/host-required`` (MUST, fail): requests without Host, or with two,
  are served. RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
  code to any HTTP/1.1 request message that lacks a Host header field and to any
  request message that contains more than one Host header field line".
* ``http/rfc9112/3.2.2/absolute-form`` (MUST, fail): ``GET http://host/path`` is looked
  up as a file name and answered 404. RFC 9112 §3.2.2: "a server MUST accept the
  absolute-form in requests".
* ``http/rfc9112/5.1/whitespace-before-colon`` (MUST, fail): ``X-Wirecert : 1`` is
  accepted (email.parser reads the header section). RFC 9112 §5.1: "A server MUST
  reject, with a response status code of 400 (Bad Request), any received request
  message that contains whitespace between a header field name and colon."
* ``http/rfc9112/6.3/conflicting-content-length`` (MUST, fail): answered 501 (it has no
  POST) without looking at the framing, where RFC 9112 §6.3 says "the server MUST
  respond with a 400 (Bad Request) status code and then close the connection."
* ``http/rfc9110/15.6.6/major-version-505`` and ``http/rfc9112/2.3/malformed-version``
  (SHOULD, warn): the 505 or 400 it means to send goes out HTTP/0.9-style, the error
  page alone with no status-line or fields (the request's version is not yet
  recorded when the error is sent).
* ``http/rfc9112/9.3/persistent-connections`` (SHOULD, warn): as an HTTP/1.0 server it
  closes after every response. RFC 9112 §9.3: "HTTP implementations SHOULD support
  persistent connections."
* ``http/rfc9112/9.5/slow-client-timeout`` (SHOULD, warn): no timeout at all.
* skipped: ``405-allow`` (every unsupported method gets 501) and
  ``chunked-well-formed`` (HTTP/1.0 responses are never chunked).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokenservers import PLAIN, SuiteRun, run_suite_against

from .peers import GoServer

pytestmark = pytest.mark.interop

SOURCE = Path(__file__).resolve().parent / "go" / "bookhttp" / "main.go"
NGINX = "/usr/sbin/nginx"
#: The suite has no fuzz checks: no Hypothesis plugin (it only costs start-up time).
OPTIONS = ("--timeout", "1", "--http-path", "/docs/guide.txt", "-p", "no:hypothesispytest")
NGINX_CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    include {mime_types};
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_header_timeout 3s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        autoindex on;
    }}
}}
"""
#: Python's http.server in a child process: prints the ready line, serves its cwd.
PYTHON_SERVER = """\
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print("listening tcp 127.0.0.1", server.server_address[1], flush=True)
server.serve_forever()
"""


def docroot(base: Path) -> Path:
    root = base / "docroot"
    (root / "docs").mkdir(parents=True)
    (root / "hello.txt").write_text("Hello, world!\n")
    (root / "docs" / "guide.txt").write_text("a file in a subdirectory\n")
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited at start (status {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within 10 s")


@contextlib.contextmanager
def running(command: list[str], port: int | None, what: str) -> Iterator[int]:
    """Run ``command``; yield the port it listens on (read from its ready line if None)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if port is None:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode().split()
            port = int(line[3])
        _wait_listening(port, proc, what)
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def failed(run: SuiteRun) -> dict[str, str]:
    return {rid: o for rid, o in run.outcomes().items() if o in ("fail", "warn", "error")}


def skipped(run: SuiteRun) -> set[str]:
    return {rid for rid, o in run.outcomes().items() if o == "skip"}


def test_nginx(tmp_path: Path) -> None:
    if not Path(NGINX).is_file():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    port = _free_port()
    config = tmp_path / "nginx.conf"
    mime = "/etc/nginx/mime.types"
    config.write_text(
        NGINX_CONFIG.format(tmp=tmp_path, port=port, root=docroot(tmp_path), mime_types=mime)
        if Path(mime).is_file()
        else NGINX_CONFIG.replace("    include {mime_types};\n", "").format(
            tmp=tmp_path, port=port, root=docroot(tmp_path)
        )
    )
    with running([NGINX, "-c", str(config), "-p", str(tmp_path)], port, "nginx"):
        run = run_suite_against(
            "http", [f"http://127.0.0.1:{port}"], tmp_path / "reports", *OPTIONS, options=PLAIN
        )
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    assert failed(run) == NGINX_FAILS, run.summary()
    assert skipped(run) == NGINX_SKIPS, run.summary()


def test_go_book_server(go_server: Callable[..., GoServer], tmp_path: Path) -> None:
    server = go_server(SOURCE, "-exit-on-stdin-eof", "-root", str(docroot(tmp_path)))
    run = run_suite_against(
        "http",
        [f"http://{server.host}:{server.port}"],
        tmp_path / "reports",
        *OPTIONS,
        options=PLAIN,
    )
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    assert failed(run) == GO_FAILS, run.summary()
    assert skipped(run) == GO_SKIPS, run.summary()


def test_python_http_server(tmp_path: Path) -> None:
    command = [sys.executable, "-c", PYTHON_SERVER, str(docroot(tmp_path))]
    with running(command, None, "http.server") as port:
        run = run_suite_against(
            "http", [f"http://127.0.0.1:{port}"], tmp_path / "reports", *OPTIONS, options=PLAIN
        )
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    assert failed(run) == PYTHON_FAILS, run.summary()
    version = run.record("http/rfc9110/15.6.6/major-version-505")["actual"]
    assert "not a complete response" in version, version
    assert skipped(run) == PYTHON_SKIPS, run.summary()


NGINX_FAILS = {
    "http/rfc9110/15.5.6/405-allow": "fail",
    "http/rfc9110/9.1/unknown-method-501": "warn",
}
NGINX_SKIPS: set[str] = set()
GO_FAILS = {
    "http/rfc9112/6.1/content-length-with-transfer-encoding": "fail",
    "http/rfc9112/7.1/invalid-chunk-size": "warn",
    "http/rfc9110/9.1/unknown-method-501": "warn",
    "http/rfc9112/9.5/slow-client-timeout": "warn",
}
GO_SKIPS = {"http/rfc9110/15.5.6/405-allow", "http/rfc9112/7.1/chunked-well-formed"}
PYTHON_FAILS = {
    "http/rfc9112/3.2/host-required": "fail",
    "http/rfc9112/3.2.2/absolute-form": "fail",
    "http/rfc9112/5.1/whitespace-before-colon": "fail",
    "http/rfc9112/6.3/conflicting-content-length": "fail",
    "http/rfc9110/15.6.6/major-version-505": "warn",
    "http/rfc9112/2.3/malformed-version": "warn",
    "http/rfc9112/9.3/persistent-connections": "warn",
    "http/rfc9112/9.5/slow-client-timeout": "warn",
}
PYTHON_SKIPS = {"http/rfc9110/15.5.6/405-allow", "http/rfc9112/7.1/chunked-well-formed"}

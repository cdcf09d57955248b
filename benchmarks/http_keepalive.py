"""Keep-alive HTTP/1.1 requests per second: the reference origin server against nginx.

Two servers serve the same temporary docroot (``hello.txt``, 14 bytes):

* ours: ``python -m reference_impls serve http --root DIR`` (one asyncio process);
* nginx: ``/usr/sbin/nginx`` (Debian's nginx-light), ``daemon off; master_process
  off; worker_processes 1``, access log off, on a free loopback port.

Two clients:

* **raw**: ``--connections`` keep-alive connections in one selector loop in this
  process, each sending ``GET /hello.txt`` as soon as the previous response (framed by
  its Content-Length) is complete; a trial lasts ``--seconds``;
* **harness**: the suites' own client -- one :class:`harness.wire.Wire` connection
  and :class:`suites.http.client.ResponseReader`, every byte recorded -- sending the
  same request sequentially on one keep-alive connection: the rate the harness can
  drive, whatever the server.

After one unreported warm-up per server, trials are interleaved, the order
alternating. Figures are responses/s (medians); ``ours/nginx`` is the ratio of the
raw medians (1.0: as fast).

    python benchmarks/http_keepalive.py [--trials 3] [--seconds 2] [--connections 8] \
        [--time-budget 120] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import REPO, _read_line, emit, machine, summary, table

from harness.targets import Target
from harness.wire import Wire
from suites.http.client import ResponseReader

NGINX = "/usr/sbin/nginx"
REQUEST = b"GET /hello.txt HTTP/1.1\r\nHost: bench\r\n\r\n"
NGINX_CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@contextlib.contextmanager
def reference(root: Path) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impls", "serve", "http", "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    try:
        yield int(_read_line(proc, 15.0).split()[3])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def nginx(root: Path, tmp: Path) -> Iterator[int]:
    port = _free_port()
    config = tmp / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(tmp=tmp, port=port, root=root))
    proc = subprocess.Popen(
        [NGINX, "-c", str(config), "-p", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=5)


def _complete(buffer: bytearray) -> int:
    """Octets of the first complete response in ``buffer`` (0: not yet)."""
    end = buffer.find(b"\r\n\r\n")
    if end == -1:
        return 0
    head = bytes(buffer[:end]).lower()
    marker = head.find(b"content-length:")
    if marker == -1:
        raise RuntimeError(f"a response without Content-Length: {bytes(buffer[:200])!r}")
    length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
    total = end + 4 + length
    return total if len(buffer) >= total else 0


def raw_rate(port: int, connections: int, seconds: float, timeout: float) -> float:
    """Responses/s over ``connections`` keep-alive connections for ``seconds``."""
    selector = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytearray] = {}
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        buffers[sock] = bytearray()
        selector.register(sock, selectors.EVENT_READ)
        sock.send(REQUEST)
    done = 0
    started = time.monotonic()
    deadline = started + seconds
    try:
        while time.monotonic() < deadline:
            events = selector.select(timeout)
            if not events:
                raise TimeoutError(f"no response for {timeout} s")
            for key, _ in events:
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("the server closed a keep-alive connection")
                buffer = buffers[sock]
                buffer += data
                while size := _complete(buffer):
                    del buffer[:size]
                    done += 1
                    sock.send(REQUEST)
        return done / (time.monotonic() - started)
    finally:
        for sock in buffers:
            selector.unregister(sock)
            sock.close()
        selector.close()


def harness_rate(port: int, seconds: float, timeout: float) -> float:
    """Responses/s of the suites' recording client on one keep-alive connection."""
    target = Target("http", "127.0.0.1", port)
    wire = Wire(timeout=timeout)
    try:
        conn = wire.connect(target)
        reader = ResponseReader(conn)
        done = 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            wire.log.reset()  # the log is cut at a fixed size anyway; keep it small
            conn.send(REQUEST)
            if reader.read() is None:
                raise RuntimeError("no response to a keep-alive request")
            done += 1
        return done / (time.monotonic() - started)
    finally:
        wire.close_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0, help="per trial")
    parser.add_argument("--connections", type=int, default=8, help="raw client connections")
    parser.add_argument("--timeout", type=float, default=10.0, help="per socket wait (s)")
    parser.add_argument("--time-budget", type=float, default=120.0, help="whole run (s)")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    if not Path(NGINX).is_file():
        print(f"{NGINX} not found: apt-get install nginx-light", file=sys.stderr)
        return 2
    budget_end = time.monotonic() + args.time_budget
    tmp = Path(tempfile.mkdtemp(prefix="wirecert-bench-http-"))
    try:
        root = tmp / "root"
        root.mkdir()
        (root / "hello.txt").write_bytes(b"Hello, world!\n")
        rates: dict[str, dict[str, list[float]]] = {
            name: {"raw": [], "harness": []} for name in ("ours", "nginx")
        }
        with reference(root) as ours_port, nginx(root, tmp) as nginx_port:
            ports = {"ours": ours_port, "nginx": nginx_port}
            for port in ports.values():  # warm-up
                raw_rate(port, args.connections, min(0.5, args.seconds), args.timeout)
            for trial in range(args.trials):
                order = list(ports) if trial % 2 == 0 else list(reversed(ports))
                for name in order:
                    if time.monotonic() > budget_end:
                        break
                    port = ports[name]
                    rates[name]["raw"].append(
                        raw_rate(port, args.connections, args.seconds, args.timeout)
                    )
                    rates[name]["harness"].append(harness_rate(port, args.seconds, args.timeout))
                    print(
                        f"trial {trial + 1} {name}: raw {rates[name]['raw'][-1]:,.0f}/s, "
                        f"harness {rates[name]['harness'][-1]:,.0f}/s",
                        file=sys.stderr,
                    )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result: dict[str, Any] = {"machine": machine(), "connections": args.connections}
    rows = []
    for name in ("ours", "nginx"):
        result[name] = {kind: summary(values) for kind, values in rates[name].items() if values}
        rows.append(
            [
                name,
                f"{result[name]['raw']['median']:,.0f}",
                f"{result[name]['harness']['median']:,.0f}",
            ]
        )
    ratio = result["ours"]["raw"]["median"] / result["nginx"]["raw"]["median"]
    result["ours/nginx"] = ratio
    text = table(["server", "raw client req/s", "harness client req/s"], rows)
    emit(result, f"{text}\nours/nginx (raw): {ratio:.2f}", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

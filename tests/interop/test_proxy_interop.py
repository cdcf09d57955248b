"""The proxy suite against independent forward proxies, and our client through them.

* tinyproxy (Debian's ``tinyproxy`` 1.11, ``BasicAuth`` configured), started on a
  loopback port with a configuration file the test writes. Its verdict is
  NON_CONFORMANT, for three reasons the suite names:

  - proxy/rfc9110/7.6.1/connection-options-removed (MUST) fails: it strips the
    fields a *request's* Connection names, but relays the origin's ``X-Origin-Hop``
    although the origin's response named it in Connection. RFC 9110 §7.6.1:
    "Intermediaries MUST parse a received Connection header field before a message is
    forwarded and, for each connection-option in this field, remove any header or
    trailer field(s) from the message with the same name as the connection-option".
  - proxy/rfc9110/7.6.2/max-forwards-zero and .../max-forwards-decremented (MUST)
    fail: it forwards OPTIONS and TRACE with ``Max-Forwards: 0``, and forwards 5 as 5.
    RFC 9110 §7.6.2: "If the received value is zero (0), the intermediary MUST NOT
    forward the request; instead, the intermediary MUST respond as the final
    recipient."
  - proxy/rfc9110/11.4/refusal-is-407 (SHOULD) warns: wrong credentials get
    ``401 Unauthorized`` (only missing ones get 407). RFC 9110 §11.4: "a proxy that
    requires authentication SHOULD generate a 407 (Proxy Authentication Required)
    response". A client then sees an origin's challenge where there is none.

* A forward proxy on Go's standard library (``go/httpproxy``: ``httputil.ReverseProxy``
  plus a hijacked CONNECT, our Basic check). NON_CONFORMANT:

  - proxy/rfc9110/7.6.3/via-added (MUST) fails: ReverseProxy adds X-Forwarded-For but
    no Via, either way. RFC 9110 §7.6.3: "A proxy MUST send an appropriate Via header
    field, as described below, in each message that it forwards."
  - max-forwards-zero and max-forwards-decremented (MUST) fail, as for tinyproxy:
    ReverseProxy does not look at Max-Forwards.
  - proxy/rfc9110/7.6.1/hop-by-hop-removed (SHOULD) warns: ReverseProxy deliberately
    puts back ``TE: trailers`` after removing hop-by-hop fields (for gRPC); RFC 9110
    §7.6.1 lists TE among the fields intermediaries "SHOULD remove or replace".

Both authenticate correctly (407 with a Basic realm, wrong credentials refused,
CONNECT authenticated, Proxy-Authorization not forwarded) and tunnel CONNECT.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokenservers import PLAIN, SuiteRun, run_suite_against

from reference_impls.http.client import fetch
from suites.proxy.origin import RecordingOrigin, body_for

from .peers import GoServer

pytestmark = pytest.mark.interop

GO_PROXY = Path(__file__).resolve().parent / "go" / "httpproxy" / "main.go"
USER, PASSWORD = "wirecert", "proxy-demo"
TINYPROXY_MISSING = "tinyproxy is not installed: apt-get install tinyproxy"

TINYPROXY_CONFIG = """\
Port {port}
Listen 127.0.0.1
Timeout 10
MaxClients 50
LogLevel Info
LogFile "{log}"
PidFile "{pid}"
BasicAuth {user} {password}
Allow 127.0.0.1
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def tinyproxy(tmp_path: Path) -> Iterator[int]:
    """tinyproxy in the foreground on a free loopback port; yields the port."""
    binary = shutil.which("tinyproxy", path="/usr/bin:/usr/sbin:/usr/local/bin:/bin")
    if binary is None:
        pytest.skip(TINYPROXY_MISSING)
    for _attempt in range(3):
        port = _free_port()
        config = tmp_path / "tinyproxy.conf"
        config.write_text(
            TINYPROXY_CONFIG.format(
                port=port,
                log=tmp_path / "tinyproxy.log",
                pid=tmp_path / "tinyproxy.pid",
                user=USER,
                password=PASSWORD,
            )
        )
        proc = subprocess.Popen(
            [binary, "-d", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            if _accepts(port, 10):
                yield port
                return
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    log = (tmp_path / "tinyproxy.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"tinyproxy did not listen in 3 attempts:\n{log}")


def _judge(run: SuiteRun, failed: set[str], warned: set[str]) -> None:
    outcomes = run.outcomes()
    message = run.summary()
    assert run.returncode == 1, message
    assert run.certificate["verdict"] == "NON_CONFORMANT", message
    assert {rid for rid, o in outcomes.items() if o == "fail"} == failed, message
    assert {rid for rid, o in outcomes.items() if o == "warn"} == warned, message
    assert {o for rid, o in outcomes.items() if rid not in failed | warned} == {"pass"}, message


def _client_through(port: int) -> None:
    """Our client, with the credentials in http_proxy, through the proxy on ``port``."""
    with RecordingOrigin() as origin:
        env = {"http_proxy": f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"}
        good = fetch(origin.url("client"), environ=env, accept_charset="utf-8")
        refused = fetch(origin.url("refused"), environ={"http_proxy": f"127.0.0.1:{port}"})
        (received,) = origin.seen("client")
    assert (good.status, good.text) == (200, body_for("client").decode())
    assert received.values("accept-charset") == [b"utf-8"]
    assert received.values("proxy-authorization") == []
    assert refused.status == 407
    assert not origin.seen("refused")


def test_tinyproxy(tmp_path: Path) -> None:
    with tinyproxy(tmp_path) as port:
        run = run_suite_against(
            "proxy", [f"http://127.0.0.1:{port}"], tmp_path / "reports", options=PLAIN
        )
        _client_through(port)
    _judge(
        run,
        failed={
            "proxy/rfc9110/7.6.1/connection-options-removed",
            "proxy/rfc9110/7.6.2/max-forwards-zero",
            "proxy/rfc9110/7.6.2/max-forwards-decremented",
        },
        warned={"proxy/rfc9110/11.4/refusal-is-407"},
    )
    hop = run.record("proxy/rfc9110/7.6.1/connection-options-removed")["actual"]
    assert "the reply relayed X-Origin-Hop" in hop, hop
    assert "the origin received X-Wirecert-Hop" not in hop, hop
    refusal = run.record("proxy/rfc9110/11.4/refusal-is-407")["actual"]
    assert "wrong password: 401" in refusal, refusal


def test_go_httputil_proxy(go_server: Callable[..., GoServer], tmp_path: Path) -> None:
    server = go_server(GO_PROXY, "-exit-on-stdin-eof", "-credentials", f"{USER}:{PASSWORD}")
    run = run_suite_against(
        "proxy", [f"http://{server.host}:{server.port}"], tmp_path / "reports", options=PLAIN
    )
    _client_through(server.port)
    _judge(
        run,
        failed={
            "proxy/rfc9110/7.6.3/via-added",
            "proxy/rfc9110/7.6.2/max-forwards-zero",
            "proxy/rfc9110/7.6.2/max-forwards-decremented",
        },
        warned={"proxy/rfc9110/7.6.1/hop-by-hop-removed"},
    )
    te = run.record("proxy/rfc9110/7.6.1/hop-by-hop-removed")["actual"]
    assert te == "the origin received TE: trailers", te

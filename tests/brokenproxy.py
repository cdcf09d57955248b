"""A small threaded forward proxy with Basic authentication, and one switch per fault.

The unbroken proxy is correct for everything the proxy suite checks: 407 with
``Proxy-Authenticate: Basic realm="..."`` unless the request carries the suite's
default credentials, hop-by-hop fields (and those named in Connection) removed both
ways, ``Via`` added both ways, a new Host and an origin-form target upstream,
Max-Forwards honoured for OPTIONS and TRACE, and authenticated ``CONNECT`` tunnels.
One request per client connection (it answers with ``Connection: close``).

A fault is named by the requirement it breaks, without the ``proxy/`` prefix
(``proxy/rfc7617/2/basic-realm`` -> ``rfc7617/2/basic-realm``)::

    with BrokenProxy("rfc9110/7.6.3/via-added") as proxy:
        run = run_suite("proxy", proxy, tmp_path)

:func:`running_reference_proxy` runs the reference proxy in a thread, for the tests
of the proxy itself and of the reference client.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import h11
from brokenservers import IO_TIMEOUT, POLL, _ThreadedServer

from reference_impls._shell import Listen, StreamServer
from reference_impls.http import proxy as reference_proxy
from reference_impls.http.proxycore import ProxyConfig

__all__ = ["CREDENTIALS", "PROXY_FAULTS", "BrokenProxy", "running_reference_proxy"]

#: The proxy suite's default --proxy-credentials.
CREDENTIALS = ("wirecert", "proxy-demo")

PROXY_FAULTS: tuple[str, ...] = (
    "rfc9110/11.7.2/right-credentials-pass",  # refuses every credential
    "rfc7617/2/missing-credentials-refused",  # no Proxy-Authorization: forwards (not CONNECT)
    "rfc7617/2/wrong-credentials-refused",  # checks the user only (not for CONNECT)
    "rfc9110/11.4/refusal-is-407",  # wrong credentials: 401 (tinyproxy's answer)
    "rfc9110/15.5.8/407-has-challenge",  # 407 without Proxy-Authenticate
    "rfc7617/2/basic-realm",  # Proxy-Authenticate: Basic (no realm)
    "rfc9110/11.7.2/credentials-not-forwarded",  # forwards Proxy-Authorization
    "rfc9110/7.6.1/connection-options-removed",  # keeps the fields Connection names
    "rfc9110/7.6.1/hop-by-hop-removed",  # keeps Keep-Alive, TE, Upgrade...
    "rfc9110/7.6.3/via-added",  # no Via
    "rfc9110/7.6.2/max-forwards-zero",  # forwards Max-Forwards: 0
    "rfc9110/7.6.2/max-forwards-decremented",  # forwards Max-Forwards unchanged
    "rfc9110/9.3.6/connect-tunnel",  # 200, then only client -> origin bytes pass
    "rfc9110/9.3.6/connect-2xx-no-framing",  # 200 to CONNECT with Content-Length: 0
    "rfc7617/2/connect-requires-credentials",  # CONNECT without authentication
    "rfc9112/3.2.1/origin-form-forwarded",  # forwards the absolute-form target
    "rfc9112/3.2.2/host-from-absolute-form",  # forwards the client's Host
)

_ALWAYS = {b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
_OWN = {b"connection", b"proxy-authorization", b"proxy-authenticate"}
#: The longest a tunnel stays open without bytes either way (seconds).
TUNNEL_IDLE = 5.0


class BrokenProxy(_ThreadedServer):
    FAULTS = PROXY_FAULTS

    def targets(self, suite: str = "proxy") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=http://{host}:{port}"]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # TCP only

    # -- one client connection -------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        server = h11.Connection(h11.SERVER)
        request = self._read_request(conn, server)
        if request is None:
            return
        headers = [(bytes(n), bytes(v)) for n, v in request.headers.raw_items()]
        if not self._authorized(request.method, headers):
            self._refuse(conn, server, headers)
            return
        if request.method == b"CONNECT":
            self._tunnel(conn, server, request.target.decode("latin-1"))
            return
        self._forward(conn, server, request, headers)

    def _read_request(self, conn: socket.socket, server: h11.Connection) -> h11.Request | None:
        request: h11.Request | None = None
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline:
            event = server.next_event()
            if event is h11.NEED_DATA:
                if not self._readable(conn, POLL):
                    continue
                server.receive_data(conn.recv(65536))
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.EndOfMessage):
                return request
            elif isinstance(event, h11.ConnectionClosed):
                return None
        return None

    def _authorized(self, method: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
        fault = self.fault
        if fault == "rfc7617/2/connect-requires-credentials" and method == b"CONNECT":
            return True
        values = [v for n, v in headers if n.lower() == b"proxy-authorization"]
        if not values:
            # Plain requests only: CONNECT stays authenticated (another requirement).
            return fault == "rfc7617/2/missing-credentials-refused" and method != b"CONNECT"
        if fault == "rfc9110/11.7.2/right-credentials-pass":
            return False
        scheme, _, token = values[0].partition(b" ")
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except ValueError:
            return False
        if scheme.lower() != b"basic" or user != CREDENTIALS[0]:
            return False
        lax = fault == "rfc7617/2/wrong-credentials-refused" and method != b"CONNECT"
        return lax or password == CREDENTIALS[1]

    def _respond(
        self,
        conn: socket.socket,
        server: h11.Connection,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
    ) -> None:
        fields = [*headers, (b"Content-Length", str(len(body)).encode()), (b"Connection", b"close")]
        out = server.send(h11.Response(status_code=status, headers=fields, reason=b"Answer"))
        out += server.send(h11.Data(data=body)) or b""
        out += server.send(h11.EndOfMessage()) or b""
        conn.sendall(out)

    def _refuse(
        self, conn: socket.socket, server: h11.Connection, headers: list[tuple[bytes, bytes]]
    ) -> None:
        fault = self.fault
        given = any(n.lower() == b"proxy-authorization" for n, _ in headers)
        if fault == "rfc9110/11.4/refusal-is-407" and given:
            self._respond(conn, server, 401, [], b"Unauthorized\n")
            return
        challenge = b'Basic realm="broken proxy"'
        if fault == "rfc7617/2/basic-realm":
            challenge = b"Basic"
        fields = (
            []
            if fault == "rfc9110/15.5.8/407-has-challenge"
            else [(b"Proxy-Authenticate", challenge)]
        )
        self._respond(conn, server, 407, fields, b"Proxy Authentication Required\n")

    def _strip(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        fault = self.fault
        named = {
            t.strip().lower()
            for n, v in headers
            if n.lower() == b"connection"
            for t in v.split(b",")
        }
        if fault == "rfc9110/7.6.1/connection-options-removed":
            named = set()
        drop = _OWN | named | (set() if fault == "rfc9110/7.6.1/hop-by-hop-removed" else _ALWAYS)
        if fault == "rfc9110/11.7.2/credentials-not-forwarded":
            drop.discard(b"proxy-authorization")
        return [(n, v) for n, v in headers if n.lower() not in drop]

    def _via(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        if self.fault == "rfc9110/7.6.3/via-added":
            return headers
        return [*headers, (b"Via", b"1.1 broken-proxy")]

    def _forward(
        self,
        conn: socket.socket,
        server: h11.Connection,
        request: h11.Request,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        fault = self.fault
        url = urlsplit(request.target.decode("latin-1"))
        hops_text = [v for n, v in headers if n.lower() == b"max-forwards"]
        hops = int(hops_text[0]) if hops_text and hops_text[0].strip().isdigit() else None
        if request.method in (b"OPTIONS", b"TRACE") and hops is not None:
            if hops == 0 and fault != "rfc9110/7.6.2/max-forwards-zero":
                self._respond(conn, server, 200, [(b"Allow", b"GET, OPTIONS, TRACE")])
                return
            if hops > 0 and fault != "rfc9110/7.6.2/max-forwards-decremented":
                headers = [(n, v) for n, v in headers if n.lower() != b"max-forwards"]
                headers.append((b"Max-Forwards", str(hops - 1).encode()))
        fields = self._strip(headers)
        if fault != "rfc9112/3.2.2/host-from-absolute-form":
            fields = [(n, v) for n, v in fields if n.lower() != b"host"]
            fields.insert(0, (b"Host", url.netloc.encode()))
        fields = [*self._via(fields), (b"Connection", b"close")]
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        if fault == "rfc9112/3.2.1/origin-form-forwarded":
            target = request.target.decode("latin-1")
        try:
            upstream = socket.create_connection((url.hostname or "", url.port or 80), IO_TIMEOUT)
        except OSError:
            self._respond(conn, server, 502, [], b"Bad Gateway\n")
            return
        with upstream:
            client = h11.Connection(h11.CLIENT)
            out = client.send(h11.Request(method=request.method, target=target, headers=fields))
            upstream.sendall(out + (client.send(h11.EndOfMessage()) or b""))
            response, body = self._read_response(upstream, client)
        if response is None:
            self._respond(conn, server, 502, [], b"Bad Gateway\n")
            return
        relayed = self._via(
            [
                (bytes(n), bytes(v))
                for n, v in self._strip(list(response.headers.raw_items()))
                if n.lower() != b"content-length"
            ]
        )
        self._respond(conn, server, response.status_code, relayed, body)

    def _read_response(
        self, upstream: socket.socket, client: h11.Connection
    ) -> tuple[h11.Response | None, bytes]:
        response: h11.Response | None = None
        body = b""
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline:
            event = client.next_event()
            if event is h11.NEED_DATA:
                if self._readable(upstream, POLL):
                    client.receive_data(upstream.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return response, body
            else:
                return None, b""
        return None, b""

    def _tunnel(self, conn: socket.socket, server: h11.Connection, authority: str) -> None:
        fault = self.fault
        host, _, port = authority.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), IO_TIMEOUT)
        except (OSError, ValueError):
            self._respond(conn, server, 502, [], b"Bad Gateway\n")
            return
        with upstream:
            fields = []
            if fault == "rfc9110/9.3.6/connect-2xx-no-framing":
                fields.append((b"Content-Length", b"0"))
            out = server.send(h11.Response(status_code=200, headers=fields, reason=b"OK"))
            conn.sendall(out)
            early = server.trailing_data[0]
            if early:
                upstream.sendall(early)
            pairs = {conn: upstream, upstream: conn}
            if fault == "rfc9110/9.3.6/connect-tunnel":
                pairs = {conn: upstream}  # the origin's bytes never come back
            idle_until = time.monotonic() + TUNNEL_IDLE
            while not self._tcp_halted() and time.monotonic() < idle_until:
                ready, _, _ = select.select([conn, upstream], [], [], POLL)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock in pairs:
                        pairs[sock].sendall(data)
                    idle_until = time.monotonic() + TUNNEL_IDLE


@contextlib.contextmanager
def running_reference_proxy(
    config: ProxyConfig | None = None, timeouts: reference_proxy.Timeouts | None = None
) -> Iterator[tuple[str, int]]:
    """The reference proxy on 127.0.0.1 in a thread of its own; yields its address."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    servers: list[StreamServer] = []
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            listen = Listen("tcp", "127.0.0.1", 0)
            start = reference_proxy.start(listen, config=config, timeouts=timeouts)
            servers.append(loop.run_until_complete(start))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(servers[0].close())
        loop.close()

    thread = threading.Thread(target=run, name="reference-proxy", daemon=True)
    thread.start()
    if not ready.wait(10) or failure:
        raise RuntimeError(f"the reference proxy did not start: {failure}")
    try:
        yield servers[0].sockname
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if thread.is_alive():
            raise RuntimeError("the reference proxy's thread did not stop")

"""A small threaded Go net/rpc server (gob, Arith), raw and HTTP CONNECT on one port,
with one switch per requirement.

Correct by default: the reference's sans-IO core
(:class:`reference_impls.rpc.RpcServerConnection`) reads requests and writes
responses; calls run in the connection's thread as they are decoded. The suite
certifies it CONFORMANT. Each fault breaks one requirement of ``suites/rpc`` and is
named by that requirement's id without ``rpc/``::

    with RpcServer(fault="go-net-rpc/request-response/seq-echoed") as server:
        run = run_suite("rpc", server, tmp_path)  # see RPC_FAULTS

It reuses the thread and socket handling of :mod:`brokenservers` (its UDP socket is
bound but unused).
"""

from __future__ import annotations

import re
import socket
from typing import Any

from brokengob import frame, messages
from brokenservers import ECHO_IDLE, _ThreadedServer

from reference_impls.gob import Encoder
from reference_impls.rpc.protocol import (
    HTTP_CONNECTED,
    Args,
    Method,
    Quotient,
    Request,
    Response,
    RpcServerConnection,
    ServiceError,
    arith_services,
)
from reference_impls.rpc.server import http_error

__all__ = ["RPC_FAULTS", "RpcServer"]

#: Each fault breaks the requirement ``rpc/<fault>``.
RPC_FAULTS: tuple[str, ...] = (
    "go-net-rpc/overview/arith-multiply",  # Multiply adds
    "go-net-rpc/overview/arith-divide",  # Quo and Rem swapped
    "go-net-rpc/overview/method-error-returned",  # "division by zero", not Go's text
    "go-net-rpc/overview/pipelined-calls",  # at most 16 calls answered per read
    "go-net-rpc/overview/any-write-pattern",  # a message cut by a read is dropped
    "go-net-rpc/overview/http-connect",  # a swapped status line: HTTP/1.1 200 OK
    "go-net-rpc/overview/http-non-connect-refused",  # GET gets the CONNECT answer
    "go-net-rpc/request-response/seq-echoed",  # Seq cut to 32 bits
    "go-net-rpc/request-response/unknown-service-reported",  # no response at all
    "go-net-rpc/request-response/unknown-method-reported",  # a response with no error
    "go-net-rpc/request-response/ill-formed-name-reported",  # closes the connection
    "go-net-rpc/request-response/wrong-body-type-reported",  # drops the connection
    "go-net-rpc/request-response/malformed-header-closes",  # answers it, stays open
    "go-net-rpc/gob-stream/types-defined-once",  # a new Encoder per response
    "go-net-rpc/gob-stream/types-defined-before-use",  # the value, then its types
    "go-net-rpc/gob-stream/message-lengths-exact",  # every count one too many
)

#: Calls answered per read by the pipelined-calls fault.
PER_READ = 16
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class _Dropped(Exception):
    """The fault ends the connection here."""


def _services(fault: str) -> dict[str, dict[str, Method]]:
    services = arith_services()
    arith = services["Arith"]
    if fault.endswith("overview/arith-multiply"):
        arith["Multiply"] = Method(Args, int, lambda a: a.A + a.B)
    if fault.endswith("overview/arith-divide"):
        divide = arith["Divide"].func

        def swapped(a: Args) -> Quotient:
            q = divide(a)
            return Quotient(q.Rem, q.Quo)

        arith["Divide"] = Method(Args, Quotient, swapped)
    if fault.endswith("method-error-returned"):

        def divide_by_zero(a: Args) -> Quotient:
            if a.B == 0:
                raise ServiceError("division by zero")
            return Quotient(a.A // a.B, a.A % a.B)

        arith["Divide"] = Method(Args, Quotient, divide_by_zero)
    return services


class _BrokenCore(RpcServerConnection):
    def __init__(self, fault: str) -> None:
        super().__init__(_services(fault))
        self.fault = fault
        self.drop = False

    def _error_response(self, header: Request, error: str) -> None:
        fault = self.fault
        if error.startswith("rpc: can't find service") and fault.endswith("service-reported"):
            return  # the bug: no response
        if error.startswith("rpc: can't find method") and fault.endswith("method-reported"):
            error = ""  # the bug: no error
        if error.startswith("rpc: service/method") and fault.endswith("ill-formed-name-reported"):
            raise _Dropped
        if error.startswith("gob:") and fault.endswith("wrong-body-type-reported"):
            raise _Dropped
        super()._error_response(header, error)

    def write_response(self, header: Response, body: Any, body_type: Any) -> None:
        fault = self.fault
        if fault.endswith("seq-echoed"):
            header = Response(header.ServiceMethod, header.Seq & 0xFFFFFFFF, header.Error)
        if fault.endswith("types-defined-once"):
            self._encoder = Encoder()  # the bug: a new Encoder per response
        if fault.endswith(("types-defined-before-use", "message-lengths-exact")):
            out = b""
            for value, tp in ((header, None), (body, body_type)):
                bodies = messages(self._encoder.encode(value, tp))
                off_by = 0
                if fault.endswith("types-defined-before-use"):
                    bodies = bodies[-1:] + bodies[:-1]
                else:
                    off_by = 1
                out += b"".join(frame(b, off_by=off_by) for b in bodies)
            self._out += out
            self.answered += 1
            return
        super().write_response(header, body, body_type)


class RpcServer(_ThreadedServer):
    """Go's net/rpc over TCP, Arith; ``fault`` (see :data:`RPC_FAULTS`) breaks one requirement."""

    FAULTS = RPC_FAULTS

    def targets(self, suite: str = "rpc") -> list[str]:
        host, port = self.tcp_address
        return [
            "--target",
            f"{suite}=tcp://{host}:{port}",
            "--target",
            f"{suite}=http://{host}:{port}",
        ]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # no UDP service

    def _recv(self, conn: socket.socket) -> bytes:
        if not self._readable(conn, ECHO_IDLE):
            return b""
        return conn.recv(65536)

    def _http(self, conn: socket.socket, data: bytes) -> bytes | None:
        """Read the HTTP head; answer it. The bytes after a CONNECT head, or None: closed."""
        fault = self.fault or ""
        head = data
        while (match := _HEAD_END.search(head)) is None:
            more = self._recv(conn)
            if not more or len(head) > 8192:
                return None
            head += more
        line = head[: match.start()].split(b"\n", 1)[0].decode("latin-1").split()
        rest = head[match.end() :]
        method = line[0] if line else ""
        version = line[2] if len(line) == 3 else "HTTP/1.0"
        if method == "CONNECT":
            if fault.endswith("overview/http-connect"):
                conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")  # the bug: a swapped status line
            else:
                conn.sendall(HTTP_CONNECTED)
            return rest
        if fault.endswith("http-non-connect-refused"):
            conn.sendall(HTTP_CONNECTED)  # the bug: any method connects
            return rest
        conn.sendall(http_error(version, "405 Method Not Allowed", b"405 must CONNECT\n"))
        return None

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault or ""
        core = _BrokenCore(fault)
        data = self._recv(conn)
        if data and data[0] in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            rest = self._http(conn, data)
            if rest is None:
                return
            data = rest
        while True:
            if data:
                try:
                    core.receive_data(data)
                except _Dropped:
                    return
                if fault.endswith("any-write-pattern"):
                    core._reader.buf.clear()  # the bug: what a read leaves is dropped
                calls = core.next_calls()
                if fault.endswith("pipelined-calls"):
                    calls = calls[:PER_READ]  # the bug: the rest are dropped
                for call in calls:
                    core.respond(call, *core.run(call))
                conn.sendall(core.data_to_send())
                if core.error is not None:
                    if fault.endswith("malformed-header-closes"):
                        # the bug: an answer, and the connection stays open
                        header = Response("", 0, f"rpc: server cannot decode request: {core.error}")
                        encoder = Encoder()
                        conn.sendall(encoder.encode(header) + encoder.encode(0))
                        self._drain(conn, ECHO_IDLE)
                    return
            data = self._recv(conn)
            if not data:
                return

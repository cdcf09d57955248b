"""A small threaded JSON-RPC server of the book's Arith, with one switch per requirement.

Correct by default: each JSON value read from the stream is answered by the reference
core (:class:`reference_impls.jsonrpc.ServerConnection`) of the chosen profile, so the
suite certifies it CONFORMANT. Each fault breaks one requirement of ``suites/jsonrpc``
and is named by that requirement's id without ``jsonrpc/``::

    with JSONRPCServer(fault="go-net-rpc-jsonrpc/arith/error-text") as server:
        run = run_suite("jsonrpc", server, tmp_path)

Faults of 2.0 requirements (``jsonrpc-2.0/...``) make a 2.0 server; the others a 1.0
(Go) server, unless ``profile`` says otherwise. The thread and socket handling is
:mod:`brokenservers`' (its UDP socket is bound but unused).
"""

from __future__ import annotations

import json
import socket
from typing import Any

from brokenservers import ECHO_IDLE, _ThreadedServer

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import END_OF_STREAM, NEED_DATA, JSONStreamDecoder, marshal
from reference_impls.jsonrpc import ServerConnection
from reference_impls.jsonrpc.protocol import Profile

__all__ = ["JSONRPC_FAULTS", "JSONRPCServer"]

GO = "go-net-rpc-jsonrpc/"
V2 = "jsonrpc-2.0/"
#: Each fault breaks the requirement ``jsonrpc/<fault>`` (text after ":" tells two
#: faults of one requirement apart).
JSONRPC_FAULTS: tuple[str, ...] = (
    GO + "arith/multiply-and-divide",  # Divide floors negative quotients (Python's //)
    GO + "arith/multiply-and-divide:dead-multiply",  # every product is one too many
    GO + "arith/error-text",  # "division by zero", not the book's text
    GO + "response/id-echoed",  # string ids come back null (ids kept as numbers)
    GO + "response/id-result-error-present",  # "error": null left out on success
    GO + "response/id-null-without-id",  # a request without an id is not answered
    GO + "request/unknown-method-answered",  # no error on an unknown method: silence
    GO + "request/wrong-params-answered",  # drops the connection on a type mismatch
    GO + "stream/malformed-closes",  # malformed JSON: stays open, reads on
    "go-encoding-json/stream/pipelined-calls-matched",  # a 64-call window: ids 64-999 dropped
    "go-encoding-json/stream/any-write-pattern",  # decodes each read alone (no buffering)
    V2 + "5/result-on-success",  # Divide floors negative quotients
    V2 + "5/result-on-success:dead-multiply",  # every product is one too many
    V2 + "5.1/error-on-failure",  # an Arith error is a string, not an error object
    V2 + "5/id-echoed",  # string ids come back null
    V2 + "5/jsonrpc-member",  # error responses lack "jsonrpc"
    V2 + "5/result-xor-error",  # error responses carry "result": null too
    V2 + "5.1/method-not-found",  # an unknown method is -32603 Internal error
    V2 + "5.1/invalid-params",  # wrong params are -32603 Internal error
    V2 + "5/parse-error-id-null",  # the parse error carries id 0
    V2 + "4.1/notification-no-reply",  # a notification is answered (id null)
    V2 + "6/empty-batch",  # an empty batch gets an empty array
    V2 + "6/batch-mixed",  # batch responses come as separate values, not an array
)

KNOWN = {"Arith.Multiply", "Arith.Divide"}


class JSONRPCServer(_ThreadedServer):
    """Arith over JSON-RPC on TCP; ``fault`` (see :data:`JSONRPC_FAULTS`) breaks one
    requirement."""

    FAULTS = JSONRPC_FAULTS

    def __init__(self, fault: str | None = None, *, profile: Profile | None = None) -> None:
        super().__init__(fault)
        if profile is None:
            profile = "2.0" if (fault or "").startswith(V2) else "1.0"
        self.profile: Profile = profile

    def targets(self, suite: str = "jsonrpc") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tcp://{host}:{port}", "--jsonrpc-profile", self.profile]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # no UDP service

    # -- answering -------------------------------------------------------------------

    def _answer(self, value: Any) -> list[bytes] | None:
        """The response lines to one value; None: drop the connection."""
        fault = (self.fault or "").removeprefix(GO).removeprefix(V2)
        request = value if isinstance(value, dict) else {}
        method = request.get("method")
        if fault == "response/id-null-without-id" and "id" not in request:
            return []
        if fault == "request/unknown-method-answered" and method not in KNOWN:
            return []
        if fault == "request/wrong-params-answered" and isinstance(request.get("params"), list):
            params = request["params"]
            if params and not isinstance(params[0], dict):
                return None
        if fault == "request/wrong-params-answered" and isinstance(request.get("params"), dict):
            return None
        if fault == "4.1/notification-no-reply" and request and "id" not in request:
            value = {**request, "id": None}
        if fault == "6/empty-batch" and value == []:
            return [b"[]"]
        if (
            fault in ("arith/multiply-and-divide", "5/result-on-success")
            and method == "Arith.Divide"
            and isinstance(request.get("params"), list)
            and request["params"]
            and isinstance(request["params"][0], dict)
        ):
            args = request["params"][0]
            a, b = args.get("A", 0), args.get("B", 0)
            if isinstance(a, int) and isinstance(b, int) and b != 0 and (a < 0) != (b < 0):
                quotient = {"Quo": a // b, "Rem": a % b}  # the bug: floor division
                rid = marshal(request.get("id"))
                if self.profile == "1.0":
                    out = b'{"id":' + rid + b',"result":' + marshal(quotient) + b',"error":null}'
                else:
                    out = b'{"jsonrpc":"2.0","result":' + marshal(quotient) + b',"id":' + rid + b"}"
                return [out]
        if fault == "go-encoding-json/stream/pipelined-calls-matched":
            rid = request.get("id")
            if isinstance(rid, int) and 64 <= rid < 1000:
                return []
        core = ServerConnection(self.profile)
        core.receive_data(marshal(value))
        lines = core.data_to_send().splitlines()
        return [self._spoil(line) for line in lines]

    def _spoil(self, line: bytes) -> bytes:
        """Output-side faults, on one response line."""
        fault = (self.fault or "").removeprefix(GO).removeprefix(V2)
        parsed = json.loads(line)
        batch = isinstance(parsed, list)
        items: list[Any] = parsed if batch else [parsed]
        for item in items:
            if fault.endswith(":dead-multiply") and isinstance(item.get("result"), int):
                item["result"] += 1
            if fault in ("response/id-echoed", "5/id-echoed") and isinstance(item.get("id"), str):
                item["id"] = None
            if fault == "response/id-result-error-present" and item.get("error") is None:
                del item["error"]
            if fault == "arith/error-text" and item.get("error") == "divide by zero":
                item["error"] = "division by zero"
            error = item.get("error")
            if isinstance(error, dict):
                if fault == "5.1/error-on-failure" and error.get("message") == "divide by zero":
                    item["error"] = "divide by zero"
                if fault == "5/jsonrpc-member":
                    del item["jsonrpc"]
                if fault == "5/result-xor-error":
                    item["result"] = None
                if (
                    fault in ("5.1/method-not-found", "5.1/invalid-params")
                    and error.get("code")
                    == {"5.1/method-not-found": -32601, "5.1/invalid-params": -32602}[fault]
                ):
                    item["error"] = {"code": -32603, "message": "Internal error"}
        if fault == "6/batch-mixed" and batch:
            return b"\n".join(_dump(item) for item in items)
        return _dump(parsed)

    def _parse_error(self) -> bytes:
        rid = b"0" if self.fault == V2 + "5/parse-error-id-null" else b"null"
        return (
            b'{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":' + rid + b"}"
        )

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault or ""
        decoder = JSONStreamDecoder()
        while True:
            if not self._readable(conn, ECHO_IDLE):
                return
            data = conn.recv(65536)
            if not data:
                return
            if fault.endswith("any-write-pattern"):
                decoder = JSONStreamDecoder()  # the bug: forgets what the last read left
            decoder.receive_data(data)
            out: list[bytes] = []
            try:
                while (value := decoder.next_value()) not in (NEED_DATA, END_OF_STREAM):
                    lines = self._answer(value)
                    if lines is None:
                        conn.sendall(b"".join(line + b"\n" for line in out))
                        return  # the bug: the connection is dropped
                    out += lines
            except RemoteProtocolError:
                if self.profile == "2.0":
                    out.append(self._parse_error())
                conn.sendall(b"".join(line + b"\n" for line in out))
                if fault.endswith("malformed-closes"):
                    decoder = JSONStreamDecoder()  # the bug: reads on after garbage
                    continue
                conn.shutdown(socket.SHUT_WR)
                self._drain(conn)
                return
            conn.sendall(b"".join(line + b"\n" for line in out))


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

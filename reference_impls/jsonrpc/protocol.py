"""JSON-RPC over a TCP byte stream, sans-IO: bytes in, responses out; no sockets.

Two profiles:

* ``"1.0"``: Go's net/rpc/jsonrpc (JSON-RPC 1.0 style), as the book's JSONArithServer
  (Newmarch, "Network Programming with Go", ch. 13) serves it. Requests are
  ``{"method": "Arith.Multiply", "params": [ARGS], "id": ID}``; every request gets
  ``{"id":ID,"result":REPLY,"error":null}`` or ``{"id":ID,"result":null,"error":"TEXT"}``.
  The id comes back as Go echoes it: its raw bytes, compacted (a json.RawMessage).
  A value that is not a request object (or not JSON at all) closes the connection
  with no response, as Go's server stops at a header it cannot decode.
* ``"2.0"``: the JSON-RPC 2.0 specification (jsonrpc.org): the ``"jsonrpc": "2.0"``
  member, batches, notifications (no response), error objects with codes. Malformed
  JSON is answered with a -32700 error (id null); then the connection closes, since
  a byte stream cannot be resynchronised after a syntax error.

Both serve the book's ``Arith`` service: ``Multiply(Args{A, B int}) int`` and
``Divide(Args) Quotient{Quo, Rem int}`` (error ``divide by zero``), with Go's int
(64-bit, wrapping) arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from reference_impls.errors import LocalProtocolError, RemoteProtocolError
from reference_impls.jsoncodec import (
    END_OF_STREAM,
    NEED_DATA,
    JSONStreamDecoder,
    Number,
    RawMessage,
    marshal,
    model_from_value,
    parse,
)

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "MAX_VALUE_SIZE",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "PROFILES",
    "Args",
    "CallError",
    "ClientConnection",
    "Profile",
    "Quotient",
    "Response",
    "ServerConnection",
    "encode_id",
    "raw_id",
]

Profile = Literal["1.0", "2.0"]
PROFILES: tuple[Profile, ...] = ("1.0", "2.0")

#: The longest request (in bytes) a connection accepts: memory per connection is bounded.
MAX_VALUE_SIZE = 1024 * 1024

#: JSON-RPC 2.0's pre-defined error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
#: The code of an Arith error (divide by zero) in the 2.0 profile: an application error.
APPLICATION_ERROR = 1

_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
}

_INT64 = 1 << 64


def _go_int(value: int) -> int:
    """``value`` wrapped to a Go int (64 bits, two's complement)."""
    value %= _INT64
    return value - _INT64 if value >= _INT64 // 2 else value


@dataclass
class Args:
    """The book's ``type Args struct { A, B int }`` ."""

    A: int = 0
    B: int = 0


@dataclass
class Quotient:
    """The book's ``type Quotient struct { Quo, Rem int }``."""

    Quo: int = 0
    Rem: int = 0


class ArithError(Exception):
    """An error returned by an Arith method (Go's ``errors.New("divide by zero")``)."""


def multiply(args: Args) -> int:
    return _go_int(args.A * args.B)


def divide(args: Args) -> Quotient:
    if args.B == 0:
        raise ArithError("divide by zero")
    quo = abs(args.A) // abs(args.B)
    if (args.A < 0) != (args.B < 0):
        quo = -quo  # Go truncates toward zero; the remainder has the dividend's sign
    return Quotient(Quo=_go_int(quo), Rem=_go_int(args.A - quo * args.B))


#: The served services: "Service" -> "Method" -> function of Args.
SERVICES: dict[str, dict[str, Callable[[Args], Any]]] = {
    "Arith": {"Multiply": multiply, "Divide": divide},
}


def _to_json(value: Any) -> bytes:
    """Marshal a value; numbers kept as their literal text (:class:`Number`) stay so."""
    if isinstance(value, Number):
        return str(value).encode("ascii")
    if isinstance(value, list):
        return b"[" + b",".join(_to_json(v) for v in value) + b"]"
    if isinstance(value, dict):
        return (
            b"{" + b",".join(marshal(str(k)) + b":" + _to_json(v) for k, v in value.items()) + b"}"
        )
    return marshal(value)


def encode_id(value: Any) -> bytes:
    """A request id as it goes back in the response (numbers keep their literal text)."""
    return _to_json(value)


def _fold_get(obj: dict[str, Any], key: str) -> tuple[bool, Any]:
    """Go's case-insensitive field match: the last key that folds to ``key`` wins."""
    found, value = False, None
    for k, v in obj.items():
        if k.lower() == key:
            found, value = True, v
    return found, value


class _Stream:
    """A JSON value stream that also hands out each value's raw bytes."""

    def __init__(self, max_value_size: int) -> None:
        self.decoder = JSONStreamDecoder(max_value_size=max_value_size)

    def next(self) -> tuple[Any, bytes]:
        """The next value (or NEED_DATA, END_OF_STREAM) and its bytes."""
        before, start = self.decoder.buffered, self.decoder.offset
        value = self.decoder.next_value()
        if value is NEED_DATA or value is END_OF_STREAM:
            return value, b""
        raw = before[: self.decoder.offset - start].strip(b" \t\r\n")
        return parse(raw, number_literals=True), raw


_WS = b" \t\r\n"


def _skip_ws(raw: bytes, i: int) -> int:
    while i < len(raw) and raw[i] in _WS:
        i += 1
    return i


def _end_of_string(raw: bytes, i: int) -> int:
    """The index after the string starting at ``raw[i]`` (a quote)."""
    i += 1
    while raw[i] != 0x22:
        i += 2 if raw[i] == 0x5C else 1
    return i + 1


def _end_of_value(raw: bytes, i: int) -> int:
    """The index after the (well-formed) value starting at ``raw[i]``."""
    if raw[i] == 0x22:
        return _end_of_string(raw, i)
    if raw[i] in b"[{":
        depth = 0
        while True:
            c = raw[i]
            if c == 0x22:
                i = _end_of_string(raw, i)
                continue
            if c in b"[{":
                depth += 1
            elif c in b"]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(raw) and raw[i] not in b",}] \t\r\n":
        i += 1
    return i


def raw_members(raw: bytes) -> list[tuple[str, bytes]]:
    """The members of a well-formed JSON object, each value as its raw bytes."""
    out: list[tuple[str, bytes]] = []
    i = _skip_ws(raw, 1)
    while i < len(raw) and raw[i] != 0x7D:
        end = _end_of_string(raw, i)
        key = parse(raw[i:end])
        i = _skip_ws(raw, _skip_ws(raw, end) + 1)  # past the colon
        end = _end_of_value(raw, i)
        out.append((key, raw[i:end]))
        i = _skip_ws(raw, end)
        if i < len(raw) and raw[i] == 0x2C:
            i = _skip_ws(raw, i + 1)
    return out


def raw_id(raw: bytes) -> bytes:
    """A request's id as Go's jsonrpc echoes it: the raw bytes, compacted (json.Marshal of
    a json.RawMessage); the last key that folds to "id" wins; ``null`` if none."""
    found = b"null"
    for key, value in raw_members(raw):
        if key.lower() == "id":
            found = value
    return marshal(RawMessage(found))


class ServerConnection:
    """One server connection of the Arith service, in either profile.

    Feed :meth:`receive_data` and :meth:`receive_eof`; send what :meth:`data_to_send`
    returns; close once :attr:`should_close` is true. It has the interface of
    :class:`reference_impls._valueecho.ValueEchoCore`, so the value echo shell serves it.
    """

    def __init__(self, profile: Profile = "1.0", *, max_value_size: int = MAX_VALUE_SIZE):
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.profile = profile
        self._stream = _Stream(max_value_size)
        self._out = bytearray()
        self._done = False
        self._eof = False
        #: Responses written so far (a 2.0 batch response counts once).
        self.answered = 0
        #: Why the connection ends early (malformed input), if it does.
        self.error: RemoteProtocolError | None = None

    # -- the ValueEchoCore interface -------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if self._eof:
            raise RuntimeError("receive_data() after receive_eof(): a stream ends once")
        if self._done:
            return
        self._stream.decoder.receive_data(data)
        self._decode()

    def receive_eof(self) -> None:
        self._eof = True
        if not self._done:
            self._stream.decoder.receive_eof()
            self._decode()
        self._done = True

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def should_close(self) -> bool:
        return self._done and not self._out

    # -- decoding ----------------------------------------------------------------------

    def _decode(self) -> None:
        while not self._done:
            try:
                value, raw = self._stream.next()
            except RemoteProtocolError as exc:
                if self.profile == "2.0":
                    self._write(self._error2(None, PARSE_ERROR))
                self._stop(exc)
                return
            if value is NEED_DATA:
                return
            if value is END_OF_STREAM:
                self._done = True
                return
            if self.profile == "1.0":
                self._request1(value, raw)
            else:
                self._request2(value)

    def _stop(self, exc: RemoteProtocolError) -> None:
        self.error = exc
        self._done = True
        self._stream = _Stream(1)  # what it held is dropped

    def _write(self, response: bytes | None) -> None:
        if response is not None:
            self._out += response + b"\n"
            self.answered += 1

    # -- 1.0: Go's net/rpc/jsonrpc -----------------------------------------------------

    def _request1(self, value: Any, raw: bytes) -> None:
        if not isinstance(value, dict):
            kind = "array" if isinstance(value, list) else _kind(value)
            self._stop(
                RemoteProtocolError(
                    f"rpc: server cannot decode request: json: cannot unmarshal {kind} "
                    "into Go value of type jsonrpc.serverRequest"
                )
            )
            return
        _, method = _fold_get(value, "method")
        has_params, params = _fold_get(value, "params")
        if method is None:
            method = ""
        if not isinstance(method, str) or isinstance(method, Number):
            self._stop(
                RemoteProtocolError(
                    f"rpc: server cannot decode request: json: cannot unmarshal "
                    f"{_kind(method)} into Go struct field serverRequest.method of type string"
                )
            )
            return
        reply: Any = None
        error = ""
        try:
            reply = self._call1(method, params if has_params else None)
        except _Failure as exc:
            error = str(exc)
        rid_json = raw_id(raw)
        if error:
            body = b'{"id":' + rid_json + b',"result":null,"error":' + marshal(error) + b"}"
        else:
            body = b'{"id":' + rid_json + b',"result":' + marshal(reply) + b',"error":null}'
        self._write(body)

    def _call1(self, service_method: str, params: Any) -> Any:
        dot = service_method.rfind(".")
        if dot < 0:
            raise _Failure(f"rpc: service/method request ill-formed: {service_method}")
        service = SERVICES.get(service_method[:dot])
        if service is None:
            raise _Failure(f"rpc: can't find service {service_method}")
        function = service.get(service_method[dot + 1 :])
        if function is None:
            raise _Failure(f"rpc: can't find method {service_method}")
        if params is None:
            raise _Failure("jsonrpc: request body missing params")
        if not isinstance(params, list):
            raise _Failure(
                f"json: cannot unmarshal {_kind(params)} into Go value of type [1]interface {{}}"
            )
        args = Args()
        if params and params[0] is not None:
            try:
                args = model_from_value(Args, params[0])
            except RemoteProtocolError as exc:
                raise _Failure(_go_names(str(exc))) from None
        try:
            return function(args)
        except ArithError as exc:
            raise _Failure(str(exc)) from None

    # -- 2.0 -------------------------------------------------------------------------

    def _request2(self, value: Any) -> None:
        if isinstance(value, list):
            if not value:
                self._write(self._error2(None, INVALID_REQUEST))
                return
            parts = [r for r in (self._one2(v) for v in value) if r is not None]
            if parts:
                self._write(b"[" + b",".join(parts) + b"]")
            return
        self._write(self._one2(value))

    def _one2(self, value: Any) -> bytes | None:
        """The response to one 2.0 request object (None for a notification)."""
        if not isinstance(value, dict):
            return self._error2(None, INVALID_REQUEST)
        has_id = "id" in value
        rid = value.get("id")
        valid_id = rid is None or isinstance(rid, (str, Number))
        method = value.get("method")
        params = value.get("params", [])
        if (
            value.get("jsonrpc") != "2.0"
            or isinstance(value.get("jsonrpc"), Number)
            or not isinstance(method, str)
            or isinstance(method, Number)
            or not isinstance(params, (list, dict))
            or not valid_id
        ):
            return self._error2(rid if valid_id else None, INVALID_REQUEST)
        try:
            result = self._call2(method, params)
        except _Failure as exc:
            return None if not has_id else self._error2(rid, exc.code, str(exc))
        if not has_id:
            return None
        return b'{"jsonrpc":"2.0","result":' + marshal(result) + b',"id":' + encode_id(rid) + b"}"

    def _call2(self, service_method: str, params: list[Any] | dict[str, Any]) -> Any:
        service, _, name = service_method.rpartition(".")
        function = SERVICES.get(service, {}).get(name)
        if function is None:
            raise _Failure(_MESSAGES[METHOD_NOT_FOUND], METHOD_NOT_FOUND)
        if isinstance(params, list):
            if len(params) != 1:
                raise _Failure(_MESSAGES[INVALID_PARAMS], INVALID_PARAMS)
            params = params[0]
        try:
            args = model_from_value(Args, params)
        except RemoteProtocolError:
            raise _Failure(_MESSAGES[INVALID_PARAMS], INVALID_PARAMS) from None
        try:
            return function(args)
        except ArithError as exc:
            raise _Failure(str(exc), APPLICATION_ERROR) from None

    @staticmethod
    def _error2(rid: Any, code: int, message: str | None = None) -> bytes:
        text = _MESSAGES.get(code, "") if message is None else message
        error = b'{"code":' + str(code).encode() + b',"message":' + marshal(text) + b"}"
        return b'{"jsonrpc":"2.0","error":' + error + b',"id":' + encode_id(rid) + b"}"


def _go_names(message: str) -> str:
    """Go's names of the book's types in an unmarshal error (package main)."""
    return message.replace("protocol.Args", "main.Args")


class _Failure(Exception):
    def __init__(self, message: str, code: int = INTERNAL_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _kind(value: Any) -> str:
    """Go's name for a JSON value's kind in unmarshal errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Number | int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# -- the client -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallError:
    """An error response: ``message`` (1.0: the error string), ``code`` and ``data`` (2.0)."""

    message: str
    code: int | None = None
    data: Any = None


@dataclass(frozen=True)
class Response:
    """One response: its id (None: null), and either ``result`` or ``error``."""

    id: Any
    result: Any = None
    error: CallError | None = None


class ClientConnection:
    """The client side, sans-IO: :meth:`call` queues a request and returns its id;
    :meth:`receive_data` returns the responses that came in (a 2.0 batch response
    gives one per element). Ids are 0, 1, 2, ... as Go's client numbers its calls.
    """

    def __init__(self, profile: Profile = "1.0", *, max_value_size: int = MAX_VALUE_SIZE):
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.profile = profile
        self._decoder = JSONStreamDecoder(max_value_size=max_value_size)
        self._out = bytearray()
        self._next_id = 0
        #: Ids of calls sent and not yet answered.
        self.pending: set[int] = set()

    def call(self, method: str, params: Any) -> int:
        """Queue a call of ``method`` with ``params`` (1.0: sent as ``[params]``)."""
        rid = self._next_id
        self._next_id += 1
        if self.profile == "1.0":
            body = b'{"method":' + marshal(method) + b',"params":[' + marshal(params) + b'],"id":'
            self._out += body + str(rid).encode() + b"}\n"
        else:
            self._out += (
                b'{"jsonrpc":"2.0","method":'
                + marshal(method)
                + b',"params":'
                + marshal(params)
                + b',"id":'
                + str(rid).encode()
                + b"}\n"
            )
        self.pending.add(rid)
        return rid

    def notify(self, method: str, params: Any) -> None:
        """Queue a 2.0 notification (no id, no response)."""
        if self.profile != "2.0":
            raise LocalProtocolError("JSON-RPC 1.0 (Go) has no notifications")
        self._out += (
            b'{"jsonrpc":"2.0","method":'
            + marshal(method)
            + b',"params":'
            + marshal(params)
            + b"}\n"
        )

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Response]:
        """Take bytes from the server; the whole responses among them, in order."""
        self._decoder.receive_data(data)
        out: list[Response] = []
        while True:
            value = self._decoder.next_value()
            if value is NEED_DATA or value is END_OF_STREAM:
                return out
            for item in value if isinstance(value, list) and self.profile == "2.0" else [value]:
                response = self._response(item)
                if isinstance(response.id, int) and not isinstance(response.id, bool):
                    self.pending.discard(response.id)
                out.append(response)

    def _response(self, value: Any) -> Response:
        if not isinstance(value, dict) or "id" not in value:
            raise RemoteProtocolError(f"not a JSON-RPC response: {value!r:.200}")
        rid = value["id"]
        if isinstance(rid, float) and rid.is_integer():
            rid = int(rid)
        error = value.get("error")
        if self.profile == "1.0":
            if error is None:
                return Response(rid, value.get("result"))
            return Response(rid, error=CallError(error if isinstance(error, str) else repr(error)))
        if "error" in value:
            if not isinstance(error, dict):
                raise RemoteProtocolError(f"a 2.0 error that is not an object: {error!r:.200}")
            return Response(
                rid,
                error=CallError(
                    str(error.get("message", "")), error.get("code"), error.get("data")
                ),
            )
        if "result" not in value:
            raise RemoteProtocolError(
                f"a 2.0 response with neither result nor error: {value!r:.200}"
            )
        return Response(rid, value["result"])

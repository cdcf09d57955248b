"""Go's net/rpc over gob, sans-IO: server and client connection cores; no sockets.

Go's ``net/rpc`` (Go 1.19, ``server.go`` and ``client.go``) with its default codec:
each request is ``Encode(Request{ServiceMethod, Seq})`` then ``Encode(args)``; each
response ``Encode(Response{ServiceMethod, Seq, Error})`` then ``Encode(reply)``, or
the empty struct ``struct{}{}`` in place of the reply when ``Error`` is set. One gob
Encoder and one Decoder per direction of a connection.

The server core (:class:`RpcServerConnection`) reads headers and bodies and hands out
:class:`Call` objects; the shell runs them (concurrently, in any order) and gives each
result back with :meth:`RpcServerConnection.respond`. As Go's server does:

* a header that is not a Request (any decode error but a clean end) stops reading: no
  response, and the connection closes once the calls in flight have answered;
* a name with no dot, an unknown service or an unknown method gets an error response
  (Go's text) after the body is read and thrown away; reading goes on;
* a body that does not decode into the method's argument type gets an error response
  with gob's own text; reading goes on (Go's gob.Decoder drops the failed message).

The client core (:class:`RpcClientConnection`) numbers requests from 0 and matches
responses by Seq; a response to a call no longer waited for is read and dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import NEED_DATA, Decoder, Encoder, Uint64
from reference_impls.gob.primitives import put_int, put_uint
from reference_impls.gob.wire import encode_wire_type

__all__ = [
    "DEFAULT_RPC_PATH",
    "HTTP_CONNECTED",
    "MAX_MESSAGE_SIZE",
    "Args",
    "Call",
    "Empty",
    "Method",
    "Quotient",
    "Request",
    "Response",
    "Result",
    "RpcClientConnection",
    "RpcServerConnection",
    "ServerError",
    "ServerState",
    "ServiceError",
    "arith_services",
    "connect_request",
]

#: The path ``rpc.HandleHTTP`` registers and ``rpc.DialHTTP`` asks for.
DEFAULT_RPC_PATH = "/_goRPC_"
#: What Go's server answers to ``CONNECT /_goRPC_``, exactly.
HTTP_CONNECTED = b"HTTP/1.0 200 Connected to Go RPC\n\n"
#: The longest gob message a connection accepts (memory per connection is bounded).
MAX_MESSAGE_SIZE = 1024 * 1024


def connect_request(path: str = DEFAULT_RPC_PATH) -> bytes:
    """What ``rpc.DialHTTPPath`` sends, exactly."""
    return f"CONNECT {path} HTTP/1.0\n\n".encode()


@dataclass(frozen=True, slots=True)
class Request:
    """``rpc.Request``: the header of every call."""

    __gob_name__: ClassVar[str] = "rpc.Request"
    ServiceMethod: str = ""
    Seq: Annotated[int, Uint64] = 0


@dataclass(frozen=True, slots=True)
class Response:
    """``rpc.Response``: the header of every answer."""

    __gob_name__: ClassVar[str] = "rpc.Response"
    ServiceMethod: str = ""
    Seq: Annotated[int, Uint64] = 0
    Error: str = ""


@dataclass(frozen=True, slots=True)
class Empty:
    """``struct{}{}``: the body of an error response."""

    __gob_name__: ClassVar[str] = "struct {}"


@dataclass(frozen=True, slots=True)
class Args:
    """The Arith example's ``Args{A, B int}`` (the book's ``Values`` decodes the same)."""

    __gob_name__: ClassVar[str] = "main.Args"
    A: int = 0
    B: int = 0


@dataclass(frozen=True, slots=True)
class Quotient:
    """The Arith example's ``Quotient{Quo, Rem int}``."""

    __gob_name__: ClassVar[str] = "main.Quotient"
    Quo: int = 0
    Rem: int = 0


class ServiceError(Exception):
    """Raised by a method: its text goes back verbatim as the response's Error."""


class ServerError(Exception):
    """A response's Error, on the client side (Go's ``rpc.ServerError``)."""


@dataclass(frozen=True)
class Method:
    """One exported method: ``func(args) -> reply``; raise :class:`ServiceError` to fail."""

    args: Any
    reply: Any
    func: Callable[[Any], Any]


def _go_div(a: int, b: int) -> tuple[int, int]:
    """Go's truncated division of ints (Python's ``//`` floors)."""
    quo = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quo = -quo
    return quo, a - quo * b


def _wrap64(n: int) -> int:
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def _divide(args: Args) -> Quotient:
    if args.B == 0:
        raise ServiceError("divide by zero")
    quo, rem = _go_div(args.A, args.B)
    return Quotient(_wrap64(quo), rem)


def arith_services() -> dict[str, dict[str, Method]]:
    """The Arith service of Go's net/rpc documentation and the book's chapter 13."""
    return {
        "Arith": {
            "Multiply": Method(Args, int, lambda a: _wrap64(a.A * a.B)),
            "Divide": Method(Args, Quotient, _divide),
        }
    }


@dataclass
class Call:
    """A request whose body decoded: the shell runs ``method`` and calls ``respond``."""

    seq: int
    service_method: str
    method: Method
    args: Any


def _take_message(buf: bytearray, limit: int) -> bytes | None:
    """The next whole gob message (with its count) from ``buf``, removed; None: not yet."""
    if not buf:
        return None
    first = buf[0]
    if first < 0x80:
        n, head = first, 1
    else:
        width = 256 - first
        if width > 8:
            raise RemoteProtocolError("gob: encoded unsigned integer out of range")
        if len(buf) < 1 + width:
            return None
        n, head = int.from_bytes(buf[1 : 1 + width], "big"), 1 + width
    if n > limit:
        raise RemoteProtocolError(f"gob: decoding message too large ({n} bytes)")
    if n == 0:
        raise RemoteProtocolError("gob: empty message")
    if len(buf) < head + n:
        return None
    message = bytes(buf[: head + n])
    del buf[: head + n]
    return message


class _Reader:
    """A gob Decoder fed whole messages, whose errors are not sticky.

    Go's gob.Decoder drops a message whose value fails to decode and goes on with the
    next; :class:`reference_impls.gob.Decoder` keeps its first error, so after one a
    fresh Decoder is made that knows the types defined so far.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buf = bytearray()
        self.decoder = Decoder(max_message_size=limit)

    def next_value(self, into: Any) -> Any:
        """The next value into ``into`` (None: as plain data), or NEED_DATA.

        Raises RemoteProtocolError for a value that fails; the stream goes on after it.
        Framing errors (a bad count) raise :class:`_Framing`.
        """
        while True:
            try:
                message = _take_message(self.buf, self.limit)
            except RemoteProtocolError as exc:
                raise _Framing(str(exc)) from None
            if message is None:
                return NEED_DATA
            self.decoder.receive_data(message)
            try:
                value = self.decoder.next_value(into)
            except RemoteProtocolError:
                self._renew()
                raise
            if value is not NEED_DATA:
                return value

    def _renew(self) -> None:
        fresh = Decoder(max_message_size=self.limit)
        for tid, wire in self.decoder.wire_types.items():
            body = bytearray()
            put_int(body, -tid)
            body += encode_wire_type(wire)
            count = bytearray()
            put_uint(count, len(body))
            fresh.receive_data(bytes(count + body))
            fresh.next_value(None)  # takes the definition; NEED_DATA
        self.decoder = fresh


class _Framing(RemoteProtocolError):
    """The stream lost its framing: nothing after it can be read."""


class ServerState(enum.Enum):
    OPEN = "open"
    #: No more requests are read; calls in flight or responses still to go out.
    CLOSING = "closing"
    CLOSED = "closed"


class RpcServerConnection:
    """One server connection of Go's net/rpc with gob.

    Feed :meth:`receive_data` / :meth:`receive_eof`; run each :class:`Call` from
    :meth:`next_calls` and give its result to :meth:`respond`; send what
    :meth:`data_to_send` returns; close once :attr:`should_close`.
    """

    def __init__(
        self,
        services: Mapping[str, Mapping[str, Method]] | None = None,
        *,
        max_message_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        self.services = arith_services() if services is None else services
        self._reader = _Reader(max_message_size)
        self._encoder = Encoder()
        self._out = bytearray()
        self._calls: list[Call] = []
        #: The header read, whose body comes next (None: a header comes next).
        self._header: Request | None = None
        self._header_error = ""
        self._method: Method | None = None
        self._reading = True
        self.in_flight = 0
        #: Why reading stopped early (a header that did not decode), if it did.
        self.error: RemoteProtocolError | None = None
        #: Responses written so far.
        self.answered = 0

    # -- input ---------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if not self._reading:
            return
        self._reader.buf += data
        self._read()

    def receive_eof(self) -> None:
        """The client sends no more; Go's server stops reading quietly (EOF)."""
        self._reading = False

    def next_calls(self) -> list[Call]:
        """The calls decoded since last asked, in the order they came."""
        calls, self._calls = self._calls, []
        return calls

    def _read(self) -> None:
        reader = self._reader
        while self._reading:
            if self._header is None:
                try:
                    header = reader.next_value(Request)
                except RemoteProtocolError as exc:
                    self._stop(exc)
                    return
                if header is NEED_DATA:
                    return
                assert isinstance(header, Request)
                self._header = header
                self._method, self._header_error = self._lookup(header.ServiceMethod)
            header = self._header
            method = self._method
            try:
                body = reader.next_value(method.args if method is not None else None)
            except _Framing as exc:
                self._stop(exc)
                return
            except RemoteProtocolError as exc:
                if method is not None:
                    self._error_response(header, str(exc))
                else:
                    self._error_response(header, self._header_error)
                self._header = None
                continue
            if body is NEED_DATA:
                return
            self._header = None
            if method is None:
                self._error_response(header, self._header_error)
                continue
            self.in_flight += 1
            self._calls.append(Call(header.Seq, header.ServiceMethod, method, body))

    def _lookup(self, service_method: str) -> tuple[Method | None, str]:
        dot = service_method.rfind(".")
        if dot < 0:
            return None, f"rpc: service/method request ill-formed: {service_method}"
        service = self.services.get(service_method[:dot])
        if service is None:
            return None, f"rpc: can't find service {service_method}"
        method = service.get(service_method[dot + 1 :])
        if method is None:
            return None, f"rpc: can't find method {service_method}"
        return method, ""

    def _stop(self, exc: RemoteProtocolError) -> None:
        self.error = exc
        self._reading = False
        self._reader.buf.clear()

    # -- output --------------------------------------------------------------------

    def run(self, call: Call) -> tuple[Any, str]:
        """Run ``call``'s method: (reply, "") or (None, the error text)."""
        try:
            return call.method.func(call.args), ""
        except ServiceError as exc:
            return None, str(exc)

    def respond(self, call: Call, reply: Any, error: str = "") -> None:
        """Write the response to ``call``: ``reply``, or ``error`` (non-empty)."""
        self.in_flight -= 1
        header = Response(call.service_method, call.seq, error)
        if error:
            self.write_response(header, Empty(), Empty)
        else:
            self.write_response(header, reply, call.method.reply)

    def _error_response(self, header: Request, error: str) -> None:
        self.write_response(Response(header.ServiceMethod, header.Seq, error), Empty(), Empty)

    def write_response(self, header: Response, body: Any, body_type: Any) -> None:
        """Encode one response (header, then body of Go type ``body_type``) for sending."""
        self._out += self._encoder.encode(header) + self._encoder.encode(body, body_type)
        self.answered += 1

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def state(self) -> ServerState:
        if self._reading:
            return ServerState.OPEN
        return ServerState.CLOSING if self._out or self.in_flight else ServerState.CLOSED

    @property
    def should_close(self) -> bool:
        return self.state is ServerState.CLOSED


@dataclass
class Result:
    """A response matched to its call: ``reply`` or ``error`` (non-empty)."""

    seq: int
    reply: Any
    error: str


class RpcClientConnection:
    """One client connection: requests out (Seq from 0), responses matched by Seq."""

    def __init__(self, *, max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        self._encoder = Encoder()
        self._reader = _Reader(max_message_size)
        self._seq = 0
        #: Seq -> the reply's type, for every call still waited for.
        self.pending: dict[int, Any] = {}
        self._header: Response | None = None
        self._results: list[Result] = []

    def send_request(self, service_method: str, args: Any, reply: Any) -> tuple[int, bytes]:
        """(the call's Seq, the bytes to send); ``reply`` is the reply's type."""
        seq = self._seq
        self._seq += 1
        data = self._encoder.encode(Request(service_method, seq)) + self._encoder.encode(args)
        self.pending[seq] = reply
        return seq, data

    def forget(self, seq: int) -> None:
        """Stop waiting for ``seq`` (timed out, cancelled): its response will be dropped."""
        self.pending.pop(seq, None)

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Result]:
        """Results of the calls whose responses are now whole.

        Raises RemoteProtocolError when the stream is not net/rpc's: the connection
        is then useless (Go's client fails every pending call).
        """
        self._reader.buf += data
        results: list[Result] = []
        while True:
            if self._header is None:
                header = self._reader.next_value(Response)
                if header is NEED_DATA:
                    return results
                assert isinstance(header, Response)
                self._header = header
            header = self._header
            wanted = header.Seq in self.pending and not header.Error
            into = self.pending[header.Seq] if wanted else None
            try:
                body = self._reader.next_value(into)
            except _Framing:
                raise
            except RemoteProtocolError as exc:
                self._header = None
                if header.Seq in self.pending:
                    del self.pending[header.Seq]
                    results.append(Result(header.Seq, None, f"reading body {exc}"))
                continue
            if body is NEED_DATA:
                return results
            self._header = None
            if header.Seq in self.pending:
                del self.pending[header.Seq]
                results.append(Result(header.Seq, body, header.Error))

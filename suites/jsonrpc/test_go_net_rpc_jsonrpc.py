"""Go's net/rpc/jsonrpc (JSON-RPC 1.0 style), as the book's JSONArithServer serves it.

The book (Newmarch, ch. 13) registers ``Arith`` and calls ``jsonrpc.ServeConn`` on
each connection. These are Go's conventions: there is no JSON-RPC 1.0 specification
text to quote, so the quotes are Go's own doc comments (net/rpc, net/rpc/jsonrpc).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from suites.jsonrpc.calls import (
    BASIC_IDS,
    NO_ID,
    arith_or_skip,
    check_result,
    divide,
    multiply,
    read_values,
    request,
    send_and_read,
)

pytestmark = pytest.mark.scheme("tcp")

PROFILE = "1.0"
REF = "Go net/rpc/jsonrpc (JSON-RPC 1.0 style), as the book's JSONArithServer uses it"
RPC_REF = "Go net/rpc/jsonrpc (JSON-RPC 1.0 style): net/rpc's Server, which it serves"
ARGUMENTS = (
    "The method's first argument represents the arguments provided by the caller; the "
    "second argument represents the result parameters to be returned to the caller."
)
ERRORS = (
    "The method's return value, if non-nil, is passed back as a string that the client "
    "sees as if created by errors.New."
)
RECOVER = (
    "We read the header successfully. If we see an error now, we can still recover and "
    "move on to the next request."
)


@pytest.mark.requirement(BASIC_IDS[PROFILE], level="MUST", ref=RPC_REF, quote=ARGUMENTS)
def test_multiply_and_divide(target: Target, wire: Wire) -> None:
    """Arith.Multiply of 7 and 8 is 56; Arith.Divide of 17 and 5 is {Quo 3, Rem 2}, and
    of -17 and 5 is {Quo -3, Rem -2} (Go truncates toward zero)."""
    conn = wire.connect(target)
    expected = "a result of 56, then {Quo 3, Rem 2}, then {Quo -3, Rem -2}"
    (product,) = send_and_read(conn, multiply(PROFILE, 7, 8, 0), 1).need(1, expected)
    check_result(product, 0, 56, expected)
    (quotient,) = send_and_read(conn, divide(PROFILE, 17, 5, 1), 1).need(1, expected)
    check_result(quotient, 1, {"Quo": 3, "Rem": 2}, expected)
    (negative,) = send_and_read(conn, divide(PROFILE, -17, 5, 2), 1).need(1, expected)
    check_result(negative, 2, {"Quo": -3, "Rem": -2}, expected)


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/arith/error-text", level="MUST", ref=RPC_REF, quote=ERRORS
)
def test_divide_by_zero_is_an_error_string(target: Target, wire: Wire) -> None:
    """Arith.Divide by zero returns the book's ``errors.New("divide by zero")``: the
    response's error is that string, its result null."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = 'a response {"id":0,"result":null,"error":"divide by zero"}'
    (value,) = send_and_read(conn, divide(PROFILE, 1, 0), 1).need(1, expected)
    if not isinstance(value, dict) or value.get("id") != 0:
        fail(expected, f"the response {value!r:.200}")
    if value.get("error") != "divide by zero" or value.get("result") is not None:
        fail(expected, f"the response {value!r:.200}")


IDS: list[Any] = [42, -7, 9007199254740993, "abc", "", "ünï😀 <&>"]


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/response/id-echoed",
    level="MUST",
    ref=REF,
    quote="JSON request id can be any JSON value;",
)
def test_id_echoed(target: Target, wire: Wire) -> None:
    """Each response carries its request's id: numbers (negative, beyond 2**53) and
    strings (empty, non-ASCII), one call after another on one connection."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    for i, rid in enumerate(IDS):
        expected = f"a response with the id {rid!r}"
        (value,) = send_and_read(conn, multiply(PROFILE, i, 2, rid), 1).need(1, expected)
        check_result(value, rid, 2 * i, expected)


SHAPE = "Package jsonrpc implements a JSON-RPC 1.0 ClientCodec and ServerCodec for the rpc package."


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/response/id-result-error-present",
    level="MUST",
    ref=REF,
    quote=SHAPE,
)
def test_response_has_id_result_and_error(target: Target, wire: Wire) -> None:
    """Every response has all three members id, result and error: error null on
    success, result null on failure (Go's serverResponse)."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    payload = multiply(PROFILE, 3, 4, 0) + divide(PROFILE, 1, 0, 1)
    expected = "two responses, each with exactly the members id, result and error"
    for value in send_and_read(conn, payload, 2).need(2, expected):
        if not isinstance(value, dict) or sorted(value) != ["error", "id", "result"]:
            fail(expected, f"the response {value!r:.200}")
        if (value["result"] is None) == (value["error"] is None):
            fail(expected + " (one of result and error null)", f"the response {value!r:.200}")


def _still_open(conn: Any, expected: str) -> None:
    """A call after the error must still be answered on the same connection."""
    __tracebackhide__ = True
    (value,) = send_and_read(conn, multiply(PROFILE, 6, 7, 7), 1).need(
        1, expected + ", then the connection still answers"
    )
    check_result(value, 7, 42, expected + ", then the connection still answers")


UNKNOWN = {
    "unknown-service": ("Nope.Multiply", "rpc: can't find service Nope.Multiply"),
    "unknown-method": ("Arith.Nope", "rpc: can't find method Arith.Nope"),
    "ill-formed-name": ("Multiply", "rpc: service/method request ill-formed: Multiply"),
}


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/request/unknown-method-answered",
    level="MUST",
    ref=RPC_REF,
    quote=RECOVER,
)
@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_method_answered(target: Target, wire: Wire, case: str) -> None:
    """A call of an unknown service, an unknown method, or a name without a dot gets
    net/rpc's error text, and the connection goes on."""
    arith_or_skip(wire, target, PROFILE)
    method, text = UNKNOWN[case]
    conn = wire.connect(target)
    expected = f'a response {{"id":5,"result":null,"error":"{text}"}}'
    (value,) = send_and_read(conn, request(PROFILE, method, [{"A": 1, "B": 2}], 5), 1).need(
        1, expected
    )
    if not isinstance(value, dict) or value.get("id") != 5 or value.get("error") != text:
        fail(expected, f"the response {value!r:.200}")
    _still_open(conn, expected)


WRONG_PARAMS = {
    "object": (
        b'{"method":"Arith.Multiply","params":{"A":1,"B":2},"id":5}\n',
        "json: cannot unmarshal object into Go value of type [1]interface {}",
    ),
    "string-element": (
        b'{"method":"Arith.Multiply","params":["x"],"id":5}\n',
        "json: cannot unmarshal string into Go value of type main.Args",
    ),
    "missing": (
        b'{"method":"Arith.Multiply","id":5}\n',
        "jsonrpc: request body missing params",
    ),
}


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/request/wrong-params-answered",
    level="MUST",
    ref=RPC_REF,
    quote=RECOVER,
)
@pytest.mark.parametrize("case", list(WRONG_PARAMS))
def test_wrong_params_answered(target: Target, wire: Wire, case: str) -> None:
    """Params that are an object, an array of the wrong type, or missing get an error
    response (some error text; Go's is shown), and the connection goes on."""
    arith_or_skip(wire, target, PROFILE)
    payload, text = WRONG_PARAMS[case]
    conn = wire.connect(target)
    expected = f'a response with id 5, result null and an error (Go: "{text}")'
    (value,) = send_and_read(conn, payload, 1).need(1, expected)
    if (
        not isinstance(value, dict)
        or value.get("id") != 5
        or not isinstance(value.get("error"), str)
        or not value["error"]
        or value.get("result") is not None
    ):
        fail(expected, f"the response {value!r:.200}")
    _still_open(conn, expected)


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/stream/malformed-closes",
    level="MUST",
    ref=RPC_REF,
    quote=RECOVER,
)
def test_malformed_json_closes_without_response(target: Target, wire: Wire) -> None:
    """A request that is not JSON (``{"method":}``) cannot be read as a header: Go's
    server answers nothing and closes the connection. (The call before it is answered.)"""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = "the call's response, then no more bytes and the connection closed"
    (value,) = send_and_read(conn, multiply(PROFILE, 2, 3, 1), 1).need(1, expected)
    check_result(value, 1, 6, expected)
    conn.send(b'{"method":}\n')
    after = read_values(conn, 1)
    if after.observed.received or after.observed.end not in (End.FIN, End.RST):
        fail(expected, after.observed.describe())


@pytest.mark.requirement(
    "jsonrpc/go-net-rpc-jsonrpc/response/id-null-without-id",
    level="MUST",
    ref=REF,
    quote="Invalid request so no id. Use JSON null.",
)
def test_missing_id_answered_with_null(target: Target, wire: Wire) -> None:
    """A request without an id (JSON-RPC 1.0 has no notifications in Go) is answered,
    with id null."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = 'a response {"id":null,"result":20,"error":null}'
    (value,) = send_and_read(conn, multiply(PROFILE, 4, 5, NO_ID), 1).need(1, expected)
    check_result(value, None, 20, expected)

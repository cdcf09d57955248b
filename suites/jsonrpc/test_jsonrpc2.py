"""JSON-RPC 2.0 (the specification at jsonrpc.org), serving the book's Arith.

Arith's argument goes by position, as Go's client sends it: ``"params": [ARGS]``.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.jsonrpc.calls import (
    BASIC_IDS,
    NO_ID,
    arith_or_skip,
    divide,
    multiply,
    request,
    send_and_read,
)

pytestmark = pytest.mark.scheme("tcp")

PROFILE = "2.0"
REF = "JSON-RPC 2.0 Specification (jsonrpc.org)"
RESULT = (
    "This member is REQUIRED on success. This member MUST NOT exist if there was an error "
    "invoking the method. The value of this member is determined by the method invoked on "
    "the Server."
)
ERROR_OBJECT = (
    "When a rpc call encounters an error, the Response Object MUST contain the error member "
    "with a value that is a Object with the following members:"
)


def _response(value: Any, rid: Any, expected: str) -> dict[str, Any]:
    """``value`` must be a response object with the id ``rid``."""
    __tracebackhide__ = True
    if (
        not isinstance(value, dict)
        or value.get("id") != rid
        or type(value.get("id")) is not type(rid)
    ):
        fail(expected, f"the response {value!r:.200}")
    assert isinstance(value, dict)
    return value


def _result(value: Any, rid: Any, result: Any, expected: str) -> None:
    __tracebackhide__ = True
    response = _response(value, rid, expected)
    if "error" in response or response.get("result") != result:
        fail(expected, f"the response {value!r:.200}")


def _error(value: Any, rid: Any, code: int | None, expected: str) -> dict[str, Any]:
    """``value`` must be an error response to ``rid`` (with ``code``, unless None).
    Whether a result is there too is left to the result-xor-error check."""
    __tracebackhide__ = True
    response = _response(value, rid, expected)
    error = response.get("error")
    if (
        not isinstance(error, dict)
        or not isinstance(error.get("code"), int)
        or isinstance(error.get("code"), bool)
        or not isinstance(error.get("message"), str)
        or (code is not None and error["code"] != code)
    ):
        fail(expected, f"the response {value!r:.200}")
    assert isinstance(error, dict)
    return error


def _still_open(conn: Any, expected: str) -> None:
    __tracebackhide__ = True
    expected += ", then the connection still answers"
    (value,) = send_and_read(conn, multiply(PROFILE, 6, 7, 7), 1).need(1, expected)
    _result(value, 7, 42, expected)


@pytest.mark.requirement(BASIC_IDS[PROFILE], level="MUST", ref=REF, quote=RESULT)
def test_result_on_success(target: Target, wire: Wire) -> None:
    """Arith.Multiply of 7 and 8 is 56; Arith.Divide of 17 and 5 is {Quo 3, Rem 2}, and
    of -17 and 5 is {Quo -3, Rem -2}; each response has a result and no error."""
    conn = wire.connect(target)
    expected = "a result of 56, then {Quo 3, Rem 2}, then {Quo -3, Rem -2}, with no error"
    (product,) = send_and_read(conn, multiply(PROFILE, 7, 8, 0), 1).need(1, expected)
    _result(product, 0, 56, expected)
    (quotient,) = send_and_read(conn, divide(PROFILE, 17, 5, 1), 1).need(1, expected)
    _result(quotient, 1, {"Quo": 3, "Rem": 2}, expected)
    (negative,) = send_and_read(conn, divide(PROFILE, -17, 5, 2), 1).need(1, expected)
    _result(negative, 2, {"Quo": -3, "Rem": -2}, expected)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5.1/error-on-failure", level="MUST", ref=REF, quote=ERROR_OBJECT
)
def test_divide_by_zero_is_an_error_object(target: Target, wire: Wire) -> None:
    """Arith.Divide by zero fails: the response has an error object (an integer code,
    the message "divide by zero") and no result."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = 'an error response to id 0 with the message "divide by zero" and no result'
    (value,) = send_and_read(conn, divide(PROFILE, 1, 0), 1).need(1, expected)
    if _error(value, 0, None, expected)["message"] != "divide by zero":
        fail(expected, f"the response {value!r:.200}")


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5/id-echoed",
    level="MUST",
    ref=REF,
    quote="It MUST be the same as the value of the id member in the Request Object.",
)
def test_id_echoed(target: Target, wire: Wire) -> None:
    """Each response carries its request's id: numbers and strings (empty, non-ASCII)."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    for i, rid in enumerate([42, -7, 9007199254740993, "abc", "", "ünï😀 <&>"]):
        expected = f"a response with the id {rid!r}"
        (value,) = send_and_read(conn, multiply(PROFILE, i, 2, rid), 1).need(1, expected)
        _result(value, rid, 2 * i, expected)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5/jsonrpc-member",
    level="MUST",
    ref=REF,
    quote='A String specifying the version of the JSON-RPC protocol. MUST be exactly "2.0".',
)
def test_jsonrpc_member(target: Target, wire: Wire) -> None:
    """Every response, success and error, has ``"jsonrpc": "2.0"``."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    payload = multiply(PROFILE, 3, 4, 0) + divide(PROFILE, 1, 0, 1)
    expected = 'two responses, each with the member "jsonrpc": "2.0"'
    for value in send_and_read(conn, payload, 2).need(2, expected):
        if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
            fail(expected, f"the response {value!r:.200}")


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5/result-xor-error",
    level="MUST",
    ref=REF,
    quote="Either the result member or error member MUST be included, but both members MUST "
    "NOT be included.",
)
def test_result_xor_error(target: Target, wire: Wire) -> None:
    """A success, a failing call and an unknown method: each response has exactly one of
    result and error (not a null one beside the other)."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    payload = (
        multiply(PROFILE, 3, 4, 0)
        + divide(PROFILE, 1, 0, 1)
        + request(PROFILE, "Arith.Nope", [{}], 2)
    )
    expected = "three responses, each with exactly one of the members result and error"
    for value in send_and_read(conn, payload, 3).need(3, expected):
        if not isinstance(value, dict) or ("result" in value) == ("error" in value):
            fail(expected, f"the response {value!r:.200}")


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5.1/method-not-found",
    level="MUST",
    ref=REF,
    quote="The method does not exist / is not available.",
)
@pytest.mark.parametrize("method", ["Nope.Multiply", "Arith.Nope", "Multiply"])
def test_method_not_found(target: Target, wire: Wire, method: str) -> None:
    """An unknown service, an unknown method, or a name without a dot: error -32601
    (Method not found), and the connection goes on."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = "an error response to id 5 with code -32601"
    (value,) = send_and_read(conn, request(PROFILE, method, [{"A": 1}], 5), 1).need(1, expected)
    _error(value, 5, -32601, expected)
    _still_open(conn, expected)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5.1/invalid-params",
    level="MUST",
    ref=REF,
    quote="Invalid method parameter(s).",
)
@pytest.mark.parametrize(
    "params", [["x"], [{"A": "x"}], [{"A": 1.5}]], ids=["string", "string-field", "fraction"]
)
def test_invalid_params(target: Target, wire: Wire, params: Any) -> None:
    """Arith's argument of the wrong type: error -32602 (Invalid params), and the
    connection goes on."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = "an error response to id 5 with code -32602"
    (value,) = send_and_read(conn, request(PROFILE, "Arith.Multiply", params, 5), 1).need(
        1, expected
    )
    _error(value, 5, -32602, expected)
    _still_open(conn, expected)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/5/parse-error-id-null",
    level="MUST",
    ref=REF,
    quote="If there was an error in detecting the id in the Request object (e.g. Parse "
    "error/Invalid Request), it MUST be Null.",
)
def test_parse_error_with_id_null(target: Target, wire: Wire) -> None:
    """Malformed JSON (``{"jsonrpc":}``) is answered with error -32700 (Parse error) and
    id null. (The connection may close then: a stream cannot be resynchronised.)"""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = "an error response with code -32700 and id null"
    (value,) = send_and_read(conn, b'{"jsonrpc":}\n', 1).need(1, expected)
    _error(value, None, -32700, expected)


NOTIFY = (
    "The Server MUST NOT reply to a Notification, including those that are within a batch request."
)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/4.1/notification-no-reply", level="MUST", ref=REF, quote=NOTIFY
)
@pytest.mark.parametrize("how", ["alone", "in-a-batch"])
def test_notification_gets_no_reply(target: Target, wire: Wire, how: str) -> None:
    """A notification (no id), alone or as a batch of notifications, then a call: the
    first thing back is the call's response."""
    arith_or_skip(wire, target, PROFILE)
    note = multiply(PROFILE, 2, 2, NO_ID).rstrip(b"\n")
    if how == "in-a-batch":
        note = b"[" + note + b"," + note + b"]"
    conn = wire.connect(target)
    expected = "nothing for the notification: the first response is the call's (id 1)"
    (value,) = send_and_read(conn, note + b"\n" + multiply(PROFILE, 3, 3, 1), 1).need(1, expected)
    _result(value, 1, 9, expected)


@pytest.mark.requirement(
    "jsonrpc/jsonrpc-2.0/6/empty-batch",
    level="MUST",
    ref=REF,
    quote="If the batch rpc call itself fails to be recognized as an valid JSON or as an Array "
    "with at least one value, the response from the Server MUST be a single Response object.",
)
def test_empty_batch(target: Target, wire: Wire) -> None:
    """An empty array gets one response object (not an array): -32600, id null."""
    arith_or_skip(wire, target, PROFILE)
    conn = wire.connect(target)
    expected = "a single error response with code -32600 and id null"
    (value,) = send_and_read(conn, b"[]\n", 1).need(1, expected)
    _error(value, None, -32600, expected)
    _still_open(conn, expected)


BATCH = (
    "A Response object SHOULD exist for each Request object, except that there SHOULD NOT "
    "be any Response objects for notifications."
)


@pytest.mark.requirement("jsonrpc/jsonrpc-2.0/6/batch-mixed", level="SHOULD", ref=REF, quote=BATCH)
def test_batch_of_mixed_calls(target: Target, wire: Wire) -> None:
    """A batch of a call, a notification, a value that is not a request, and an unknown
    method: an array of three responses (a result; -32600 with id null; an error), in
    any order, none for the notification."""
    arith_or_skip(wire, target, PROFILE)
    parts = [
        multiply(PROFILE, 5, 5, 10),
        multiply(PROFILE, 1, 1, NO_ID),
        b"1",
        request(PROFILE, "Arith.Nope", [{}], 11),
    ]
    payload = b"[" + b",".join(p.rstrip(b"\n") for p in parts) + b"]\n"
    conn = wire.connect(target)
    expected = "an array of three responses: id 10 result 25, id null -32600, id 11 an error"
    (value,) = send_and_read(conn, payload, 1).need(1, expected)
    if not isinstance(value, list) or len(value) != 3:
        fail(expected, f"{value!r:.300}")
    by_id = {r.get("id") if isinstance(r, dict) else object(): r for r in value}
    if set(by_id) != {10, None, 11}:
        fail(expected, f"responses with the ids {sorted(map(repr, by_id))}: {value!r:.300}")
    _result(by_id[10], 10, 25, expected)
    _error(by_id[None], None, -32600, expected)
    _error(by_id[11], 11, None, expected)

"""The byte stream both profiles run over: JSON values back to back on one TCP
connection, read with a json.Decoder as Go's jsonrpc codec does.

Neither JSON-RPC specification defines the transport; these are Go's conventions
(encoding/json's Decoder), which the book's server relies on. They run in both
profiles.
"""

from __future__ import annotations

import pytest

from harness.fuzzers.streams import WRITE_PATTERNS, cut
from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.jsonrpc.calls import arith_or_skip, multiply, read_values

pytestmark = pytest.mark.scheme("tcp")

REF = (
    "Go encoding/json (convention of both profiles here): the json.Decoder over the "
    "connection that Go's net/rpc/jsonrpc codec reads requests with"
)
STREAM = "A Decoder reads and decodes JSON values from an input stream."
#: Calls sent in one write by the pipelining check.
CALLS = 100


@pytest.mark.requirement(
    "jsonrpc/go-encoding-json/stream/pipelined-calls-matched", level="MUST", ref=REF, quote=STREAM
)
def test_pipelined_calls_matched_by_id(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """A hundred calls in one write, without waiting: each is answered once, with its
    own result, matched by id (responses may come in any order)."""
    profile = wirecert.option("profile")
    arith_or_skip(wire, target, profile)
    conn = wire.connect(target)
    conn.send(b"".join(multiply(profile, i, 3, i) for i in range(CALLS)))
    expected = f"{CALLS} responses, one per id 0..{CALLS - 1}, each with 3 times its id"
    values = read_values(conn, CALLS).need(CALLS, expected)
    seen: dict[object, object] = {}
    for value in values:
        if not isinstance(value, dict) or "id" not in value:
            fail(expected, f"a response {value!r:.200}")
        rid = value["id"]
        if not isinstance(rid, int) or not 0 <= rid < CALLS or rid in seen:
            fail(expected, f"a response with id {rid!r} (unknown or repeated): {value!r:.200}")
        seen[rid] = value.get("result")
        if value.get("result") != 3 * rid:
            fail(expected, f"the response to id {rid} is {value!r:.200}")


@pytest.mark.requirement(
    "jsonrpc/go-encoding-json/stream/any-write-pattern", level="MUST", ref=REF, quote=STREAM
)
@pytest.mark.parametrize("pattern", list(WRITE_PATTERNS))
def test_any_write_pattern(
    target: Target, wire: Wire, wirecert: CheckContext, pattern: str
) -> None:
    """One call cut into writes of the pattern's sizes, with no newline after it: a
    request ends at its closing brace."""
    profile = wirecert.option("profile")
    arith_or_skip(wire, target, profile)
    payload = multiply(profile, 12, 34, 12345).rstrip(b"\n")
    chunks, pause = cut(payload, pattern)
    conn = wire.connect(target)
    conn.send_chunks(chunks, pause=pause)
    expected = f"the call's response (result 408), whatever the writes ({pattern})"
    (value,) = read_values(conn, 1).need(1, expected)
    if not isinstance(value, dict) or value.get("result") != 408:
        fail(expected, f"the response {value!r:.200}")
    if value.get("id") != 12345:
        fail(expected, f"the response {value!r:.200}")

"""RFC 6455 §7.1.7: how a failed connection is closed (Autobahn's "close behaviour").

Every failure case of the suite is sent again; this time the check is not whether the
server failed the connection (the case's own MUST check judges that) but how: a Close
frame with an appropriate code (§7.4.1: 1002 for a protocol error, 1007 for invalid
UTF-8, 1009 for a message too big) before the TCP connection closes. That is a SHOULD:
a bare drop, or another code, is a warning (Autobahn's UNCLEAN or WRONG CODE).
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.wire import Wire
from suites.websocket import failures  # noqa: F401  (registers the failure cases)
from suites.websocket.cases import FAIL_CASES, REF, FailCase, expect_close_code, run_failure


@pytest.mark.requirement(
    "websocket/rfc6455/7.1.7/fail-with-close-code",
    level="SHOULD",
    ref=f"{REF} §7.1.7, §7.4.1",
    quote="the endpoint SHOULD send a Close frame with an appropriate status code (Section 7.4) "
    "before proceeding to _Close the WebSocket Connection_.",
)
@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in FAIL_CASES.items()])
def test_failed_connection_sends_close_code(target: Target, wire: Wire, case: FailCase) -> None:
    """Send the failure case's bytes (see its own check) and read until the server closes."""
    expect_close_code(run_failure(wire, target, case), case)

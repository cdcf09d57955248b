"""RFC 862, "TCP Based Echo Service": generated payloads and write patterns.

A differential check: each generated payload, cut into generated writes, goes to
the target and to the embedded reference, and both must answer alike. Hypothesis
shrinks a failure to the smallest payload and cut, which the certificate shows with
the seed that replays it.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from harness.errors import HarnessError
from harness.fuzzers.streams import Written, written_streams
from harness.targets import Target
from harness.verify import ANY_END, verify
from harness.wire import Wire

pytestmark = pytest.mark.scheme("tcp")


@pytest.mark.requirement(
    "echo/rfc862/tcp/data-returned",
    level="MUST",
    ref="RFC 862, TCP Based Echo Service",
    quote="Once a connection is established any data received is sent back.",
)
@given(case=written_streams(min_size=1, max_size=4096, max_writes=16))
def test_generated_streams_come_back_like_the_reference(
    target: Target, reference_target: Target, wire: Wire, case: Written
) -> None:
    """Send a generated payload in generated writes to the target and to the reference."""
    wire.log.reset()  # one example's log: the certificate shows the minimal one
    reference = Wire(timeout=wire.timeout)
    try:
        expected = reference.connect(reference_target).exchange(
            case.payload, chunks=list(case.chunks())
        )
    finally:
        reference.close_all()
    if expected.received != case.payload:
        raise HarnessError(f"the embedded reference did not echo {case!r}")
    observed = wire.connect(target).exchange(case.payload, chunks=list(case.chunks()))
    wire.close_all()
    verify(
        observed,
        received=expected.received,
        then=ANY_END,
        expected=f"the {len(case.payload)} bytes back, as the reference sends them",
    )

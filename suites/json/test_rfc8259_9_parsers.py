"""RFC 8259 §9, "Parsers": what a target does with input that is not JSON.

RFC 8259 does not say what a parser does with a non-JSON text; a server must at
least not wait for a value that cannot come, and must go on serving. Go's decoder
errors are sticky, so a Go server cannot read on past one: it answers (the book's
server sends zero Persons until its ten rounds are up) and closes. A sanity exchange
runs before the trouble and on a new connection after it.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from reference_impls.jsoncodec import book_person
from suites.json.persons import book_echo_or_skip, decode_replies, encode, send_and_read

pytestmark = pytest.mark.scheme("tcp")

MALFORMED = {
    "not-json": b"hello, world\n",
    "broken-object": b'{"Name":{"Family":"x",}}\n',
    "stray-bytes": b"\x00\xff]}\n",
}


@pytest.mark.requirement(
    "json/rfc8259/9/malformed-input-survived",
    level="MUST",
    ref=(
        "RFC 8259 §9 Parsers (it leaves non-JSON input to the implementation; closing or "
        "reporting, and serving on, is this suite's robustness rule)"
    ),
    quote=(
        "A JSON parser MUST accept all texts that conform to the JSON grammar. A JSON "
        "parser MAY accept non-JSON forms or extensions."
    ),
)
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_is_refused_and_survived(target: Target, wire: Wire, case: str) -> None:
    """Send input that is not JSON; the target must close the connection or answer (an
    error report), then serve the book's Person on a new connection."""
    book_echo_or_skip(wire, target)
    conn = wire.connect(target)
    conn.send(MALFORMED[case])
    observed = conn.events_until_closed()
    conn.close()
    if observed.end not in (End.FIN, End.RST) and not observed.received:
        fail(
            [
                "the connection closed (FIN or RST), with or without a reply",
                "an answer (an error report)",
            ],
            observed.describe(),
        )
    after = wire.connect(target)
    expected = "the book's Person echoed on a new connection after the malformed input"
    (got,) = decode_replies(send_and_read(after, encode(book_person()), 1), 1, expected)
    if got != book_person():
        fail(expected, f"a different Person: {got!r}")

"""Go encoding/gob documentation, "Basics": generated Persons, compared with the reference.

A differential check: each generated Person goes to the target and to the embedded
reference, on a new connection each, and both replies must decode to the same Person.
Hypothesis shrinks a failure to the smallest Person, which the certificate shows with
the seed that replays it.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from harness.errors import HarnessError
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.gob.models import Person
from suites.gob.persons import (
    book_echo_or_skip,
    decode_replies,
    encode,
    normalized,
    persons,
    send_and_read,
)

pytestmark = pytest.mark.scheme("tcp")


@pytest.fixture
def book_echoed(target: Target, wire: Wire) -> None:
    """Once per check, not per example: the target echoes the book's Person at all."""
    book_echo_or_skip(wire, target)


@pytest.mark.requirement(
    "gob/go-encoding-gob/basics/generated-persons-echoed",
    level="MUST",
    ref=(
        "Go encoding/gob documentation, Basics; as the book's GobEchoServer uses an Encoder "
        "and a Decoder (Newmarch, ch. 4)"
    ),
    quote=(
        "To use gobs, create an Encoder and present it with a series of data items as values "
        "or addresses that can be dereferenced to values. The Encoder makes sure all type "
        "information is sent before it is needed. At the receive side, a Decoder retrieves "
        "values from the encoded stream and unpacks them into local variables."
    ),
)
@given(person=persons())
def test_generated_persons_come_back_like_the_reference(
    book_echoed: None, target: Target, reference_target: Target, wire: Wire, person: Person
) -> None:
    """Send a generated Person (empty and large strings, astral characters and controls,
    a nil, empty or long email list) to the target and to the reference; compare the
    replies. A nil email list comes back empty: gob sends neither."""
    wire.log.reset()  # one example's log: the certificate shows the minimal one
    payload = encode(person)
    want = normalized(person)
    reference = Wire(timeout=wire.timeout)
    try:
        ref_replies = send_and_read(reference.connect(reference_target), payload, 1)
    finally:
        reference.close_all()
    if len(ref_replies.values) != 1 or ref_replies.persons("") != [want]:
        raise HarnessError(f"the embedded reference did not echo {person!r:.200}")
    expected = "the Person back, equal to the reference's reply"
    conn = wire.connect(target)
    (got,) = decode_replies(send_and_read(conn, payload, 1), 1, expected)
    wire.close_all()
    if got != want:
        fail(expected, f"a different Person: {got!r:.300}, for {want!r:.300}")

"""Go encoding/gob documentation, "Encoding Details": how the reply stream is built.

Each check sends three Persons on one gob stream, each after the reply to the one
before, and looks at the whole reply stream: its type definitions (once each, before
the values that need them, with ids of 64 and up) and its message lengths. The
Persons themselves are checked elsewhere: a stream whose Persons come back whole
fails here only for the rule it breaks.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person
from suites.gob.persons import FIRST_USER_ID, Replies, book_echo_or_skip, converse

pytestmark = pytest.mark.scheme("tcp")

REF = "Go encoding/gob documentation, Encoding Details"

SENT = [
    SAMPLE_PERSON,
    Person(Name("Newmarch", "Jan"), [Email("home", "jan@newmarch.name")]),
    Person(Name("Doe", "Jane"), [Email("work", "jane@example.org")] * 3),
]


def _reply_stream(wire: Wire, target: Target, expected: str) -> Replies:
    """The reply stream of :data:`SENT`; a failure if the Persons do not all come back
    (only if the stream is not gob at all: anything else is other checks' business)."""
    conn = wire.connect(target)
    replies = converse(conn, SENT)
    if replies.error is not None:
        fail(expected, replies.describe(len(SENT)))
    return replies


@pytest.mark.requirement(
    "gob/go-encoding-gob/encoding-details/types-defined-once",
    level="MUST",
    ref=(
        f"{REF}, and its encoded example (Go's Decoder refuses a second definition of an "
        'id: "gob: duplicate type received")'
    ),
    quote=(
        "When a type is defined on a given connection between an Encoder and Decoder, it is "
        "assigned a signed integer type id. [...] The type encoding is long and fairly "
        "intricate but we send it only once."
    ),
)
def test_each_type_is_defined_once_per_stream(target: Target, wire: Wire) -> None:
    """Three Persons on one connection: the reply stream must define Person, Name,
    []Email and Email once, before the first reply, and never again (one Encoder per
    connection, not one per reply)."""
    book_echo_or_skip(wire, target)
    expected = "each type defined once on the reply stream"
    replies = _reply_stream(wire, target, expected)
    if replies.redefined:
        fail(expected, f"defined again: {'; '.join(replies.redefined)}")


@pytest.mark.requirement(
    "gob/go-encoding-gob/encoding-details/types-defined-before-use",
    level="MUST",
    ref=REF,
    quote=(
        "If there are nested type ids, the types for all inner type ids must be defined "
        "before the top-level type id is used to describe an encoded-v. [...] the type id "
        "of a value must be predefined or be defined before the value in the stream."
    ),
)
def test_types_are_defined_before_the_values_that_use_them(target: Target, wire: Wire) -> None:
    """Three Persons on one connection: every value's type, and every type it reaches,
    must be defined earlier in the reply stream than the value."""
    book_echo_or_skip(wire, target)
    expected = "every type defined before the first value that uses it"
    replies = _reply_stream(wire, target, expected)
    if replies.used_before_definition:
        fail(expected, "; ".join(replies.used_before_definition))


@pytest.mark.requirement(
    "gob/go-encoding-gob/encoding-details/user-type-ids-64-and-up",
    level="MUST",
    ref=(
        "Go encoding/gob documentation (doc.go), the encoded example for implementers that "
        "follows Encoding Details (Go's Decoder refuses definitions of ids below 64, its "
        "firstUserId; its Encoder starts at 65)"
    ),
    quote=(
        "This is the first type we've sent on this Encoder, so it has type id 65 (0 through "
        "64 are reserved)."
    ),
)
def test_defined_type_ids_are_64_and_up(target: Target, wire: Wire) -> None:
    """Three Persons on one connection: every type the reply stream defines must have an
    id of 64 or more (ids below are Go's predefined and reserved types)."""
    book_echo_or_skip(wire, target)
    expected = f"type ids of {FIRST_USER_ID} and up (Go's encoder starts at 65)"
    replies = _reply_stream(wire, target, expected)
    if replies.low_ids:
        fail(expected, f"defined with a reserved id: {', '.join(replies.low_ids)}")


@pytest.mark.requirement(
    "gob/go-encoding-gob/encoding-details/message-lengths-exact",
    level="MUST",
    ref=REF,
    quote=(
        "Finally, each message created by a call to Encode is preceded by an encoded "
        "unsigned integer count of the number of bytes remaining in the message."
    ),
)
def test_message_lengths_are_exact(target: Target, wire: Wire) -> None:
    """Three Persons on one connection: each message's count must be exactly the bytes
    of its definition or value, up to and including the struct's terminating 00."""
    book_echo_or_skip(wire, target)
    expected = "each message's byte count equal to the length of its content"
    replies = _reply_stream(wire, target, expected)
    if errors := replies.length_errors:
        more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
        fail(expected, "; ".join(errors[:3]) + more)

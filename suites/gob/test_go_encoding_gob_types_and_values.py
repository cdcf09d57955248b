"""Go encoding/gob documentation, "Types and Values": how a Person's fields go out.

Zero fields are left out of a struct's encoding. Go's encoder does so for strings,
numbers and empty slices; a struct field it always sends (its fields, if zero, are
left out inside it), so a zero Name is not counted here.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.gob.models import Email, Name, Person
from suites.gob.persons import book_echo_or_skip, decode_replies, encode, send_and_read

pytestmark = pytest.mark.scheme("tcp")

SENT = [
    Person(Name("", ""), []),
    Person(Name("Newmarch", ""), [Email("", "jan@newmarch.name"), Email("home", ""), Email()]),
]


@pytest.mark.requirement(
    "gob/go-encoding-gob/types-and-values/zero-fields-omitted",
    level="SHOULD",
    ref=(
        "Go encoding/gob documentation, Types and Values (a Decoder takes zero fields sent "
        "anyway: it costs bytes, not meaning)"
    ),
    quote=(
        "If a field has the zero value for its type (except for arrays; see above), it is "
        "omitted from the transmission."
    ),
)
def test_zero_fields_are_left_out(target: Target, wire: Wire) -> None:
    """Send Persons with empty strings and an empty email list, each on a new
    connection; each reply must be the same Person, with no string or slice field sent
    at its zero value."""
    book_echo_or_skip(wire, target)
    expected = "the Persons back, with empty strings and empty lists left out"
    for person in SENT:
        replies = send_and_read(wire.connect(target), encode(person), 1)
        (got,) = decode_replies(replies, 1, expected)
        if replies.zero_fields:
            fail(expected, f"sent with zero values: {', '.join(replies.zero_fields)}")
        if got != person:
            fail(expected, f"a different Person: {got!r}, not {person!r}")

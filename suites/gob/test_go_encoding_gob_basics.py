"""Go encoding/gob documentation, "Basics": a stream of values between an Encoder and a
Decoder, as the book's GobEchoServer uses them (Newmarch, ch. 4).

The server wraps the connection in a gob.Decoder and a gob.Encoder and, per round,
decodes a Person and encodes it back. What a server does with input that is not gob
the documentation leaves open; the robustness rule here is the suite's own.
"""

from __future__ import annotations

import pytest

from harness.fuzzers.streams import WRITE_PATTERNS, cut
from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from reference_impls.gob import Encoder
from reference_impls.gob.models import SAMPLE_PERSON, Email, Name, Person
from suites.gob.persons import (
    BOOK_ID,
    BOOK_ROUNDS,
    book_echo_or_skip,
    converse,
    decode_replies,
    encode,
    read_replies,
    send_and_read,
)

pytestmark = pytest.mark.scheme("tcp")

REF = (
    "Go encoding/gob documentation, Basics; as the book's GobEchoServer uses an Encoder "
    "and a Decoder (Newmarch, ch. 4)"
)
ROUND_TRIP = (
    "To use gobs, create an Encoder and present it with a series of data items as values "
    "or addresses that can be dereferenced to values. The Encoder makes sure all type "
    "information is sent before it is needed. At the receive side, a Decoder retrieves "
    "values from the encoded stream and unpacks them into local variables."
)
STREAM = (
    "The implementation compiles a custom codec for each data type in the stream and is "
    "most efficient when a single Encoder is used to transmit a stream of values, "
    "amortizing the cost of compilation."
)


@pytest.mark.requirement(BOOK_ID, level="MUST", ref=REF, quote=ROUND_TRIP)
def test_book_person_comes_back(target: Target, wire: Wire) -> None:
    """Send the book's sample Person as its client does (a new gob.Encoder: the type
    definitions, then the value) and read one value back; it must be the same Person."""
    conn = wire.connect(target)
    expected = "the book's Person back, as one gob value"
    (person,) = decode_replies(send_and_read(conn, encode(SAMPLE_PERSON), 1), 1, expected)
    if person != SAMPLE_PERSON:
        fail(expected, f"a different Person: {person!r}")


def _numbered(count: int) -> list[Person]:
    return [
        Person(
            Name=Name(Family=f"Family {i}", Personal=f"Personal {i}"),
            Email=[Email(Kind="home", Address=f"p{i}@example.org")] * (1 + i % 3),
        )
        for i in range(1, count + 1)
    ]


@pytest.mark.requirement(
    "gob/go-encoding-gob/basics/values-on-one-connection",
    level="MUST",
    ref=(
        "Go encoding/gob documentation, the overview just before Basics; as the book's "
        "GobEchoServer uses one Encoder and one Decoder per connection (Newmarch, ch. 4)"
    ),
    quote=STREAM,
)
@pytest.mark.parametrize("how", ["one-after-another", "pipelined"])
def test_several_values_on_one_connection(target: Target, wire: Wire, how: str) -> None:
    """Send ten different Persons on one gob stream: each after the reply to the one
    before (one-after-another), or all ten in one write without waiting (pipelined).
    Ten, because the book's server closes after ten rounds."""
    book_echo_or_skip(wire, target)
    sent = _numbered(BOOK_ROUNDS)
    conn = wire.connect(target)
    expected = f"{len(sent)} Persons back, in order, on one connection ({how})"
    if how == "pipelined":
        replies = send_and_read(conn, encode(*sent), len(sent))
    else:
        replies = converse(conn, sent)
    got = decode_replies(replies, len(sent), expected)
    for i, (want, have) in enumerate(zip(sent, got, strict=True)):
        if want != have:
            fail(expected, f"reply {i + 1} is {have!r}, not {want!r}")


@pytest.mark.requirement(
    "gob/go-encoding-gob/basics/any-write-pattern", level="MUST", ref=REF, quote=ROUND_TRIP
)
@pytest.mark.parametrize("pattern", list(WRITE_PATTERNS))
def test_any_write_pattern_of_one_value(target: Target, wire: Wire, pattern: str) -> None:
    """Send one Person (definitions and value, with multi-byte characters) cut into
    writes of the pattern's sizes: a message is whole when its count of bytes is in."""
    book_echo_or_skip(wire, target)
    person = Person(
        Name=Name(Family="Müller-Łukasiewicz", Personal="José 😀"),
        Email=[Email(Kind="wörk", Address="名前@example.org")],
    )
    payload = encode(person)
    chunks, pause = cut(payload, pattern)
    conn = wire.connect(target)
    conn.send_chunks(chunks, pause=pause)
    expected = f"the Person back, whatever the writes ({pattern})"
    (got,) = decode_replies(read_replies(conn, 1), 1, expected)
    if got != person:
        fail(expected, f"a different Person: {got!r}")


def _person_definitions() -> bytes:
    """The definition messages a new gob.Encoder sends before its first Person."""
    encoder = Encoder()
    first = encoder.encode(SAMPLE_PERSON)
    return first[: len(first) - len(encoder.encode(SAMPLE_PERSON))]


#: Whole messages that a gob.Decoder into a Person must refuse.
MALFORMED = {
    # A top-level int where a Person is wanted (doc.go's own example: 3 as an int).
    "int-not-person": bytes.fromhex("03 04 00 06"),
    # A value of type id 70, never defined.
    "undefined-type-id": bytes.fromhex("07 ff 8c 01 2c 01 42 00"),
    # A message claiming 2^63 - 1 bytes.
    "huge-length": bytes.fromhex("f8 7f ff ff ff ff ff ff ff 00"),
    # The book's Person's definitions, then a value whose field number 8 does not exist.
    "bad-field-number": _person_definitions() + bytes.fromhex("04 ff 82 09 00"),
}


@pytest.mark.requirement(
    "gob/go-encoding-gob/basics/malformed-input-survived",
    level="MUST",
    ref=(
        "Go encoding/gob documentation, Basics (it leaves input that is not gob to the "
        "implementation; closing or reporting, and serving on, is this suite's robustness rule)"
    ),
    quote=(
        "At the receive side, a Decoder retrieves values from the encoded stream and unpacks "
        "them into local variables."
    ),
)
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_is_refused_and_survived(target: Target, wire: Wire, case: str) -> None:
    """Send whole messages that are not a Person's gob; the target must close the
    connection or answer (the book's server sends a zero Person), then serve the book's
    Person on a new connection."""
    book_echo_or_skip(wire, target)
    conn = wire.connect(target)
    conn.send(MALFORMED[case])
    observed = conn.receive(until=bool)  # the first byte of an answer, a close, or silence
    conn.close()
    if observed.end not in (End.FIN, End.RST) and not observed.received:
        fail(
            [
                "the connection closed (FIN or RST), with or without a reply",
                "an answer (an error report, or a zero Person as the book's server sends)",
            ],
            observed.describe(),
        )
    after = wire.connect(target)
    expected = "the book's Person echoed on a new connection after the malformed input"
    (got,) = decode_replies(send_and_read(after, encode(SAMPLE_PERSON), 1), 1, expected)
    if got != SAMPLE_PERSON:
        fail(expected, f"a different Person: {got!r}")

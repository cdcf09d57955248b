"""Go encoding/json's Decoder and Encoder over a TCP stream, as the book's server uses them.

The book's JSONEchoServer (Newmarch, ch. 4) wraps the connection in a json.Decoder
and a json.Encoder and, per round, decodes a Person and encodes it back. These are
Go's conventions, not RFC 8259 rules: RFC 8259 defines one JSON text, not a stream.
"""

from __future__ import annotations

import pytest

from harness.fuzzers.streams import WRITE_PATTERNS, cut
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.jsoncodec import BOOK_PERSON_JSON, Email, Name, Person, book_person
from suites.json.persons import (
    BOOK_ID,
    BOOK_ROUNDS,
    book_echo_or_skip,
    decode_replies,
    encode,
    read_replies,
    send_and_read,
)

pytestmark = pytest.mark.scheme("tcp")

REF = (
    "Go encoding/json (convention, not RFC 8259): Decoder.Decode and Encoder.Encode, "
    "as the book's JSONEchoServer uses them (Newmarch, ch. 4)"
)
ROUND_TRIP = (
    "Decode reads the next JSON-encoded value from its input and stores it in the value "
    "pointed to by v. Encode writes the JSON encoding of v to the stream, followed by a "
    "newline character."
)
STREAM = "A Decoder reads and decodes JSON values from an input stream."


@pytest.mark.requirement(BOOK_ID, level="MUST", ref=REF, quote=ROUND_TRIP)
def test_book_person_comes_back(target: Target, wire: Wire) -> None:
    """Send the book's sample Person as its client does (json.Encoder: the value and a
    newline) and read one value back; it must decode to the same Person."""
    conn = wire.connect(target)
    expected = "the book's Person back, as one JSON value"
    (person,) = decode_replies(send_and_read(conn, BOOK_PERSON_JSON + b"\n", 1), 1, expected)
    if person != book_person():
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
    "json/go-encoding-json/stream/values-on-one-connection", level="MUST", ref=REF, quote=STREAM
)
@pytest.mark.parametrize("how", ["one-after-another", "pipelined"])
def test_several_values_on_one_connection(target: Target, wire: Wire, how: str) -> None:
    """Send ten different Persons on one connection: each after the reply to the one
    before (one-after-another), or all ten in one write without waiting (pipelined).
    Ten, because the book's server closes after ten rounds."""
    book_echo_or_skip(wire, target)
    sent = _numbered(BOOK_ROUNDS)
    conn = wire.connect(target)
    expected = f"{len(sent)} Persons back, in order, on one connection ({how})"
    got = []
    if how == "pipelined":
        got = decode_replies(
            send_and_read(conn, b"".join(map(encode, sent)), len(sent)), len(sent), expected
        )
    else:
        for i, person in enumerate(sent):
            replies = send_and_read(conn, encode(person), 1)
            if not replies.values:
                fail(expected, f"after {i} replies, {replies.describe(1)}")
            got += replies.persons(expected)
    for i, (want, have) in enumerate(zip(sent, got, strict=True)):
        if want != have:
            fail(expected, f"reply {i + 1} is {have!r}, not {want!r}")


@pytest.mark.requirement(
    "json/go-encoding-json/stream/any-write-pattern", level="MUST", ref=REF, quote=STREAM
)
@pytest.mark.parametrize("pattern", list(WRITE_PATTERNS))
def test_any_write_pattern_of_one_value(target: Target, wire: Wire, pattern: str) -> None:
    """Send one Person (with multi-byte characters, so writes split them) cut into writes
    of the pattern's sizes, with no newline after it: a value ends at its closing brace."""
    book_echo_or_skip(wire, target)
    person = Person(
        Name=Name(Family="Müller-Łukasiewicz", Personal="José 😀"),
        Email=[Email(Kind="wörk", Address="名前@example.org")],
    )
    payload = encode(person).rstrip(b"\n")
    chunks, pause = cut(payload, pattern)
    conn = wire.connect(target)
    conn.send_chunks(chunks, pause=pause)
    expected = f"the Person back, whatever the writes ({pattern})"
    (got,) = decode_replies(read_replies(conn, 1), 1, expected)
    if got != person:
        fail(expected, f"a different Person: {got!r}")

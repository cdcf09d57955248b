"""RFC 8259 §8.1, "Character Encoding": what comes back is UTF-8, even when what went
in was not.

A string holding bytes that are not UTF-8 is not JSON text exchanged between open
systems; Go's decoder takes it anyway and replaces each invalid byte with U+FFFD, so
the reply is UTF-8 again. A target may instead refuse the value (close the
connection); it may not send the invalid bytes back.
"""

from __future__ import annotations

import re

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from reference_impls.jsoncodec import Email, Name, Person
from suites.json.persons import book_echo_or_skip, decode_replies, send_and_read

pytestmark = pytest.mark.scheme("tcp")

#: A lone continuation byte, a truncated 3-byte sequence, an invalid lead byte, an
#: overlong encoding of "/", and an encoded surrogate.
PAYLOAD = (
    b'{"Name":{"Family":"New\x80march","Personal":"J\xe2\x82an"},'
    b'"Email":[{"Kind":"h\xffome","Address":"jan\xc0\xafnewmarch.name"},'
    b'{"Kind":"work","Address":"\xed\xa0\x80@boxhill.edu.au"}]}\n'
)
#: What Go makes of it: U+FFFD for each byte that does not start a valid sequence.
GO = Person(
    Name=Name(Family="New\ufffdmarch", Personal="J\ufffd\ufffdan"),
    Email=[
        Email(Kind="h\ufffdome", Address="jan\ufffd\ufffdnewmarch.name"),
        Email(Kind="work", Address="\ufffd\ufffd\ufffd@boxhill.edu.au"),
    ],
)

_RUNS = re.compile("\ufffd+")


def _collapsed(person: Person) -> str:
    """The Person with each run of U+FFFD as one (replacement counts may differ)."""
    return _RUNS.sub("\ufffd", repr(person))


@pytest.mark.requirement(
    "json/rfc8259/8.1/invalid-utf8-replaced",
    level="MUST",
    ref=(
        "RFC 8259 §8.1 Character Encoding; replacing invalid bytes with U+FFFD is Go "
        "encoding/json's way of meeting it (convention)"
    ),
    quote=(
        "JSON text exchanged between systems that are not part of a closed ecosystem MUST "
        "be encoded using UTF-8 [RFC3629]."
    ),
)
def test_invalid_utf8_does_not_come_back(target: Target, wire: Wire) -> None:
    """Send a Person whose strings hold bytes that are not UTF-8; the reply must be UTF-8,
    with U+FFFD where those bytes were (Go), or the connection closed without a reply."""
    book_echo_or_skip(wire, target)
    conn = wire.connect(target)
    replies = send_and_read(conn, PAYLOAD, 1)
    expected = [
        "the Person back in UTF-8, with U+FFFD in place of the invalid bytes",
        "the value refused: the connection closed with nothing sent",
    ]
    received = replies.observed.received
    try:
        received.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(expected, f"the reply is not UTF-8 ({exc}): {replies.observed.describe()}")
    if not received and replies.observed.end in (End.FIN, End.RST):
        return  # refused, as a strict decoder may
    (got,) = decode_replies(replies, 1, expected[0])
    if _collapsed(got) != _collapsed(GO):
        fail(expected, f"{got!r}, not {GO!r}")

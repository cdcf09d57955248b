"""Shared by the JSON checks: sending Persons, reading replies, and the sample Person.

Replies are read as a stream of JSON values with the strict decoder of
:mod:`reference_impls.jsoncodec` (RFC 8259's grammar, Go's decoding rules), and
turned into Persons by Go's rules, so keys in another case still decode: checks of
the text itself (key spelling, escaping, UTF-8) look at the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import strategies as st

from harness.errors import ConformanceFailure
from harness.targets import Target
from harness.wire import TcpConnection, Wire
from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import (
    Email,
    Name,
    Person,
    book_person,
    marshal_model,
    model_from_value,
)
from suites.jsonvalues import JSONValues, complete

__all__ = [
    "BOOK_ID",
    "BOOK_ROUNDS",
    "Replies",
    "book_echo_or_skip",
    "decode_replies",
    "encode",
    "persons",
    "read_replies",
    "send_and_read",
]

#: The book's server answers ten values per connection, then closes: no check sends more.
BOOK_ROUNDS = 10
#: The requirement every other check leans on; a target failing it is reported there once.
BOOK_ID = "json/go-encoding-json/stream/book-person-echoed"


def encode(person: Person) -> bytes:
    """What the book's client sends: ``json.NewEncoder(conn).Encode(person)``."""
    return marshal_model(person) + b"\n"


class Replies(JSONValues):
    """The replies decoded from what came back, and how the stream went."""

    noun = "reply"

    def persons(self, expected: str) -> list[Person]:
        """The values as Persons; a failure if any is missing or is not a Person."""
        __tracebackhide__ = True
        out = []
        for value in self.values:
            try:
                out.append(model_from_value(Person, value))
            except RemoteProtocolError as exc:
                raise ConformanceFailure(
                    expected, f"a reply that is not a Person ({exc}): {value!r:.200}"
                ) from None
        return out


def read_replies(conn: TcpConnection, count: int) -> Replies:
    """Read until ``count`` whole values came back (or an error, a close, silence)."""
    return Replies(conn.receive(until=complete(count)), count)


def send_and_read(
    conn: TcpConnection, payload: bytes, count: int, *, chunks: Iterable[bytes] | None = None
) -> Replies:
    if chunks is None:
        conn.send(payload)
    else:
        conn.send_chunks(chunks)
    return read_replies(conn, count)


def decode_replies(replies: Replies, count: int, expected: str) -> list[Person]:
    """``count`` Persons from ``replies``, or a failure saying what came instead."""
    __tracebackhide__ = True
    if len(replies.values) < count:
        raise ConformanceFailure(expected, replies.describe(count))
    return replies.persons(expected)


#: Targets (host, port) that did not echo the book's Person in this process.
_NO_BOOK_ECHO: set[tuple[str, int]] = set()


def book_echo_or_skip(wire: Wire, target: Target) -> None:
    """The book's sample Person must come back on a new connection; skip otherwise.

    Checks of anything else need a target that echoes a plain Person at all: one that
    does not is reported once, by the book-person check, not again by every check.
    Once it has not come back, later checks skip at once, without waiting again.
    """
    if target.address in _NO_BOOK_ECHO:
        pytest.skip(f"the book's sample Person did not come back earlier ({BOOK_ID} reports that)")
    conn = wire.connect(target)
    replies = send_and_read(conn, encode(book_person()), 1)
    conn.close()
    ok = False
    if len(replies.values) == 1 and replies.error is None:
        try:
            ok = model_from_value(Person, replies.values[0]) == book_person()
        except RemoteProtocolError:
            ok = False
    if not ok:
        _NO_BOOK_ECHO.add(target.address)
        pytest.skip(f"the book's sample Person did not come back ({BOOK_ID} reports that)")


# -- generated Persons (Hypothesis) ------------------------------------------------

#: Characters of generated strings: any but control characters (category Cc; DEL is
#: drawn on purpose, JSON lets it stand) and surrogates, with the ones worth a look
#: (astral, HTML, line separators, quotes) drawn often. Control characters are left
#: to json/rfc8259/2/replies-are-json-text, so a target that sends them raw is
#: reported there, once.
_SPECIAL = '😀𝄞\U0010fffd<>&\u2028\u2029"\\/\u00e9\u4e2d\x7f'
_chars = st.one_of(
    st.characters(blacklist_categories=("Cc", "Cs")),
    st.sampled_from(_SPECIAL),
)
_short = st.text(_chars, max_size=24)
_large = st.builds(lambda c, n: c * n, _chars, st.integers(1000, 3000))
_email = st.builds(Email, Kind=_short, Address=_short)
_emails = st.one_of(st.lists(_email, max_size=3), st.lists(_email, min_size=20, max_size=40))


def persons() -> st.SearchStrategy[Person]:
    """Persons with empty and large names, astral characters, and no (null), empty
    or many email entries."""
    return st.builds(
        Person,
        Name=st.builds(Name, Family=st.one_of(_short, _large), Personal=_short),
        Email=st.one_of(st.none(), st.builds(list), _emails),
    )

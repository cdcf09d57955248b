"""Go encoding/json's Marshal: the bytes of the reply (key spelling, HTML escaping).

Both are Go's conventions, not RFC 8259 rules: RFC 8259 leaves names to the
application and lets "<", ">", "&", U+2028 and U+2029 stand unescaped in strings. The
Person's wire form is the Go struct's, so its keys are the Go field names.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.jsoncodec import Email, Name, Person, book_person
from suites.json.persons import book_echo_or_skip, decode_replies, encode, send_and_read

pytestmark = pytest.mark.scheme("tcp")

REF = "Go encoding/json (convention, not RFC 8259): Marshal"

#: Each object of a Person by its path, and the Go field names it has.
FIELDS = {
    "Person": ("Name", "Email"),
    "Name": ("Family", "Personal"),
    "Email": ("Kind", "Address"),
}


def _objects(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """The Person's objects in a decoded reply, each with the struct it stands for."""
    found: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(value, dict):
        return found
    found.append(("Person", value))
    for key, item in value.items():
        if key.lower() == "name" and isinstance(item, dict):
            found.append(("Name", item))
        if key.lower() == "email" and isinstance(item, list):
            found += [("Email", e) for e in item if isinstance(e, dict)]
    return found


@pytest.mark.requirement(
    "json/go-encoding-json/marshal/field-names-exact",
    level="MUST",
    ref=REF,
    quote=(
        "Each exported struct field becomes a member of the object, using the field name "
        "as the object key, unless the field is omitted for one of the reasons given below."
    ),
)
def test_keys_are_the_go_field_names(target: Target, wire: Wire) -> None:
    """Send the book's Person; every key of the reply that names a field (in any case)
    must be spelled exactly as the Go field: Name, Email, Family, Personal, Kind, Address."""
    book_echo_or_skip(wire, target)
    conn = wire.connect(target)
    replies = send_and_read(conn, encode(book_person()), 1)
    expected = "the keys Name, Email, Family, Personal, Kind, Address, in exactly that case"
    decode_replies(replies, 1, expected)
    wrong = [
        f"{key!r} for {field!r}"
        for struct, obj in _objects(replies.values[0])
        for key in obj
        for field in FIELDS[struct]
        if key.lower() == field.lower() and key != field
    ]
    if wrong:
        fail(expected, f"keys in another case: {', '.join(wrong)}")


#: Characters Go's Marshal escapes so the JSON can sit in an HTML <script>.
HTML = {
    "<": b"\\u003c",
    ">": b"\\u003e",
    "&": b"\\u0026",
    "\u2028": b"\\u2028",
    "\u2029": b"\\u2029",
}


@pytest.mark.requirement(
    "json/go-encoding-json/marshal/html-escaped",
    level="SHOULD",
    ref=(
        "Go encoding/json (convention, not RFC 8259; RFC 8259 §7 lets these characters "
        "stand unescaped): Marshal"
    ),
    quote=(
        "So that the JSON will be safe to embed inside HTML <script> tags, the string is "
        'encoded using HTMLEscape, which replaces "<", ">", "&", U+2028, and U+2029 are '
        'escaped to "\\u003c","\\u003e", "\\u0026", "\\u2028", and "\\u2029".'
    ),
)
def test_html_characters_are_escaped(target: Target, wire: Wire) -> None:
    """Send a Person whose strings hold <, >, &, U+2028 and U+2029; the reply must carry
    them as \\u003c, \\u003e, \\u0026, \\u2028 and \\u2029, and decode to the same Person."""
    book_echo_or_skip(wire, target)
    person = Person(
        Name=Name(Family="<script>alert('x')</script>", Personal="Tom & Jerry"),
        Email=[Email(Kind="line\u2028sep", Address="para\u2029sep <a@b>")],
    )
    conn = wire.connect(target)
    replies = send_and_read(conn, encode(person), 1)
    expected = "the Person back, with <, >, &, U+2028 and U+2029 escaped as \\uXXXX"
    (got,) = decode_replies(replies, 1, expected)
    raw = [repr(c) for c in HTML if c.encode() in replies.observed.received]
    if raw:
        fail(expected, f"unescaped in the reply: {', '.join(raw)}: {replies.observed.describe()}")
    if got != person:
        fail(expected, f"a different Person: {got!r}")

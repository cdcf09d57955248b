"""Go encoding/json's Unmarshal into the Person struct: which keys it takes.

Go's conventions, not RFC 8259 rules: how names map to the application's data is
the application's business.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.jsoncodec import Email, Name, Person
from suites.json.persons import book_echo_or_skip, decode_replies, send_and_read

pytestmark = pytest.mark.scheme("tcp")

REF = "Go encoding/json (convention, not RFC 8259): Unmarshal"

FIELDS = {"name", "email", "family", "personal", "kind", "address"}


@pytest.mark.requirement(
    "json/go-encoding-json/unmarshal/keys-case-insensitive",
    level="SHOULD",
    ref=REF,
    quote=(
        "To unmarshal JSON into a struct, Unmarshal matches incoming object keys to the keys "
        "used by Marshal (either the struct field name or its tag), preferring an exact match "
        "but also accepting a case-insensitive match."
    ),
)
def test_keys_in_another_case_are_taken(target: Target, wire: Wire) -> None:
    """Send a Person whose keys are in other cases (name, FAMILY, personal, EMAIL, kind,
    aDDRESS); the reply must hold the values, as Go's Unmarshal takes them."""
    book_echo_or_skip(wire, target)
    payload = (
        b'{"name":{"FAMILY":"Newmarch","personal":"Jan"},'
        b'"EMAIL":[{"kind":"home","aDDRESS":"jan@newmarch.name"}]}\n'
    )
    want = Person(Name("Newmarch", "Jan"), [Email("home", "jan@newmarch.name")])
    conn = wire.connect(target)
    expected = "the values back under their fields, whatever the case of the keys sent"
    (got,) = decode_replies(send_and_read(conn, payload, 1), 1, expected)
    if got != want:
        fail(expected, f"{got!r}, not {want!r}")


def _keys(value: Any) -> list[str]:
    """Every object key in a decoded value."""
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in (key, *_keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


@pytest.mark.requirement(
    "json/go-encoding-json/unmarshal/unknown-keys-dropped",
    level="SHOULD",
    ref=REF,
    quote=(
        "By default, object keys which don't have a corresponding struct field are ignored "
        "(see Decoder.DisallowUnknownFields for an alternative)."
    ),
)
def test_unknown_keys_are_dropped(target: Target, wire: Wire) -> None:
    """Send a Person with keys the struct does not have (Middle, Verified, Phone, Age);
    the reply must be the Person without them."""
    book_echo_or_skip(wire, target)
    payload = (
        b'{"Name":{"Family":"Newmarch","Personal":"Jan","Middle":"X"},'
        b'"Email":[{"Kind":"home","Address":"jan@newmarch.name","Verified":true}],'
        b'"Phone":["+61 3 9999 9999"],"Age":42}\n'
    )
    want = Person(Name("Newmarch", "Jan"), [Email("home", "jan@newmarch.name")])
    conn = wire.connect(target)
    replies = send_and_read(conn, payload, 1)
    expected = "the Person back without the keys the struct does not have"
    (got,) = decode_replies(replies, 1, expected)
    kept = sorted({k for k in _keys(replies.values[0]) if k.lower() not in FIELDS})
    if kept:
        fail(expected, f"unknown keys came back: {', '.join(kept)}")
    if got != want:
        fail(expected, f"{got!r}, not {want!r}")

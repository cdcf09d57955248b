"""RFC 8259 §2, "JSON Grammar": everything the target sends is JSON text.

Each reply must parse under the strict grammar (no raw control characters in
strings, §7) and be UTF-8 (§8.1). The Person sent holds every character a sloppy
encoder gets wrong: all C0 controls, quotation mark, reverse solidus, DEL, astral
characters, U+2028 and U+2029.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from reference_impls.jsoncodec import Email, Name, Person
from suites.json.persons import book_echo_or_skip, decode_replies, encode, send_and_read

pytestmark = pytest.mark.scheme("tcp")

CONTROLS = "".join(chr(c) for c in range(0x20))

PERSONS = {
    "control-characters": Person(
        Name=Name(Family=CONTROLS, Personal="tab\there, line\nbreak\r\n"),
        Email=[Email(Kind="\x00", Address="\x1f\x7f")],
    ),
    "quotes-and-backslashes": Person(
        Name=Name(Family='"quoted" \\back\\slashed\\', Personal="/solidus/ \\u0041"),
        Email=[Email(Kind='\\"', Address='"\\')],
    ),
    "beyond-ascii": Person(
        Name=Name(Family="😀𝄞\U0010fffd", Personal="\u2028\u2029\ufeff\u00a0"),
        Email=[Email(Kind="ℌ𝔬𝔪𝔢", Address="ünïcödé@例え.jp")],
    ),
}


@pytest.mark.requirement(
    "json/rfc8259/2/replies-are-json-text",
    level="MUST",
    ref="RFC 8259 §2 JSON Grammar (with §7 Strings and §8.1 Character Encoding)",
    quote=(
        "A JSON text is a sequence of tokens. The set of tokens includes six structural "
        "characters, strings, numbers, and three literal names."
    ),
)
@pytest.mark.parametrize("case", list(PERSONS))
def test_replies_parse_as_json_text(target: Target, wire: Wire, case: str) -> None:
    """Send a Person with the case's characters; every byte of the reply must parse under
    RFC 8259's grammar, be UTF-8, and decode to the same Person."""
    book_echo_or_skip(wire, target)
    person = PERSONS[case]
    conn = wire.connect(target)
    replies = send_and_read(conn, encode(person), 1)
    expected = "one JSON text in UTF-8, the Person sent"
    if replies.error is not None:
        fail(expected, f"{replies.error}: {replies.observed.describe()}")
    (got,) = decode_replies(replies, 1, expected)
    try:
        replies.observed.received.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(expected, f"the reply is not UTF-8 ({exc}): {replies.observed.describe()}")
    if got != person:
        fail(expected, f"a different Person: {got!r}")

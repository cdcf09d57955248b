"""RFC 2781, UTF-16: a server that sends a UTF-16 document on each connection, then closes.

Run with ``--utf16-service sender`` (the default). We connect, send nothing, and read
until the server closes. RFC 2781 section 3.2: ``FE FF`` first means big-endian,
``FF FE`` first means little-endian; section 4.3: no BOM means big-endian.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.utf16.analysis import Analysis, analyse, bom_name

pytestmark = pytest.mark.scheme("tcp")

SERVICE = "sender"
NEEDS_EXPECTED_TEXT = ("test_text_is_the_expected_text", "test_astral_characters_as_pairs")
NEEDS_ASTRAL_TEXT = ("test_astral_characters_as_pairs",)

ENCODING = (
    "In the UTF-16 encoding, characters are represented using either one or two unsigned "
    "16-bit integers, depending on the character value."
)
SIGNATURE = (
    "In serialized UTF-16 prepended with such a signature, the order is big-endian if the "
    "first two octets are 0xFE followed by 0xFF; if they are 0xFF followed by 0xFE, the order "
    "is little-endian."
)
EITHER_ORDER = (
    'Text labelled with the "UTF-16" charset might be serialized in either big-endian or '
    "little-endian order."
)
IN_ERROR = (
    "If there is no W2 (that is, the sequence ends with W1), or if W2 is not between 0xDC00 "
    "and 0xDFFF, the sequence is in error."
)
EVEN = "utf16/rfc2781/sender/even-length"
MATCHES = "utf16/rfc2781/sender/bom-matches-byte-order"
UNPAIRED = "utf16/rfc2781/sender/no-unpaired-surrogates"
ASTRAL = "utf16/rfc2781/sender/astral-surrogate-pairs"


def _document(wire: Wire, target: Target) -> bytes:
    """What the server sends on a quiet connection; skip when it is not whole code units.

    An empty or odd-length document is reported once, by even-length.
    """
    data = wire.connect(target).events_until_closed().received
    if not data or len(data) % 2:
        pytest.skip(f"no whole UTF-16 code units to judge ({EVEN} reports that)")
    return data


def _analysis(wire: Wire, target: Target, wirecert: CheckContext) -> Analysis:
    return analyse(_document(wire, target), wirecert.option("expect-text"))


def _text_or_skip(found: Analysis) -> str:
    """The text in the order the sender claims, when that order is right and it decodes."""
    if not found.agrees:
        pytest.skip(f"the BOM and the byte order disagree ({MATCHES} reports that)")
    reading = found.reading()
    if reading.text is None:
        pytest.skip(f"the text does not decode ({UNPAIRED} reports that)")
    return reading.text


@pytest.mark.requirement(
    "utf16/rfc2781/sender/even-length",
    level="MUST",
    ref="RFC 2781, 2. UTF-16 encoding",
    quote=ENCODING,
)
def test_whole_code_units(target: Target, wire: Wire) -> None:
    """Connect, send nothing, and read until the server closes: a whole number of 2-octet
    code units must arrive (at least the BOM or one character)."""
    observed = wire.connect(target).events_until_closed()
    n = len(observed.received)
    if n == 0 or n % 2:
        why = (
            "nothing at all"
            if n == 0
            else f"an odd number of octets ({n}): the octet at offset {n - 1} is half a code unit"
        )
        fail(
            "a whole number of UTF-16 code units (an even number of octets, at least 2)",
            f"{observed.describe()}; that is {why}",
        )


@pytest.mark.requirement(
    "utf16/rfc2781/sender/bom-present",
    level="SHOULD",
    ref="RFC 2781, 4.3 Interpreting text labelled as UTF-16",
    quote=EITHER_ORDER,
)
def test_bom_present(target: Target, wire: Wire) -> None:
    """Connect, send nothing, and look at the first two octets: U+FEFF, in either order,
    tells the receiver which order follows."""
    data = _document(wire, target)
    if data[:2] not in (b"\xfe\xff", b"\xff\xfe"):
        fail(
            "a byte order mark first: FE FF (big-endian) or FF FE (little-endian)",
            f"the document begins {data[:2].hex(' ').upper()}, no BOM (a receiver must then "
            "assume big-endian)",
        )


@pytest.mark.requirement(
    "utf16/rfc2781/sender/bom-matches-byte-order",
    level="MUST",
    ref="RFC 2781, 3.2 Byte order mark (BOM)",
    quote=SIGNATURE,
)
def test_bom_matches_byte_order(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """Connect, send nothing, and read the code units after the BOM both big-endian and
    little-endian: the order that yields plausible text must be the one the BOM announces
    (or big-endian, with no BOM)."""
    found = _analysis(wire, target, wirecert)
    if found.agrees:
        return
    used = found.used
    assert used is not None
    claimed, actual = found.reading(), found.reading(used)
    if found.bom is None:
        label = "no BOM, which by RFC 2781 section 4.3 means big-endian"
    else:
        label = (
            f"the BOM {found.bom.hex(' ').upper()}, which by RFC 2781 section 3.2 and the "
            f"Unicode standard means {found.claimed}-endian"
        )
    actual_text = (
        f"the document has {label}, but its code units are {used}-endian: read {used}-endian "
        f"they are {actual.show()} ({actual.describe_score()}); read {claimed.order}-endian, "
        f"as the {'BOM says' if found.bom else 'default says'}, they are {claimed.show()} "
        f"({claimed.describe_score()})"
    )
    if found.bom == b"\xff\xfe" and used == "big":
        actual_text += (
            ". FF FE is U+FEFF written little-endian (it is U+FFFE, not a character, "
            "big-endian). A server that writes BOM = '\\ufffe' big-endian, as the first "
            "edition of Newmarch's chapter 6 UTF-16 server does, sends FF FE before big-endian "
            "text, and a receiver that follows the standard reads the text byte-swapped. For "
            "big-endian text the BOM is FE FF ('\\ufeff' written big-endian), as the second "
            "edition sends"
        )
    fail(
        f"the BOM to announce the order the code units are written in ({bom_name(found.bom)} "
        f"announces {found.claimed}-endian)",
        actual_text,
    )


@pytest.mark.requirement(
    "utf16/rfc2781/sender/no-unpaired-surrogates",
    level="MUST",
    ref="RFC 2781, 2.2 Decoding UTF-16",
    quote=IN_ERROR,
)
def test_no_unpaired_surrogates(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """Connect, send nothing, and decode the text in the announced order: every high
    surrogate (D800-DBFF) must be followed by a low one (DC00-DFFF), and no low surrogate
    may stand alone."""
    found = _analysis(wire, target, wirecert)
    if not found.agrees:
        pytest.skip(f"the BOM and the byte order disagree ({MATCHES} reports that)")
    reading = found.reading()
    if reading.error is not None:
        offset = reading.error.offset or 0
        if found.bom:
            offset += 2
        fail(
            "surrogates only in pairs: a high surrogate (D800-DBFF) then a low one (DC00-DFFF)",
            f"at offset {offset} of the document ({bom_name(found.bom)}, read "
            f"{found.claimed}-endian): {reading.error}; the text reads {reading.show()}",
        )


@pytest.mark.requirement(
    "utf16/rfc2781/sender/astral-surrogate-pairs",
    level="MUST",
    ref="RFC 2781, 2. UTF-16 encoding",
    quote=ENCODING,
)
def test_astral_characters_as_pairs(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """Connect, send nothing, and decode the text: each character above U+FFFF of
    --utf16-expect-text must arrive as its surrogate pair (deselected without such text)."""
    expected: str = wirecert.option("expect-text")
    text = _text_or_skip(_analysis(wire, target, wirecert))
    want = [c for c in expected if ord(c) > 0xFFFF]
    got = [c for c in text if ord(c) > 0xFFFF]
    if got != want:
        pairs = ", ".join(
            f"{c} U+{ord(c):05X} as {c.encode('utf-16-be').hex(' ').upper()}" for c in want
        )
        fail(
            f"the characters above U+FFFF as surrogate pairs: {pairs}",
            f"the text {text!r} has {len(got)} of the {len(want)} characters above U+FFFF"
            + (f" ({', '.join(f'U+{ord(c):05X}' for c in got)})" if got else ""),
        )


@pytest.mark.requirement(
    "utf16/rfc2781/sender/text-as-expected",
    level="MUST",
    ref="RFC 2781, 2.2 Decoding UTF-16",
    quote=ENCODING,
)
def test_text_is_the_expected_text(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """Connect, send nothing, and decode the text: it must be --utf16-expect-text
    (deselected without it)."""
    expected: str = wirecert.option("expect-text")
    text = _text_or_skip(_analysis(wire, target, wirecert))
    if text == expected:
        return
    astral_want = [c for c in expected if ord(c) > 0xFFFF]
    if astral_want and [c for c in text if ord(c) > 0xFFFF] != astral_want:
        pytest.skip(f"the characters above U+FFFF are wrong ({ASTRAL} reports that)")
    fail(f"the text {expected!r} ({len(expected)} characters)", f"the text {text!r}")

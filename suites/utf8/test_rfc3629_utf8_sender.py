"""RFC 3629, UTF-8: a server that sends text on each connection, then closes.

We connect, send nothing, and read until the server closes (or falls silent).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Observation, Wire
from reference_impls.errors import RemoteProtocolError
from reference_impls.text.utf8 import Utf8Decoder

pytestmark = pytest.mark.scheme("tcp")

REF = "RFC 3629, 3. UTF-8 definition"
DEFINITION = (
    "In UTF-8, characters from the U+0000..U+10FFFF range (the UTF-16 accessible range) are "
    "encoded using sequences of 1 to 4 octets."
)


def _text(wire: Wire, target: Target) -> Observation:
    """Everything the server sends on a quiet connection."""
    return wire.connect(target).events_until_closed()


@pytest.mark.requirement("utf8/rfc3629/sender/valid-utf8", level="MUST", ref=REF, quote=DEFINITION)
def test_text_is_valid_utf8(target: Target, wire: Wire) -> None:
    """Connect, send nothing, and read the text until the server closes; decode it strictly
    (no overlong forms, no surrogates, nothing above U+10FFFF, no sequence cut short)."""
    observed = _text(wire, target)
    expected = "text in well-formed UTF-8 (at least one character)"
    if not observed.received:
        fail(expected, observed.describe())
    try:
        decoder = Utf8Decoder()
        decoder.receive_data(observed.received)
        decoder.receive_eof()
    except RemoteProtocolError as exc:
        offset = exc.offset or 0
        window = observed.received[max(0, offset - 4) : offset + 4].hex(" ")
        fail(
            expected,
            f"{observed.describe()}; the first bad octet is at offset {offset}: {exc} "
            f"(octets around it: {window})",
        )


@pytest.mark.requirement(
    "utf8/rfc3629/sender/characters-and-octets", level="MAY", ref=REF, quote=DEFINITION
)
def test_characters_and_octets_are_counted(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Connect, send nothing, read the text, and count its characters and octets
    (informational: how much of the text needs more than one octet per character)."""
    data = _text(wire, target).received
    decoder = Utf8Decoder()
    try:
        text = decoder.receive_data(data) + decoder.receive_eof()
    except RemoteProtocolError:
        text = None
    if not data or text is None:
        pytest.skip(
            "no well-formed UTF-8 text to count (utf8/rfc3629/sender/valid-utf8 reports that)"
        )
    shown = text if len(text) <= 40 else text[:40] + "..."
    finding(
        f"{len(text)} characters in {len(data)} octets ({decoder.multibyte} of more than one "
        f"octet): {shown!r}"
    )

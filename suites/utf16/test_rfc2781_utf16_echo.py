"""RFC 2781, UTF-16: an echo of UTF-16 documents.

Run with ``--utf16-service echo``. Each check sends a document and shuts down its
sending side; the server replies with a BOM and the same text (in either order: the
reply is read by its own BOM), then closes. RFC 2781 section 4.3: "All applications
that process text with the "UTF-16" charset label MUST be able to interpret both
big-endian and little-endian text."
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import verify
from harness.wire import End, Observation, Wire
from reference_impls.errors import RemoteProtocolError
from reference_impls.text.utf16 import decode_utf16, encode_utf16

pytestmark = pytest.mark.scheme("tcp")

SERVICE = "echo"

REF_43 = "RFC 2781, 4.3 Interpreting text labelled as UTF-16"
BOTH = (
    'All applications that process text with the "UTF-16" charset label MUST be able to '
    "interpret both big-endian and little-endian text."
)
DEFAULT_BE = (
    "If the first two octets of the text is not 0xFE followed by 0xFF, and is not 0xFF "
    "followed by 0xFE, then the text SHOULD be interpreted as being big-endian."
)
ENCODING = (
    "In the UTF-16 encoding, characters are represented using either one or two unsigned "
    "16-bit integers, depending on the character value."
)
IN_ERROR = (
    "If there is no W2 (that is, the sequence ends with W1), or if W2 is not between 0xDC00 "
    "and 0xDFFF, the sequence is in error."
)
BOTH_ID = "utf16/rfc2781/echo/both-byte-orders"

#: The book's text: Latin-1 letters, which read in the wrong order become U+xx00.
TEXT = "j'ai arrêté"
#: Characters above U+FFFF: a musical symbol, an emoji, a CJK Extension B ideograph.
ASTRAL = "𝄞 clef, 😀 face, 𠜎 ideograph"


def _echo(wire: Wire, target: Target, document: bytes) -> Observation:
    """Send ``document``, shut down our sending side, read until the server closes."""
    conn = wire.connect(target)
    conn.send(document)
    conn.shutdown_write()
    return conn.events_until_closed()


def _text_of(reply: bytes) -> str | None:
    try:
        return decode_utf16(reply)[0]
    except RemoteProtocolError:
        return None


def _sane(wire: Wire, target: Target) -> None:
    """A big-endian document with a BOM must come back; else skip (both-byte-orders reports)."""
    observed = _echo(wire, target, encode_utf16(TEXT, order="big"))
    if _text_of(observed.received) != TEXT:
        pytest.skip(f"a plain big-endian document does not come back ({BOTH_ID} reports that)")


def _verify_text(observed: Observation, text: str) -> None:
    __tracebackhide__ = True
    got = _text_of(observed.received)
    if got != text and observed.received:
        detail = "not valid UTF-16" if got is None else f"it reads {got!r}"
        observed = Observation(observed.received, observed.end, observed.elapsed, detail)
    verify(
        observed,
        received=lambda reply: _text_of(reply) == text,
        expected=f"a BOM and {text!r} in UTF-16 (in either order, as its BOM says)",
    )


@pytest.mark.requirement(BOTH_ID, level="MUST", ref=REF_43, quote=BOTH)
@pytest.mark.parametrize(
    "order", ["big", "little"], ids=["FE-FF-big-endian", "FF-FE-little-endian"]
)
def test_both_byte_orders_are_read(target: Target, wire: Wire, order: str) -> None:
    """Send U+FEFF and the text in the given order, then shut down our sending side; the
    same text must come back."""
    document = encode_utf16(TEXT, order="big" if order == "big" else "little")
    _verify_text(_echo(wire, target, document), TEXT)


@pytest.mark.requirement(
    "utf16/rfc2781/echo/no-bom-big-endian", level="SHOULD", ref=REF_43, quote=DEFAULT_BE
)
def test_no_bom_means_big_endian(target: Target, wire: Wire) -> None:
    """Send the text big-endian with no BOM, then shut down our sending side; the same text
    must come back (no BOM: big-endian)."""
    _sane(wire, target)
    _verify_text(_echo(wire, target, encode_utf16(TEXT, bom=False)), TEXT)


@pytest.mark.requirement(
    "utf16/rfc2781/echo/astral-characters",
    level="MUST",
    ref="RFC 2781, 2. UTF-16 encoding",
    quote=ENCODING,
)
def test_astral_characters_survive(target: Target, wire: Wire) -> None:
    """Send FE FF and text with characters above U+FFFF (surrogate pairs) big-endian; the
    same characters must come back. (Little-endian is both-byte-orders' business.)"""
    _sane(wire, target)
    _verify_text(_echo(wire, target, encode_utf16(ASTRAL, order="big")), ASTRAL)


INVALID = {
    "odd-octet-count": encode_utf16(TEXT) + b"!",
    "high-surrogate-then-letter": encode_utf16("ab") + bytes.fromhex("d834 0061"),
    "lone-low-surrogate": encode_utf16("ab") + bytes.fromhex("dd1e 0061"),
    "ends-in-high-surrogate": encode_utf16("ab") + bytes.fromhex("d834"),
}


@pytest.mark.requirement(
    "utf16/rfc2781/echo/invalid-input-closed",
    level="MUST",
    ref="RFC 2781, 2.2 Decoding UTF-16",
    quote=IN_ERROR,
)
@pytest.mark.parametrize("document", list(INVALID.values()), ids=list(INVALID))
def test_invalid_input_gets_a_close(target: Target, wire: Wire, document: bytes) -> None:
    """Send a document that is not UTF-16 (an odd octet count, an unpaired surrogate), then
    shut down our sending side: the server must close without replying, not send garbage."""
    _sane(wire, target)
    observed = _echo(wire, target, document)
    if observed.received:
        text = _text_of(observed.received)
        reads = "is not UTF-16 either" if text is None else f"reads {text!r}"
        detail = f"a reply to input that is not UTF-16; the reply {reads}"
        observed = Observation(observed.received, observed.end, observed.elapsed, detail)
    verify(
        observed,
        received=b"",
        then={End.FIN, End.RST},
        expected="no reply (the input is not UTF-16)",
    )

"""UTF-8 test vectors in the style of Markus Kuhn's UTF-8-test.txt, built here from the rules.

RFC 3629 §4's grammar decides validity: overlong forms, UTF-16 surrogates (U+D800 to
U+DFFF), values above U+10FFFF, the octets C0, C1 and F5 to FF, stray continuation
octets and truncated sequences are invalid; non-characters (U+FFFE, U+FFFF, U+FDD0 to
U+FDEF, U+nFFFE/U+nFFFF) are valid, as Autobahn 6.22 expects. Each vector is named by
the Kuhn section it follows. ``VALID`` and ``INVALID`` map a name to (octets, words).
"""

from __future__ import annotations


def _enc(cp: int, size: int) -> bytes:
    """Encode ``cp`` in ``size`` octets by the UTF-8 bit pattern, overlong or not, even
    beyond U+10FFFF or for surrogates (so invalid vectors are made by the same rule)."""
    if size == 1:
        return bytes([cp])
    lead = (0xFF << (8 - size)) & 0xFF
    out = []
    for _ in range(size - 1):
        out.append(0x80 | (cp & 0x3F))
        cp >>= 6
    out.append(lead | cp)
    return bytes(reversed(out))


VALID: dict[str, tuple[bytes, str]] = {}
INVALID: dict[str, tuple[bytes, str]] = {}


def _valid(name: str, data: bytes, words: str) -> None:
    assert name not in VALID
    data.decode("utf-8")  # a bug in this table would be a bug in every verdict
    VALID[name] = (data, words)


def _invalid(name: str, data: bytes, words: str) -> None:
    assert name not in INVALID
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        INVALID[name] = (data, words)
        return
    raise AssertionError(f"{name} is valid UTF-8")


# Kuhn 1: some correct text.
_valid("kosme", "κόσμε".encode(), "'κόσμε' (Kuhn 1)")
_valid("hello-mixed", "Hello-µ@ßöäüàá-UTF-8!!".encode(), "'Hello-µ@ßöäüàá-UTF-8!!' (Autobahn 6.2)")

# Kuhn 2.1-2.3: boundary cases.
for _cp, _size in ((0x0, 1), (0x80, 2), (0x800, 3), (0x10000, 4)):
    _valid(
        f"first-{_size}-byte", _enc(_cp, _size), f"U+{_cp:04X}, the first {_size}-byte code point"
    )
for _cp, _size in ((0x7F, 1), (0x7FF, 2), (0xFFFF, 3)):
    _valid(f"last-{_size}-byte", _enc(_cp, _size), f"U+{_cp:04X}, the last {_size}-byte code point")
for _cp in (0xD7FF, 0xE000, 0xFFFD, 0x10FFFF):
    _valid(f"boundary-{_cp:04x}", _enc(_cp, 4 if _cp > 0xFFFF else 3), f"U+{_cp:04X}")
_invalid("last-4-byte-pattern", _enc(0x1FFFFF, 4), "U+1FFFFF, past U+10FFFF (Kuhn 2.2.4)")
_invalid("first-above-10ffff", _enc(0x110000, 4), "U+110000, the first value past U+10FFFF")
_invalid("f5-lead", b"\xf5\x80\x80\x80", "the lead octet F5 (values past U+13FFFF)")
for _size, _cp in ((5, 0x200000), (6, 0x4000000)):
    _invalid(
        f"first-{_size}-byte", _enc(_cp, _size), f"a {_size}-octet sequence (Kuhn 2.1.{_size})"
    )
for _size, _cp in ((5, 0x3FFFFFF), (6, 0x7FFFFFFF)):
    _invalid(f"last-{_size}-byte", _enc(_cp, _size), f"the last {_size}-octet sequence (Kuhn 2.2)")

# Kuhn 3.1: unexpected continuation octets.
_invalid("continuation-80", b"\x80", "a lone first continuation octet 80 (Kuhn 3.1.1)")
_invalid("continuation-bf", b"\xbf", "a lone last continuation octet BF (Kuhn 3.1.2)")
for _n in range(2, 8):
    _invalid(
        f"continuations-{_n}",
        bytes([0x80, 0xBF] * 4)[:_n],
        f"{_n} continuation octets (Kuhn 3.1.{_n + 1})",
    )
_invalid("all-continuations", bytes(range(0x80, 0xC0)), "all 64 continuation octets (Kuhn 3.1.9)")

# Kuhn 3.2: lonely start characters, each followed by a space.
_invalid(
    "lonely-2-byte-starts",
    b"".join(bytes([b, 0x20]) for b in range(0xC0, 0xE0)),
    "each 2-octet lead C0-DF followed by a space (Kuhn 3.2.1)",
)
_invalid(
    "lonely-3-byte-starts",
    b"".join(bytes([b, 0x20]) for b in range(0xE0, 0xF0)),
    "each 3-octet lead E0-EF followed by a space (Kuhn 3.2.2)",
)
_invalid(
    "lonely-4-byte-starts",
    b"".join(bytes([b, 0x20]) for b in range(0xF0, 0xF8)),
    "each 4-octet lead F0-F7 followed by a space (Kuhn 3.2.3)",
)
_invalid(
    "lonely-5-byte-starts",
    b"".join(bytes([b, 0x20]) for b in range(0xF8, 0xFC)),
    "each 5-octet lead F8-FB followed by a space (Kuhn 3.2.4)",
)
_invalid(
    "lonely-6-byte-starts",
    b"\xfc \xfd ",
    "the 6-octet leads FC and FD followed by spaces (Kuhn 3.2.5)",
)
for _lead in (0xC2, 0xDF, 0xE1, 0xEF, 0xF1, 0xF4):
    _invalid(
        f"lonely-{_lead:02x}", bytes([_lead, 0x20]), f"the lead {_lead:02X} followed by a space"
    )

# Kuhn 3.3: sequences with the last continuation octet missing.
for _size, _cp in ((2, 0x0), (3, 0x0), (4, 0x0), (5, 0x0), (6, 0x0)):
    _invalid(
        f"truncated-first-{_size}",
        _enc(_cp, _size)[:-1],
        f"a {_size}-octet sequence for U+0000 with its last octet missing (Kuhn 3.3)",
    )
for _size, _cp in ((2, 0x7FF), (3, 0xFFFF), (4, 0x1FFFFF), (5, 0x3FFFFFF), (6, 0x7FFFFFFF)):
    _invalid(
        f"truncated-last-{_size}",
        _enc(_cp, _size)[:-1],
        f"the last {_size}-octet sequence with its last octet missing (Kuhn 3.3)",
    )
_invalid("truncated-kosme", "κόσμε".encode()[:-1], "'κόσμε' with its last octet cut")
_invalid("truncated-4-of-3", _enc(0x10FFFF, 4)[:-1], "U+10FFFF with its last octet missing")
_invalid("truncated-4-of-2", _enc(0x10000, 4)[:2], "U+10000 with its last two octets missing")

# Kuhn 3.4: all of 3.3 concatenated.
_invalid(
    "truncated-concatenated",
    b"".join(
        _enc(cp, n)[:-1]
        for n, cp in (
            (2, 0),
            (3, 0),
            (4, 0),
            (5, 0),
            (6, 0),
            (2, 0x7FF),
            (3, 0xFFFF),
            (4, 0x1FFFFF),
            (5, 0x3FFFFFF),
            (6, 0x7FFFFFFF),
        )
    ),
    "every truncated sequence of Kuhn 3.3, concatenated (Kuhn 3.4)",
)

# Kuhn 3.5: impossible octets.
_invalid("impossible-fe", b"\xfe", "the octet FE (Kuhn 3.5.1)")
_invalid("impossible-ff", b"\xff", "the octet FF (Kuhn 3.5.2)")
_invalid("impossible-fefeffff", b"\xfe\xfe\xff\xff", "FE FE FF FF (Kuhn 3.5.3)")
_invalid("impossible-c0", b"\xc0", "the octet C0 alone")
_invalid("impossible-c1", b"\xc1\x80", "C1 80 (C1 can only start an overlong form)")

# Kuhn 4: overlong forms.
for _size in range(2, 7):
    _invalid(
        f"overlong-slash-{_size}", _enc(0x2F, _size), f"'/' (U+002F) in {_size} octets (Kuhn 4.1)"
    )
for _size, _cp in ((2, 0x7F), (3, 0x7FF), (4, 0xFFFF), (5, 0x1FFFFF), (6, 0x3FFFFFF)):
    _invalid(
        f"overlong-max-{_size}",
        _enc(_cp, _size),
        f"U+{_cp:04X}, the largest overlong {_size}-octet form (Kuhn 4.2)",
    )
for _size in range(2, 7):
    _invalid(f"overlong-nul-{_size}", _enc(0, _size), f"U+0000 in {_size} octets (Kuhn 4.3)")

# Kuhn 5.1 and 5.2: surrogates, single and paired.
for _cp in (0xD800, 0xDB7F, 0xDB80, 0xDBFF, 0xDC00, 0xDF80, 0xDFFF):
    _invalid(f"surrogate-{_cp:04x}", _enc(_cp, 3), f"the surrogate U+{_cp:04X} (Kuhn 5.1)")
for _hi, _lo in (
    (0xD800, 0xDC00),
    (0xD800, 0xDFFF),
    (0xDB7F, 0xDC00),
    (0xDB7F, 0xDFFF),
    (0xDB80, 0xDC00),
    (0xDB80, 0xDFFF),
    (0xDBFF, 0xDC00),
    (0xDBFF, 0xDFFF),
):
    _invalid(
        f"surrogates-{_hi:04x}-{_lo:04x}",
        _enc(_hi, 3) + _enc(_lo, 3),
        f"the surrogate pair U+{_hi:04X} U+{_lo:04X} as two 3-octet forms (Kuhn 5.2)",
    )

# Kuhn 5.3: non-characters are valid (Autobahn 6.22).
_valid("noncharacter-fffe", _enc(0xFFFE, 3), "U+FFFE, a non-character (Kuhn 5.3)")
_valid("noncharacter-ffff", _enc(0xFFFF, 3), "U+FFFF, a non-character (Kuhn 5.3)")
_valid(
    "noncharacters-fdd0-fdef",
    b"".join(_enc(c, 3) for c in range(0xFDD0, 0xFDF0)),
    "U+FDD0 to U+FDEF (Kuhn 5.3.3)",
)
for _plane in range(1, 17):  # Autobahn 6.22: each its own case
    for _end in (0xFFFE, 0xFFFF):
        _cp = _plane * 0x10000 + _end
        _valid(f"noncharacter-{_cp:x}", _enc(_cp, 4), f"U+{_cp:X}, a non-character (Kuhn 5.3.4)")

# Mixed: valid text around an invalid sequence (Autobahn 6.3.1, 6.5-6.8 style).
_invalid(
    "kosme-surrogate-edited",
    "κόσμε".encode() + b"\xed\xa0\x80" + b"edited",
    "'κόσμε', the surrogate ED A0 80, then 'edited' (Autobahn 6.3.1)",
)
_invalid(
    "valid-then-overlong", b"Hello " + _enc(0x2F, 2) + b" world", "ASCII around an overlong '/'"
)
_invalid("valid-then-above-max", "κόσμε".encode() + b"\xf4\x90\x80\x80", "'κόσμε' then U+110000")

#: Valid multi-octet texts that the fragmentation checks split at every octet.
SPLIT_TEXTS: dict[str, bytes] = {
    "kosme": "κόσμε".encode(),
    "hello-mixed": "Hello-µ@ßöäüàá-UTF-8!!".encode(),
    "astral": "a\U0001f600b\U0010fffdc".encode(),
}

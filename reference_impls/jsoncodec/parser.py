"""Strict RFC 8259 parser over bytes, with Go 1.19 encoding/json's decode rules.

Objects are dicts (first-seen key order; a repeated key's last value wins), numbers
exact ints when integral (``-0`` is -0.0), else floats; see :func:`parse`. Errors
carry Go's message and ``offset``, the index of the offending byte (Go's
``SyntaxError.Offset`` minus one), or ``len(data)`` at a premature end. The parser
keeps its own stack: depth is bounded by ``max_depth``, never by recursion.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec._text import GO_REPLACE, go_decode, quote_char

__all__ = ["DEFAULT_MAX_DEPTH", "Members", "Number", "number_value", "parse", "parse_members"]

#: Go's ``maxNestingDepth``: 10000 nested arrays/objects parse, 10001 do not.
DEFAULT_MAX_DEPTH = 10000

# RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D )
_WS = re.compile(rb"[ \t\n\r]*")
_DIGITS = re.compile(rb"[0-9]*")
# RFC 8259 §7: unescaped = %x20-21 / %x23-5B / %x5D-10FFFF
_STR_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_SIMPLE_STRING = re.compile(rb'"([^"\\\x00-\x1f]*)"')
_SIMPLE_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {
    ord('"'): '"',
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX = frozenset(b"0123456789abcdefABCDEF")
_LITERALS: dict[int, tuple[bytes, object]] = {
    ord("t"): (b"true", True),
    ord("f"): (b"false", False),
    ord("n"): (b"null", None),
}

# Where the scanner is between tokens (Go's scanner states, one per token).
_VALUE = 0  # stateBeginValue
_VALUE_OR_CLOSE = 1  # stateBeginValueOrEmpty: just after '['
_KEY_OR_CLOSE = 2  # stateBeginStringOrEmpty: just after '{'
_KEY = 3  # stateBeginString: after ',' in an object
_COLON = 4  # after an object key
_AFTER = 5  # after an element or member: ',' or the closing bracket
_DONE = 6  # a whole top-level value has been read

# The token being read when the input ran out.
_T_NONE = 0
_T_STRING = 1
_T_NUMBER = 2
_T_LITERAL = 3

# Number sub-states, named after Go's.
_N_NEG = 0  # after '-'
_N_ZERO = 1  # after a leading '0'
_N_INT = 2  # in the integer digits 1-9...
_N_DOT = 3  # after '.'
_N_FRAC = 4  # in the fraction digits
_N_E = 5  # after 'e' or 'E'
_N_ESIGN = 6  # after the exponent's sign
_N_EXP = 7  # in the exponent digits
_N_COMPLETE = frozenset({_N_ZERO, _N_INT, _N_FRAC, _N_EXP})


class Number(str):
    """A JSON number's exact text, from ``parse(..., number_literals=True)``."""

    __slots__ = ()


class Members(list[tuple[str, Any]]):
    """An object as its members in order, repeated keys included (for :mod:`.models`,
    which, like Go, decodes every occurrence of a key into the same field)."""

    __slots__ = ()


def number_value(text: str | bytes) -> int | float | None:
    """A number literal's value: an exact int if it has no fraction or exponent (but
    ``-0`` is -0.0), else the nearest float; None if a float cannot hold it."""
    if isinstance(text, str):
        text = text.encode("ascii")
    if b"." not in text and b"e" not in text and b"E" not in text:
        if text == b"-0":
            return -0.0
        limit = sys.get_int_max_str_digits()
        if not limit or len(text) - (text[0] == 0x2D) <= limit:
            return int(text)
        return None
    value = float(text)
    return None if value in (_INF, -_INF) else value


_INF = float("inf")


def _syntax(message: str, offset: int) -> RemoteProtocolError:
    return RemoteProtocolError(message, offset=offset)


def _bad(c: int, context: str, offset: int) -> RemoteProtocolError:
    return _syntax(f"invalid character {quote_char(c)} {context}", offset)


class _Scanner:
    """Go's JSON scanner, a token at a time, able to stop at the end of the input
    and resume when more arrives (for :mod:`.stream`).

    :meth:`run` returns the index just past a complete top-level value, or -1 when it
    needs more input; every position it keeps is an index into the same growing
    buffer. ``base`` is added to every error offset.
    """

    def __init__(
        self, max_depth: int, *, stream: bool, literal: bool = False, pairs: bool = False
    ) -> None:
        if max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, not {max_depth}")
        self.max_depth = max_depth
        # At a premature end, json.Decoder says "unexpected EOF" where Unmarshal
        # steps a virtual space through the scanner.
        self.stream = stream
        self.literal = literal  # numbers as Number
        self.pairs = pairs  # objects as Members
        self.base = 0
        self.reset()

    def reset(self) -> None:
        self.containers: list[list[Any] | dict[str, Any] | Members] = []
        self.keys: list[str] = []
        self.state = _VALUE
        self.pos = 0
        self.result: Any = None
        self.deferred: RemoteProtocolError | None = None
        self.tok = _T_NONE
        self.tok_start = 0
        self.tok_sub = 0
        self.tok_escaped = False

    # ----------------------------------------------------------------- errors

    def _eof(self, end: int, c_context: str | None = None) -> RemoteProtocolError:
        if self.stream:
            return _syntax("unexpected EOF", self.base + end)
        if c_context is not None:
            # Go's scanner.eof() steps a ' ' through the state it was left in.
            return _bad(0x20, c_context, self.base + end)
        return _syntax("unexpected end of JSON input", self.base + end)

    # -------------------------------------------------------------- main loop

    def run(self, buf: bytes | bytearray, eof: bool) -> int:
        end = len(buf)
        pos = self.pos
        if self.tok != _T_NONE:
            pos = self._token(buf, pos, end, eof)
            if pos < 0:
                return -1
        while True:
            if self.state == _DONE:
                self.pos = pos
                return pos
            if pos < end and buf[pos] in b" \t\n\r":
                pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                self.pos = pos
                if not eof:
                    return -1
                raise self._eof(end)
            c = buf[pos]
            state = self.state
            if state <= _VALUE_OR_CLOSE:
                if c == 0x5D and state == _VALUE_OR_CLOSE:  # ']'
                    self._close(pos)
                    pos += 1
                elif c == 0x7B or c == 0x5B:  # '{' or '['
                    # RFC 8259 §9: "An implementation may set limits on the maximum depth
                    # of nesting." Go's is maxNestingDepth (10000).
                    if len(self.containers) >= self.max_depth:
                        raise _bad(c, "exceeded max depth", self.base + pos)
                    if c == 0x7B:
                        self.containers.append(Members() if self.pairs else {})
                        self.keys.append("")
                        self.state = _KEY_OR_CLOSE
                    else:
                        self.containers.append([])
                        self.state = _VALUE_OR_CLOSE
                    pos += 1
                elif c == 0x22 or c == 0x2D or 0x30 <= c <= 0x39 or c in _LITERALS:
                    new = self._fast_token(buf, pos, end)
                    pos = new if new >= 0 else self._start_token(buf, pos, end, eof)
                    if pos < 0:
                        return -1
                else:
                    raise _bad(c, "looking for beginning of value", self.base + pos)
            elif state <= _KEY:
                if c == 0x7D and state == _KEY_OR_CLOSE:  # '}'
                    self._close(pos)
                    pos += 1
                elif c == 0x22:
                    # RFC 8259 §4: object = begin-object [ member *( value-separator
                    # member ) ] end-object; member = string name-separator value
                    new = self._fast_token(buf, pos, end)
                    pos = new if new >= 0 else self._start_token(buf, pos, end, eof)
                    if pos < 0:
                        return -1
                else:
                    raise _bad(c, "looking for beginning of object key string", self.base + pos)
            elif state == _COLON:
                if c != 0x3A:
                    raise _bad(c, "after object key", self.base + pos)
                self.state = _VALUE
                pos += 1
            else:  # _AFTER
                top = self.containers[-1]
                if type(top) is list:
                    # RFC 8259 §5: array = begin-array [ value *( value-separator value ) ]
                    # end-array (so no trailing comma)
                    if c == 0x2C:
                        self.state = _VALUE
                    elif c == 0x5D:
                        self._close(pos)
                    else:
                        raise _bad(c, "after array element", self.base + pos)
                elif c == 0x2C:
                    self.state = _KEY
                elif c == 0x7D:
                    self._close(pos)
                else:
                    raise _bad(c, "after object key:value pair", self.base + pos)
                pos += 1

    def _close(self, pos: int) -> None:
        value = self.containers.pop()
        if type(value) is not list:
            self.keys.pop()
        self.state = _AFTER  # a value, not a key, whatever the state was
        self._deliver(value)

    def _deliver(self, value: Any) -> None:
        state = self.state
        if state in (_KEY, _KEY_OR_CLOSE):
            self.keys[-1] = value
            self.state = _COLON
            return
        if not self.containers:
            self.result = value
            self.state = _DONE
            return
        top = self.containers[-1]
        if isinstance(top, dict):
            # RFC 8259 §4: "The names within an object SHOULD be unique." When they
            # are not, Go's rule: the last one wins.
            top[self.keys[-1]] = value
        elif isinstance(top, Members):
            top.append((self.keys[-1], value))
        else:
            top.append(value)
        self.state = _AFTER

    # ----------------------------------------------------------------- tokens

    def _fast_token(self, buf: bytes | bytearray, pos: int, end: int) -> int:
        """A whole string without escapes, or a number followed by a byte that cannot
        continue it, read in one regex match; -1 if the careful path must decide."""
        if buf[pos] == 0x22:
            m = _SIMPLE_STRING.match(buf, pos)
            if m is None:
                return -1
            self._deliver(m.group(1).decode("utf-8", GO_REPLACE))
            return m.end()
        m = _SIMPLE_NUMBER.match(buf, pos)
        if m is None:
            return -1
        after = m.end()
        if after >= end or buf[after] in b".eE":
            return -1
        text = m.group()
        if self.literal:
            self._deliver(Number(text.decode("ascii")))
        elif m.group(1) is None and m.group(2) is None and len(text) < 19 and text != b"-0":
            self._deliver(int(text))
        else:
            self._deliver(self._number_value(bytes(text), pos))
        return after

    def _start_token(self, buf: bytes | bytearray, pos: int, end: int, eof: bool) -> int:
        c = buf[pos]
        self.tok_start = pos
        if c == 0x22:
            self.tok = _T_STRING
            self.tok_escaped = False
            pos += 1
        elif c == 0x2D or 0x30 <= c <= 0x39:
            self.tok = _T_NUMBER
            self.tok_sub = _N_NEG if c == 0x2D else _N_ZERO if c == 0x30 else _N_INT
            pos += 1
        else:
            self.tok = _T_LITERAL
            self.tok_sub = 1
            pos += 1
        return self._token(buf, pos, end, eof)

    def _token(self, buf: bytes | bytearray, pos: int, end: int, eof: bool) -> int:
        if self.tok == _T_STRING:
            pos = self._string(buf, pos, end, eof)
        elif self.tok == _T_NUMBER:
            pos = self._number(buf, pos, end, eof)
        else:
            pos = self._literal(buf, pos, end, eof)
        if pos < 0:
            return -1
        self.tok = _T_NONE
        return pos

    def _need(self, pos: int) -> int:
        self.pos = pos
        return -1

    def _string(self, buf: bytes | bytearray, pos: int, end: int, eof: bool) -> int:
        # RFC 8259 §7: string = quotation-mark *char quotation-mark
        while True:
            pos = _STR_RUN.match(buf, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                if eof:
                    raise self._eof(end)
                return self._need(pos)
            c = buf[pos]
            if c == 0x22:
                break
            if c < 0x20:
                # RFC 8259 §7: "All Unicode characters may be placed within the quotation
                # marks, except for the characters that MUST be escaped: quotation mark,
                # reverse solidus, and the control characters (U+0000 through U+001F)."
                raise _bad(c, "in string literal", self.base + pos)
            # A backslash: RFC 8259 §7 allows \" \\ \/ \b \f \n \r \t and \uXXXX only.
            if pos + 1 >= end:
                if eof:
                    raise self._eof(end, "in string escape code")
                return self._need(pos)
            e = buf[pos + 1]
            if e == 0x75:  # 'u'
                for k in range(pos + 2, pos + 6):
                    if k >= end:
                        if eof:
                            raise self._eof(end, "in \\u hexadecimal character escape")
                        return self._need(pos)
                    if buf[k] not in _HEX:
                        raise _bad(buf[k], "in \\u hexadecimal character escape", self.base + k)
                pos += 6
            elif e in _SIMPLE_ESCAPES:
                pos += 2
            else:
                raise _bad(e, "in string escape code", self.base + pos + 1)
            self.tok_escaped = True
        body = buf[self.tok_start + 1 : pos]
        # RFC 8259 §8.1: JSON text "MUST be encoded using UTF-8". Go does not refuse
        # other bytes: each invalid one becomes U+FFFD.
        self._deliver(_unescape(body) if self.tok_escaped else go_decode(body))
        return pos + 1

    def _number(self, buf: bytes | bytearray, pos: int, end: int, eof: bool) -> int:
        # RFC 8259 §6: number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9
        # *DIGIT ); frac = decimal-point 1*DIGIT; exp = e [ minus / plus ] 1*DIGIT
        sub = self.tok_sub
        while True:
            if sub in (_N_INT, _N_FRAC, _N_EXP):
                pos = _DIGITS.match(buf, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                if not eof:
                    self.tok_sub = sub
                    return self._need(pos)
                if sub in _N_COMPLETE:
                    break
                raise self._eof(end, _NUMBER_CONTEXT[sub])
            c = buf[pos]
            if sub == _N_NEG:
                if c == 0x30:
                    sub = _N_ZERO
                elif 0x31 <= c <= 0x39:
                    sub = _N_INT
                else:
                    raise _bad(c, "in numeric literal", self.base + pos)
            elif sub in (_N_ZERO, _N_INT):
                # A leading zero ends the int: "01" is 0, then a stray '1' (as in Go).
                if c == 0x2E:
                    sub = _N_DOT
                elif c == 0x65 or c == 0x45:
                    sub = _N_E
                else:
                    break
            elif sub == _N_DOT:
                if not 0x30 <= c <= 0x39:
                    raise _bad(c, "after decimal point in numeric literal", self.base + pos)
                sub = _N_FRAC
            elif sub == _N_FRAC:
                if c == 0x65 or c == 0x45:
                    sub = _N_E
                else:
                    break
            elif sub == _N_E:
                if c == 0x2B or c == 0x2D:
                    sub = _N_ESIGN
                elif 0x30 <= c <= 0x39:
                    sub = _N_EXP
                else:
                    raise _bad(c, "in exponent of numeric literal", self.base + pos)
            elif sub == _N_ESIGN:
                if not 0x30 <= c <= 0x39:
                    raise _bad(c, "in exponent of numeric literal", self.base + pos)
                sub = _N_EXP
            else:  # _N_EXP, ended by a non-digit
                break
            pos += 1
        text = bytes(buf[self.tok_start : pos])
        if self.literal:
            self._deliver(Number(text.decode("ascii")))
        else:
            self._deliver(self._number_value(text, self.tok_start))
        return pos

    def _number_value(self, text: bytes, start: int) -> int | float:
        value = number_value(text)
        if value is not None:
            return value
        if self.deferred is None:
            # RFC 8259 §6: "This specification allows implementations to set limits on
            # the range and precision of numbers accepted." Go reports it only once the
            # whole input is known to be well-formed, so this error waits.
            shown = text.decode("ascii")
            if len(shown) > 64:
                shown = f"{shown[:30]}...{shown[-30:]} ({len(shown)} characters)"
            self.deferred = RemoteProtocolError(
                f"json: cannot unmarshal number {shown} into Go value of type float64",
                offset=self.base + start,
            )
        return _INF

    def _literal(self, buf: bytes | bytearray, pos: int, end: int, eof: bool) -> int:
        # RFC 8259 §3: "The literal names MUST be lowercase."
        word, value = _LITERALS[buf[self.tok_start]]
        name = word.decode("ascii")
        i = self.tok_sub
        while i < len(word):
            if pos >= end:
                if eof:
                    raise self._eof(end, f"in literal {name} (expecting {quote_char(word[i])})")
                self.tok_sub = i
                return self._need(pos)
            if buf[pos] != word[i]:
                raise _bad(
                    buf[pos],
                    f"in literal {name} (expecting {quote_char(word[i])})",
                    self.base + pos,
                )
            i += 1
            pos += 1
        self._deliver(value)
        return pos


_NUMBER_CONTEXT = {
    _N_NEG: "in numeric literal",
    _N_DOT: "after decimal point in numeric literal",
    _N_E: "in exponent of numeric literal",
    _N_ESIGN: "in exponent of numeric literal",
}


def _unescape(body: bytes | bytearray) -> str:
    """Decode a string body known to hold only valid escapes (Go's ``unquote``)."""
    out: list[str] = []
    pos = 0
    n = len(body)
    while pos < n:
        m = _ESCAPE.search(body, pos)
        if m is None:
            out.append(go_decode(body[pos:]))
            break
        if m.start() > pos:
            out.append(go_decode(body[pos : m.start()]))
        pos = m.end()
        hex4 = m.group(1)
        if hex4 is None:
            out.append(_SIMPLE_ESCAPES[m.group(2)[0]])
            continue
        code = int(hex4, 16)
        if 0xD800 <= code <= 0xDFFF:
            # RFC 8259 §7: a character outside the BMP is "a 12-character sequence,
            # encoding the UTF-16 surrogate pair". §8.2: with an unpaired surrogate
            # "the behavior of software that receives JSON texts containing such values
            # is unpredictable"; Go's is U+FFFD, reading the next escape afresh.
            nxt = _ESCAPE.match(body, pos)
            low = int(nxt.group(1), 16) if nxt is not None and nxt.group(1) else -1
            if code <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
                out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                pos = nxt.end()  # type: ignore[union-attr]
            else:
                out.append("\ufffd")
            continue
        out.append(chr(code))
    return "".join(out)


def parse(
    data: bytes | bytearray | memoryview,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    number_literals: bool = False,
) -> Any:
    """Parse one JSON text (RFC 8259 §2: ``JSON-text = ws value ws``) from ``data``.

    Raises :class:`RemoteProtocolError` for anything that is not exactly one
    well-formed value, or is nested deeper than ``max_depth``. Invalid UTF-8 inside
    strings, and ``\\u`` escapes of lone surrogates, become U+FFFD (Go's rule). With
    ``number_literals``, every number is a :class:`Number` holding its exact text.
    """
    return _parse(data, max_depth, literal=number_literals, pairs=False)


def parse_members(data: bytes | bytearray | memoryview, *, max_depth: int) -> Any:
    """Like ``parse(data, number_literals=True)``, objects as :class:`Members`."""
    return _parse(data, max_depth, literal=True, pairs=True)


def _parse(
    data: bytes | bytearray | memoryview, max_depth: int, *, literal: bool, pairs: bool
) -> Any:
    buf = bytes(data)
    scanner = _Scanner(max_depth, stream=False, literal=literal, pairs=pairs)
    end = scanner.run(buf, eof=True)
    tail = _WS.match(buf, end).end()  # type: ignore[union-attr]
    if tail < len(buf):
        raise _bad(buf[tail], "after top-level value", tail)
    if scanner.deferred is not None:
        raise scanner.deferred
    return scanner.result

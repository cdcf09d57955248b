"""UTF-8 (RFC 3629), sans-IO: a strict incremental validating decoder; no sockets.

Strict means RFC 3629's definition (section 4's syntax): no overlong forms (C0, C1,
E0 80-9F, F0 80-8F), no surrogates (ED A0-BF: U+D800-U+DFFF), nothing above U+10FFFF
(F4 90-BF, F5-FF), no stray continuation octets, no sequence cut short. The first
violation is a :class:`~reference_impls.errors.RemoteProtocolError` whose ``offset``
is the stream offset of the first octet that cannot belong to a well-formed
character: the lead octet of a sequence that goes wrong, as Python's own codec counts
(``UnicodeDecodeError.start``).

Octets may arrive split anywhere, even inside a sequence: the result does not depend
on how the stream is cut.
"""

from __future__ import annotations

from typing import NoReturn

from reference_impls.errors import LocalProtocolError, RemoteProtocolError

__all__ = ["Utf8Decoder", "decode_utf8"]

# Lead octet -> (octets that follow, lowest and highest allowed second octet).
_LEADS: dict[int, tuple[int, int, int]] = {}
for _b in range(0xC2, 0xE0):
    _LEADS[_b] = (1, 0x80, 0xBF)
_LEADS[0xE0] = (2, 0xA0, 0xBF)  # E0 80-9F would be overlong
for _b in [*range(0xE1, 0xED), 0xEE, 0xEF]:
    _LEADS[_b] = (2, 0x80, 0xBF)
_LEADS[0xED] = (2, 0x80, 0x9F)  # ED A0-BF would be a surrogate
_LEADS[0xF0] = (3, 0x90, 0xBF)  # F0 80-8F would be overlong
for _b in range(0xF1, 0xF4):
    _LEADS[_b] = (3, 0x80, 0xBF)
_LEADS[0xF4] = (3, 0x80, 0x8F)  # F4 90-BF would be above U+10FFFF


def _why_bad_lead(octet: int) -> str:
    if octet in (0xC0, 0xC1):
        return "C0 and C1 only begin overlong forms and never appear in UTF-8"
    if octet >= 0xF5:
        return "F5 to FF never appear in UTF-8 (they would encode above U+10FFFF)"
    return "a continuation octet (80-BF) with no lead octet before it"


def _why_bad_second(lead: int, octet: int) -> str:
    if not 0x80 <= octet <= 0xBF:
        return f"0x{octet:02X} is not a continuation octet (80-BF)"
    if lead == 0xE0 or lead == 0xF0:
        return "an overlong form (the character has a shorter encoding)"
    if lead == 0xED:
        return "a surrogate (U+D800-U+DFFF), which UTF-8 prohibits"
    if lead == 0xF4:
        return "a character above U+10FFFF"
    return "not a continuation octet"


class Utf8Decoder:
    """Incremental strict UTF-8 decoder: :meth:`receive_data`, then :meth:`receive_eof`.

    Each call returns the characters completed by it.
    """

    def __init__(self) -> None:
        self._offset = 0  # octets consumed
        self._need = 0  # continuation octets still expected
        self._code = 0
        self._lo, self._hi = 0x80, 0xBF
        self._start = 0  # offset of the current sequence's lead octet
        self._lead = 0
        self._eof = False
        self._error: RemoteProtocolError | None = None
        self.characters = 0
        #: Characters of more than one octet seen so far.
        self.multibyte = 0

    @property
    def offset(self) -> int:
        """Octets received so far."""
        return self._offset

    @property
    def error(self) -> RemoteProtocolError | None:
        return self._error

    def receive_data(self, data: bytes) -> str:
        self._check_usable()
        out: list[str] = []
        base = self._offset
        for i, octet in enumerate(bytes(data)):
            if self._need == 0:
                if octet < 0x80:
                    out.append(chr(octet))
                    continue
                lead = _LEADS.get(octet)
                if lead is None:
                    self._offset = base + i
                    self._fail(
                        f"invalid UTF-8 at offset {base + i}: octet 0x{octet:02X}: "
                        + _why_bad_lead(octet),
                        base + i,
                    )
                self._need, self._lo, self._hi = lead
                self._code = octet & (0x3F >> self._need)
                self._start, self._lead = base + i, octet
                continue
            if not self._lo <= octet <= self._hi:
                self._offset = base + i
                why = _why_bad_second(self._lead, octet)
                self._fail(
                    f"invalid UTF-8 at offset {self._start}: the sequence begun by "
                    f"0x{self._lead:02X} meets 0x{octet:02X} at offset {base + i}: {why}",
                    self._start,
                )
            self._code = self._code << 6 | (octet & 0x3F)
            self._need -= 1
            self._lo, self._hi = 0x80, 0xBF
            if self._need == 0:
                out.append(chr(self._code))
                self.multibyte += 1
        self._offset = base + len(data)
        self.characters += len(out)
        return "".join(out)

    def receive_eof(self) -> str:
        self._check_usable()
        self._eof = True
        if self._need:
            self._fail(
                f"invalid UTF-8 at offset {self._start}: the stream ends inside the sequence "
                f"begun by 0x{self._lead:02X} ({self._need} more octet(s) were due)",
                self._start,
            )
        return ""

    def _fail(self, message: str, offset: int) -> NoReturn:
        self._error = RemoteProtocolError(message, offset=offset)
        raise self._error

    def _check_usable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._eof:
            raise LocalProtocolError("the stream has ended: no more data after receive_eof()")


def decode_utf8(data: bytes) -> str:
    """Decode a whole stream strictly, or raise RemoteProtocolError at the first bad octet."""
    decoder = Utf8Decoder()
    return decoder.receive_data(data) + decoder.receive_eof()

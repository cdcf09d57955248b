"""What a daytime string may look like, and which well-known syntax it follows.

RFC 867 leaves the syntax open ("There is no specific syntax for the daytime") and
suggests two forms; servers in the wild use several more. Recognising one is
informational: the suite reports which, and how far the clock is from ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Recognised", "is_printable_ascii", "recognise", "strip_line_ending"]


def strip_line_ending(data: bytes) -> bytes:
    """The text without one trailing CRLF or LF, which RFC 867 servers commonly send."""
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data


def is_printable_ascii(data: bytes) -> bool:
    """Printable ASCII (0x20 to 0x7E), with at most one trailing CRLF or LF."""
    text = strip_line_ending(data)
    return bool(text) and all(0x20 <= b <= 0x7E for b in text)


@dataclass(frozen=True)
class Recognised:
    syntax: str
    when: datetime | None  #: in UTC, when the zone could be read

    def describe(self, now: datetime) -> str:
        if self.when is None:
            return self.syntax
        offset = (self.when - now).total_seconds()
        return f"{self.syntax}; clock differs from ours by {offset:+.0f} s"


_ZONES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}


def _zone(text: str) -> timedelta | None:
    if text.upper() in _ZONES:
        return timedelta(hours=_ZONES[text.upper()])
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text)
    if match:
        sign = 1 if match[1] == "+" else -1
        return sign * timedelta(hours=int(match[2]), minutes=int(match[3]))
    return None


def _at(fmt: str, text: str, zone: str | None) -> datetime | None:
    try:
        naive = datetime.strptime(text, fmt)
    except ValueError:
        return None
    offset = _zone(zone) if zone is not None else None
    if offset is None:
        return None
    return (naive - offset).replace(tzinfo=UTC)


# (name, pattern with groups 'dt' and optionally 'zone', strptime format of 'dt')
_SYNTAXES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "RFC 867 example (Weekday, Month Day, Year HH:MM:SS-ZONE)",
        re.compile(
            r"(?:[A-Za-z]+), (?P<dt>[A-Za-z]+ \d{1,2}, \d{4} \d\d:\d\d:\d\d)-(?P<zone>[A-Za-z]+)"
        ),
        "%B %d, %Y %H:%M:%S",
    ),
    (
        "RFC 867 SMTP form (dd mmm yy hh:mm:ss zzz)",
        re.compile(
            r"(?P<dt>\d{1,2} [A-Za-z]{3} \d{2,4} \d\d:\d\d:\d\d) (?P<zone>[A-Za-z]+|[+-]\d{4})"
        ),
        "%d %b %Y %H:%M:%S",
    ),
    (
        "RFC 5322 date-time (Day, dd Mon yyyy hh:mm:ss zone)",
        re.compile(
            r"[A-Za-z]{3}, (?P<dt>\d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d) "
            r"(?P<zone>[+-]\d{4}|[A-Z]{2,4})"
        ),
        "%d %b %Y %H:%M:%S",
    ),
    (
        "ISO 8601 / RFC 3339",
        re.compile(
            r"(?P<dt>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.\d+)?(?P<zone>Z|[+-]\d\d:?\d\d)"
        ),
        "%Y-%m-%dT%H:%M:%S",
    ),
    (
        "Go time.Time.String (2006-01-02 15:04:05.999999999 -0700 MST)",
        re.compile(
            r"(?P<dt>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? (?P<zone>[+-]\d{4}) "
            r"[A-Za-z0-9+-]+(?: m=[+-]\d+\.\d+)?"
        ),
        "%Y-%m-%d %H:%M:%S",
    ),
    (
        "C asctime (Www Mmm dd hh:mm:ss yyyy)",
        re.compile(r"[A-Za-z]{3} (?P<dt>[A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4})"),
        "%b %d %H:%M:%S %Y",
    ),
]


def recognise(data: bytes) -> Recognised | None:
    """Which known syntax the daytime text follows, or None."""
    try:
        text = strip_line_ending(data).decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    for name, pattern, fmt in _SYNTAXES:
        match = pattern.fullmatch(text)
        if not match:
            continue
        stamp = " ".join(re.sub(r"(?<=\d)T(?=\d)", " ", match["dt"]).split())
        fmt = fmt.replace("T", " ")
        if fmt.startswith("%d %b %Y") and len(stamp.split()[2]) == 2:
            fmt = fmt.replace("%Y", "%y")  # the SMTP form's two-digit year
        # asctime carries no zone: the syntax is recognised, the clock is not compared.
        return Recognised(name, _at(fmt, stamp, match.groupdict().get("zone")))
    return None

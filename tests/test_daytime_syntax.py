"""Unit tests for ``suites.daytime.syntax``: what a daytime reply may look like."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from suites.daytime.syntax import Recognised, is_printable_ascii, recognise, strip_line_ending

RFC867 = "RFC 867 example (Weekday, Month Day, Year HH:MM:SS-ZONE)"
SMTP = "RFC 867 SMTP form (dd mmm yy hh:mm:ss zzz)"
RFC5322 = "RFC 5322 date-time (Day, dd Mon yyyy hh:mm:ss zone)"
ISO = "ISO 8601 / RFC 3339"
GO = "Go time.Time.String (2006-01-02 15:04:05.999999999 -0700 MST)"
ASCTIME = "C asctime (Www Mmm dd hh:mm:ss yyyy)"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "stripped"),
    [
        (b"abc\r\n", b"abc"),
        (b"abc\n", b"abc"),
        (b"abc", b"abc"),
        (b"abc\r", b"abc\r"),
        (b"abc\r\n\r\n", b"abc\r\n"),  # only one
        (b"\n", b""),
        (b"", b""),
    ],
)
def test_strip_line_ending(data: bytes, stripped: bytes) -> None:
    assert strip_line_ending(data) == stripped


@pytest.mark.parametrize(
    ("data", "printable"),
    [
        (b"Thursday, November 26, 2026 10:46:08-UTC", True),
        (b"26 NOV 2026 10:46:08 UTC\r\n", True),
        (b"x\n", True),
        (b" ", True),
        (b"~!@#$%^&*()_+{}|:<>?", True),
        (bytes(range(0x20, 0x7F)), True),
        (b"", False),  # nothing at all
        (b"\r\n", False),  # only a line ending
        (b"\n", False),
        (b"abc\r\n\r\n", False),  # a line ending once, at the end
        (b"abc\n\n", False),
        (b"ab\r\ncd", False),
        (b"ab\ncd\n", False),
        (b"abc\r", False),
        (b"\r\nabc", False),
        (b"a\tb", False),
        (b"a\x00b", False),
        (b"\x1b[0m", False),
        (b"del\x7f", False),
        (b"caf\xc3\xa9", False),  # UTF-8, not ASCII
        (b"\xff", False),
    ],
)
def test_is_printable_ascii(data: bytes, printable: bool) -> None:
    assert is_printable_ascii(data) is printable


RECOGNISED: list[tuple[bytes, str, datetime | None]] = [
    # RFC 867's own example: Weekday, Month Day, Year Time-Zone
    (b"Tuesday, February 22, 1982 17:37:43-PST\r\n", RFC867, utc(1982, 2, 23, 1, 37, 43)),
    (b"Thursday, November 26, 2026 10:46:08-UTC", RFC867, utc(2026, 11, 26, 10, 46, 8)),
    (b"Friday, October 2, 2026 10:46:08-EDT\n", RFC867, utc(2026, 10, 2, 14, 46, 8)),
    # RFC 867's SMTP form: dd mmm yy hh:mm:ss zzz
    (b"02 FEB 82 07:59:01 PST\r\n", SMTP, utc(1982, 2, 2, 15, 59, 1)),
    (b"2 Feb 82 07:59:01 GMT", SMTP, utc(1982, 2, 2, 7, 59, 1)),
    (b"02 FEB 1982 07:59:01 +0100", SMTP, utc(1982, 2, 2, 6, 59, 1)),
    # xinetd's daytime: the SMTP form with a four-digit year
    (b"26 NOV 2026 10:46:08 UTC\r\n", SMTP, utc(2026, 11, 26, 10, 46, 8)),
    (b"01 JAN 2027 00:00:00 UTC\r\n", SMTP, utc(2027, 1, 1, 0, 0, 0)),
    # RFC 5322
    (b"Thu, 26 Nov 2026 10:46:08 +0000\r\n", RFC5322, utc(2026, 11, 26, 10, 46, 8)),
    (b"Thu, 26 Nov 2026 10:46:08 -0500", RFC5322, utc(2026, 11, 26, 15, 46, 8)),
    (b"Mon, 26 Oct 2026 10:46:08 GMT", RFC5322, utc(2026, 10, 26, 10, 46, 8)),
    (b"Thu, 31 Dec 2026 23:30:00 -0100", RFC5322, utc(2027, 1, 1, 0, 30, 0)),
    # ISO 8601 / RFC 3339
    (b"2026-11-26T10:46:08Z", ISO, utc(2026, 11, 26, 10, 46, 8)),
    (b"2026-11-26T10:46:08.123456+01:00\r\n", ISO, utc(2026, 11, 26, 9, 46, 8)),
    (b"2026-11-26 10:46:08-0230", ISO, utc(2026, 11, 26, 13, 16, 8)),
    # Go's time.Time.String, with and without the monotonic clock reading
    (
        b"2026-11-26 10:46:08.123456789 +0000 UTC m=+0.000954955\n",
        GO,
        utc(2026, 11, 26, 10, 46, 8),
    ),
    (b"2026-11-26 11:46:08.5 +0100 CET", GO, utc(2026, 11, 26, 10, 46, 8)),
    (b"2026-11-26 10:46:08 -0700 MST", GO, utc(2026, 11, 26, 17, 46, 8)),
    (b"2026-11-26 10:46:08 +0530 +0530 m=-1.5", GO, utc(2026, 11, 26, 5, 16, 8)),
    # C asctime carries no zone: recognised, clock not compared
    (b"Thu Nov 26 10:46:08 2026\n", ASCTIME, None),
    (b"Fri Nov  6 10:46:08 2026\r\n", ASCTIME, None),
    # recognised syntax, but the clock cannot be read
    (b"02 FEB 82 07:59:01 XYZ", SMTP, None),  # an unknown zone
    (b"2026-13-45T10:46:08Z", ISO, None),  # no such date
    (b"Thursday, Nonember 26, 2026 10:46:08-UTC", RFC867, None),  # no such month
]


@pytest.mark.parametrize(("data", "syntax", "when"), RECOGNISED)
def test_recognise(data: bytes, syntax: str, when: datetime | None) -> None:
    assert recognise(data) == Recognised(syntax, when)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n",
        b"hello",
        b"12:00",
        b"2026-11-26",
        b"Thu Nov 26 2026",
        b"26 NOV 2026 10:46:08 UTC extra",
        b"26 NOV 2026 10:46:08",  # the SMTP form needs its zone
        b"Tuesday February 22 1982 17:37:43-PST",  # the commas matter
        b"2026-11-26T10:46:08",  # ISO without a zone
        b"2026-11-26 10:46:08 +0000",  # Go without the zone name
        b"\xff\xfe",
        b"26 NOV 2026 10:46:08 UTC\xff",
        b"\x00" * 8,
        bytes(range(256)),
    ],
)
def test_garbage_is_not_recognised(data: bytes) -> None:
    assert recognise(data) is None


@pytest.mark.parametrize(
    ("data", "when"),
    [
        (b"26 OCT 2026 10:46:08 UTC\r\n", utc(2026, 10, 26, 10, 46, 8)),
        (b"02 OCT 82 07:59:01 PST", utc(1982, 10, 2, 15, 59, 1)),
    ],
)
def test_upper_case_october_reads_the_clock(data: bytes, when: datetime) -> None:
    assert recognise(data) == Recognised(SMTP, when)


@pytest.mark.parametrize(
    ("data", "now", "described"),
    [
        (
            b"Thu, 26 Nov 2026 11:46:08 +0100\r\n",
            utc(2026, 11, 26, 10, 46, 0),
            f"{RFC5322}; clock differs from ours by +8 s",
        ),
        (
            b"26 NOV 2026 10:45:00 UTC\r\n",
            utc(2026, 11, 26, 10, 46, 0),
            f"{SMTP}; clock differs from ours by -60 s",
        ),
        (
            b"Tuesday, February 22, 1982 17:37:43-PST",
            utc(1982, 2, 23, 1, 37, 43),
            f"{RFC867}; clock differs from ours by +0 s",
        ),
        (
            b"2026-11-26 10:46:08.9 -0100 -01 m=+0.000954955",
            utc(2026, 11, 26, 10, 46, 8),
            f"{GO}; clock differs from ours by +3600 s",
        ),
        (b"Thu Nov 26 10:46:08 2026", utc(2026, 11, 26, 10, 46, 8), ASCTIME),
    ],
)
def test_clock_offset(data: bytes, now: datetime, described: str) -> None:
    recognised = recognise(data)
    assert recognised is not None
    assert recognised.describe(now) == described

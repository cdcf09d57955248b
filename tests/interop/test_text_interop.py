"""The utf8 and utf16 suites against the book's own chapter 6 servers, built from Go.

``go/booktext/`` holds Newmarch's chapter 6 servers ("Network Programming with Go"),
standard library only: the UTF-8 server, and the UTF-16 server in both editions. The
first edition writes BOM = '\\ufffe' high byte first, FF FE, then big-endian code
units: by RFC 2781 and the Unicode standard FF FE announces little-endian, so the
utf16 suite must certify it NON_CONFORMANT and say why. The second edition writes
'\\ufeff', FE FF, and conforms; so does the UTF-8 server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from brokenservers import GOOD_VERDICTS, SuiteRun, run_suite_against

from .peers import GoServer

pytestmark = pytest.mark.interop

BOOKTEXT = Path(__file__).resolve().parent / "go" / "booktext"
MATCHES = "utf16/rfc2781/sender/bom-matches-byte-order"


@pytest.fixture
def certify(go_server: Callable[..., GoServer], tmp_path: Path) -> Callable[..., SuiteRun]:
    """``certify(name, suite, *extra)``: ``suite`` against ``go/booktext/<name>``."""

    def run(name: str, suite: str, *extra: str) -> SuiteRun:
        server = go_server(BOOKTEXT / name / "main.go")
        return run_suite_against(suite, [server.url], tmp_path / "reports", *extra)

    return run


def test_first_edition_utf16_server_is_non_conformant(certify: Callable[..., SuiteRun]) -> None:
    run = certify("utf16server1", "utf16", "--utf16-expect-text", "j'ai arrêté")
    assert run.returncode == 1, run.summary()
    assert run.certificate["verdict"] == "NON_CONFORMANT", run.summary()
    failed = {rid for rid, outcome in run.outcomes().items() if outcome in ("fail", "warn")}
    assert failed == {MATCHES}, run.summary()
    actual = run.record(MATCHES)["actual"]
    assert "the BOM FF FE" in actual and "means little-endian" in actual, actual
    assert "its code units are big-endian" in actual, actual
    assert 'read big-endian they are "j\'ai arrêté"' in actual, actual
    assert "first edition" in actual, actual


def test_second_edition_utf16_server_conforms(certify: Callable[..., SuiteRun]) -> None:
    run = certify("utf16server2", "utf16", "--utf16-expect-text", "j'ai arrêté")
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()
    assert run.outcomes()["utf16/rfc2781/sender/text-as-expected"] == "pass", run.summary()


def test_utf8_server_conforms(certify: Callable[..., SuiteRun]) -> None:
    run = certify("utf8server", "utf8")
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] in GOOD_VERDICTS, run.summary()
    assert (
        "9 characters in 27 octets"
        in run.record("utf8/rfc3629/sender/characters-and-octets")["actual"]
    )

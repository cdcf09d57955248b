"""The utf8 and utf16 suites blame the right requirement: one broken server per requirement.

Each case starts a server from :mod:`brokentext` whose fault breaks one requirement,
runs the suite against it in a subprocess (``--timeout 1 --profile quick``) and reads
the certificate: the broken requirement fails (MUST), warns (SHOULD; fails with
``--strict-spec``) or is info (MAY), with its wire log and expected/actual text, and
nothing else is failed or warned. Every run is small: each takes about a second.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest
from brokenservers import (
    REPO,
    Runner,
    SuiteRun,
    assert_detected,
    cached_runner,
    run_suite_against,
)
from brokentext import BOOK_UTF16_TEXT, Utf8Server, Utf16EchoServer, Utf16Server

# -- utf8 ----------------------------------------------------------------------------------

UTF8_MUST = ["utf8/rfc3629/sender/valid-utf8"]
UTF8_MAY = ["utf8/rfc3629/sender/characters-and-octets"]
UTF8_VARIANTS = ["", ":surrogate", ":above-max", ":truncated"]

# -- utf16 sender --------------------------------------------------------------------------

SENDER_MUST = [
    "utf16/rfc2781/sender/even-length",
    "utf16/rfc2781/sender/bom-matches-byte-order",
    "utf16/rfc2781/sender/no-unpaired-surrogates",
    "utf16/rfc2781/sender/astral-surrogate-pairs",
    "utf16/rfc2781/sender/text-as-expected",
]
SENDER_SHOULD = ["utf16/rfc2781/sender/bom-present"]
SENDER_ALL = SENDER_MUST + SENDER_SHOULD
#: Without --utf16-expect-text, the checks that compare with it are deselected.
SENDER_WITHOUT_EXPECTED = [
    "utf16/rfc2781/sender/even-length",
    "utf16/rfc2781/sender/bom-matches-byte-order",
    "utf16/rfc2781/sender/no-unpaired-surrogates",
    "utf16/rfc2781/sender/bom-present",
]
#: The text the detection servers send and the suite is told to expect: the book's,
#: and a character above U+FFFF so the surrogate-pair checks run.
SENDER_TEXT = BOOK_UTF16_TEXT + " 𝄞"
EXPECT = ["--utf16-expect-text", SENDER_TEXT]

# -- utf16 echo ----------------------------------------------------------------------------

ECHO_MUST = [
    "utf16/rfc2781/echo/both-byte-orders",
    "utf16/rfc2781/echo/astral-characters",
    "utf16/rfc2781/echo/invalid-input-closed",
]
ECHO_SHOULD = ["utf16/rfc2781/echo/no-bom-big-endian"]
ECHO_ALL = ECHO_MUST + ECHO_SHOULD
ECHO = ["--utf16-service", "echo"]


def fault_of(rid: str) -> str:
    """The server fault that breaks requirement ``rid``."""
    return rid.split("/", 2)[2]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run a suite against a server of ``kind`` with ``fault``; each distinct run once."""
    runners = {
        "utf8": cached_runner("utf8", Utf8Server, tmp_path_factory),
        "sender": cached_runner(
            "utf16", functools.partial(Utf16Server, text=SENDER_TEXT), tmp_path_factory
        ),
        "echo": cached_runner("utf16", Utf16EchoServer, tmp_path_factory),
    }

    def run(kind: str, fault: str | None, *extra: str) -> SuiteRun:
        return runners[kind](fault, *extra)

    return run


# -- unbroken servers ----------------------------------------------------------------------


def test_unbroken_utf8_server_is_conformant(text_run: Runner) -> None:
    run = text_run("utf8", None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(UTF8_MUST + UTF8_MAY)
    assert run.outcomes()["utf8/rfc3629/sender/characters-and-octets"] == "info"
    assert "9 characters in 27 octets" in run.record(UTF8_MAY[0])["actual"]


@pytest.mark.parametrize("expect", [True, False], ids=["expect-text", "no-expect-text"])
def test_unbroken_utf16_sender_is_conformant(text_run: Runner, expect: bool) -> None:
    run = text_run("sender", None, *(EXPECT if expect else []))
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(SENDER_ALL if expect else SENDER_WITHOUT_EXPECTED)
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_unbroken_utf16_echo_is_conformant(text_run: Runner) -> None:
    run = text_run("echo", None, *ECHO)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ECHO_ALL)
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


# -- broken servers ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", UTF8_VARIANTS, ids=[v or "overlong" for v in UTF8_VARIANTS])
def test_invalid_utf8_fails_with_the_offset(text_run: Runner, variant: str) -> None:
    rid = "utf8/rfc3629/sender/valid-utf8"
    run = text_run("utf8", fault_of(rid) + variant)
    assert_detected(run, rid, outcome="fail", returncode=1)
    # The MAY check has no text to count: skipped, pointing at valid-utf8.
    assert run.outcomes()[UTF8_MAY[0]] == "skip"
    actual = run.record(rid)["actual"]
    offset = 24 if variant == ":truncated" else 12
    assert f"the first bad octet is at offset {offset}" in actual, actual


@pytest.mark.parametrize("rid", SENDER_MUST)
def test_utf16_sender_must_violation_fails(text_run: Runner, rid: str) -> None:
    run = text_run("sender", fault_of(rid), *EXPECT)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


def test_first_edition_bom_is_explained(text_run: Runner) -> None:
    """The book's first edition: FF FE, then big-endian code units."""
    rid = "utf16/rfc2781/sender/bom-matches-byte-order"
    actual = text_run("sender", fault_of(rid), *EXPECT).record(rid)["actual"]
    assert "the BOM FF FE, which by RFC 2781 section 3.2" in actual, actual
    assert "means little-endian, but its code units are big-endian" in actual, actual
    assert 'read big-endian they are "j\'ai arrêté 𝄞"' in actual, actual
    assert "first edition" in actual and "FE FF" in actual, actual


def test_little_endian_units_without_bom_fail(text_run: Runner) -> None:
    rid = "utf16/rfc2781/sender/bom-matches-byte-order"
    run = text_run("sender", fault_of(rid) + ":no-bom", *EXPECT)
    tolerated = {"utf16/rfc2781/sender/bom-present": {"warn"}}
    assert_detected(run, rid, outcome="fail", returncode=1, tolerated=tolerated)
    assert "no BOM, which by RFC 2781 section 4.3 means big-endian" in run.record(rid)["actual"]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SENDER_SHOULD)
def test_utf16_sender_should_violation_warns(text_run: Runner, rid: str, strict: bool) -> None:
    extra = [*EXPECT, "--strict-spec", "--spec", rid] if strict else EXPECT
    run = text_run("sender", fault_of(rid), *extra)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)


@pytest.mark.parametrize("rid", ECHO_MUST)
def test_utf16_echo_must_violation_fails(text_run: Runner, rid: str) -> None:
    run = text_run("echo", fault_of(rid), *ECHO)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", ECHO_SHOULD)
def test_utf16_echo_should_violation_warns(text_run: Runner, rid: str, strict: bool) -> None:
    extra = [*ECHO, "--strict-spec", "--spec", rid] if strict else ECHO
    run = text_run("echo", fault_of(rid), *extra)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)


# -- the embedded references, and choosing the service -------------------------------------


@pytest.mark.parametrize("service", ["sender", "echo"])
def test_service_option_picks_the_embedded_reference(tmp_path: Path, service: str) -> None:
    """``--utf16-service echo`` without a target certifies the utf16echo reference."""
    # No target: the suite certifies its embedded reference.
    run = run_suite_against("utf16", [], tmp_path, "--utf16-service", service)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    ids = ECHO_ALL if service == "echo" else SENDER_WITHOUT_EXPECTED
    assert sorted(run.outcomes()) == sorted(ids), run.summary()
    assert all(r["outcome"] == "pass" for r in run.certificate["requirements"])


def test_spec_of_the_other_service_says_what_to_add() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/utf16",
            "-p",
            "no:cacheprovider",
            "--spec",
            "utf16/rfc2781/echo",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "add --utf16-service echo" in proc.stderr

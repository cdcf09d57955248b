"""Unit tests for ``harness.report``: certificates built from hand-made per-report records.

The records have the shape ``harness.plugin._record`` gives them; nothing here runs pytest.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from harness.report import (
    build_certificate,
    render,
    rewrite_junit,
    terminal_lines,
    write_certificate,
)
from harness.report.certificate import FORMAT
from harness.report.writers import FORMATS, hexdump
from harness.requirements import Level, Requirement
from harness.settings import PROFILES, Settings
from harness.targets import Target
from harness.wire import WireLog

ECHO_TARGET: dict[str, Any] = {
    "suite": "echo",
    "scheme": "tcp",
    "host": "127.0.0.1",
    "port": 7007,
    "path": "",
    "embedded": True,
    "url": "tcp://127.0.0.1:7007",
}
STARTED = 1_795_000_000.0  # 2026-11-18T11:06:40+00:00


def settings(*, strict: bool = False, tmp: Path = Path("reports")) -> Settings:
    return Settings(
        targets=(),
        strict_spec=strict,
        spec=("echo/rfc862",),
        timeout=2.0,
        profile=PROFILES["quick"],
        report_dir=tmp,
        ca=None,
        insecure=False,
        suite_options={},
    )


def requirement(rid: str, level: str = "MUST", quote: str | None = None) -> dict[str, Any]:
    return Requirement(
        rid, Level(level), "RFC 862", quote or f"The server does what {rid} says."
    ).to_dict()


def record(
    nodeid: str,
    req: dict[str, Any],
    outcome: str,
    *,
    phase: str = "call",
    expected: list[str] | None = None,
    actual: str = "",
    duration_ms: float = 1.5,
    wirelog: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One record as ``harness.plugin._record`` makes it."""
    result = {
        "pass": "passed",
        "fail": "violated",
        "warn": "violated",
        "info": "passed",
        "skip": "skipped",
        "error": "broken",
    }[outcome]
    name = nodeid.split("::", 1)[1]
    return {
        "nodeid": nodeid,
        "requirement": req,
        "title": name.removeprefix("test_").replace("_", " "),
        "description": f"What {name} sends.",
        "scheme": "tcp",
        "phase": phase,
        "result": result,
        "outcome": outcome,
        "expected": expected or [],
        "actual": actual,
        "findings": [],
        "notes": [],
        "duration_ms": duration_ms,
        "wirelog": wirelog,
        "target": ECHO_TARGET,
        "reproduce": f"pytest {nodeid}",
    }


def tx_log() -> dict[str, Any]:
    log = WireLog()
    log.record(1, "connect", peer="127.0.0.1:7007")
    log.record(1, "tx", b"hello world\r\n")
    log.record(1, "rx", b"hello")
    log.record(1, "fin")
    return log.to_dict()


def certify(records: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "run_id": "20261126T104608Z-abcdef",
        "started": STARTED,
        "finished": STARTED + 12.3456,
        "version": "0.1.0",
        "command": "pytest suites/echo",
        "settings": settings(),
        "targets": {},
        "selected": ["echo"],
        "not_assessed": {},
        "seed": 1234,
    }
    options.update(overrides)
    return build_certificate(records, **options)


T = "suites/echo/test_rfc862_tcp_echo_service.py"
ECHOES = requirement("echo/rfc862/tcp/echoes-data", "MUST", "Any data received is sent back.")
CLOSES = requirement("echo/rfc862/tcp/closes-on-fin", "SHOULD")
UDP = requirement("echo/rfc862/udp/echoes-datagram", "MUST")
MAY_REQ = requirement("echo/rfc862/tcp/may-delay", "MAY")
TEARDOWN = requirement("echo/rfc862/tcp/teardown", "SHOULD")
EXPECTED = ["13 bytes back, then the connection still open"]
ACTUAL = "5 bytes back, then the connection closed (FIN) after 0.010 s\nsecond line"


def mixed_records() -> list[dict[str, Any]]:
    return [
        record(f"{T}::test_echo[small]", ECHOES, "pass", duration_ms=1.0),
        record(
            f"{T}::test_echo[large]",
            ECHOES,
            "fail",
            expected=EXPECTED,
            actual=ACTUAL,
            duration_ms=2.0,
            wirelog=tx_log(),
        ),
        record(f"{T}::test_echo[empty]", ECHOES, "skip", actual="not in this profile"),
        record(f"{T}::test_close", CLOSES, "pass"),
        record(f"{T}::test_close_late", CLOSES, "warn", expected=["a FIN"], actual="silence"),
        record(f"{T}::test_udp[a]", UDP, "skip", actual="no udp target"),
        record(f"{T}::test_udp[b]", UDP, "skip", actual="no udp target"),
        record(f"{T}::test_delay", MAY_REQ, "info", actual="replies after 10 ms"),
        # phases of one check: a teardown error makes the check an error
        record(f"{T}::test_teardown", TEARDOWN, "pass", phase="setup"),
        record(f"{T}::test_teardown", TEARDOWN, "pass", phase="call"),
        record(f"{T}::test_teardown", TEARDOWN, "error", phase="teardown", actual="OSError: boom"),
    ]


@pytest.fixture
def cert() -> dict[str, Any]:
    return certify(mixed_records())


def entry(c: dict[str, Any], rid: str) -> dict[str, Any]:
    (found,) = [e for e in c["requirements"] if e["id"] == rid]
    return found


# -- build_certificate ---------------------------------------------------------------------


def test_header(cert: dict[str, Any]) -> None:
    assert cert["format"] == FORMAT
    assert cert["tool"] == {"name": "wirecert", "version": "0.1.0"}
    assert cert["run_id"] == "20261126T104608Z-abcdef"
    assert cert["started"] == "2026-11-18T11:06:40+00:00"
    assert cert["finished"] == "2026-11-18T11:06:52+00:00"
    assert cert["duration_s"] == 12.346
    assert cert["options"] == {
        "strict_spec": False,
        "spec": ["echo/rfc862"],
        "timeout_s": 2.0,
        "profile": "quick",
        "ca": None,
        "insecure": False,
        "hypothesis_seed": 1234,
    }
    assert cert["suites"] == ["echo"]
    assert json.loads(json.dumps(cert)) == cert


def test_requirements_are_sorted_by_id(cert: dict[str, Any]) -> None:
    ids = [e["id"] for e in cert["requirements"]]
    assert ids == sorted(ids)
    assert len(ids) == 5


@pytest.mark.parametrize(
    ("rid", "outcome"),
    [
        (ECHOES["id"], "fail"),  # pass + fail + skip: the gravest
        (CLOSES["id"], "warn"),  # pass + warn
        (UDP["id"], "skip"),  # skip only when every case was skipped
        (MAY_REQ["id"], "info"),
        (TEARDOWN["id"], "error"),  # an error in one phase
    ],
)
def test_cases_combine_to_the_gravest_outcome(cert: dict[str, Any], rid: str, outcome: str) -> None:
    assert entry(cert, rid)["outcome"] == outcome


def test_decisive_case_supplies_expected_actual_and_wirelog(cert: dict[str, Any]) -> None:
    e = entry(cert, ECHOES["id"])
    assert e["title"] == "echo"  # the parameters are cut from the title
    assert e["expected"] == EXPECTED
    assert e["actual"] == ACTUAL
    assert (e["wirelog"]["total_tx"], e["wirelog"]["total_rx"]) == (13, 5)
    assert [ev["kind"] for ev in e["wirelog"]["events"]] == ["connect", "tx", "rx", "fin"]
    assert e["reproduce"] == f"pytest {T}::test_echo[large]"
    assert e["duration_ms"] == 1.0 + 2.0 + 1.5
    assert e["quote"] == "Any data received is sent back."
    assert e["level"] == "MUST"
    assert e["suite"] == "echo"
    assert [c["nodeid"] for c in e["cases"]] == sorted(c["nodeid"] for c in e["cases"])
    assert [c["outcome"] for c in e["cases"]] == ["skip", "fail", "pass"]


@pytest.mark.parametrize(
    ("rid", "title"),
    [
        (ECHOES["id"], "echo"),  # one check, parametrized: its name without the parameters
        (CLOSES["id"], "closes on fin"),  # several checks: the requirement's slug
        (MAY_REQ["id"], "delay"),
    ],
)
def test_requirement_title(cert: dict[str, Any], rid: str, title: str) -> None:
    assert entry(cert, rid)["title"] == title


def test_phases_of_one_check_merge_into_one_case(cert: dict[str, Any]) -> None:
    e = entry(cert, TEARDOWN["id"])
    (case,) = e["cases"]
    assert case["outcome"] == "error"
    assert case["actual"] == "OSError: boom"
    assert e["actual"] == "OSError: boom"


def test_summary_counts_per_level(cert: dict[str, Any]) -> None:
    zero = dict.fromkeys(["pass", "fail", "warn", "info", "skip", "error"], 0)
    assert cert["summary"] == {
        "MUST": zero | {"fail": 1, "skip": 1},
        "SHOULD": zero | {"warn": 1, "error": 1},
        "MAY": zero | {"info": 1},
    }
    assert cert["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([("MUST", "pass"), ("SHOULD", "pass")], "CONFORMANT"),
        ([("MUST", "pass"), ("SHOULD", "warn")], "CONFORMANT_WITH_WARNINGS"),
        ([("MUST", "pass"), ("MUST", "skip")], "INCOMPLETE"),
        ([("MUST", "pass"), ("MAY", "error")], "INCOMPLETE"),
        ([("MUST", "fail"), ("MAY", "error")], "NON_CONFORMANT"),
        ([("SHOULD", "skip"), ("MAY", "info")], "CONFORMANT"),
    ],
)
def test_verdict(outcomes: list[tuple[str, str]], verdict: str) -> None:
    records = [
        record(f"{T}::test_{i}", requirement(f"echo/rfc862/tcp/r{i}", level), outcome)
        for i, (level, outcome) in enumerate(outcomes)
    ]
    assert certify(records)["verdict"] == verdict


def test_targets_and_not_assessed() -> None:
    given = {"echo": {"udp": Target("udp", "192.0.2.7", 7, suite="echo")}}
    c = certify(
        mixed_records(),
        targets=given,
        not_assessed={
            "echo over udp": [3, "no udp:// target was given (add --target echo=udp://HOST)"]
        },
    )
    assert c["targets"] == {
        "echo": [
            ECHO_TARGET,
            {
                "suite": "echo",
                "scheme": "udp",
                "host": "192.0.2.7",
                "port": 7,
                "path": "",
                "embedded": False,
                "url": "udp://192.0.2.7:7",
            },
        ]
    }
    assert c["not_assessed"] == [
        {
            "what": "echo over udp",
            "checks": 3,
            "reason": "no udp:// target was given (add --target echo=udp://HOST)",
        }
    ]


# -- render ------------------------------------------------------------------------------------


def test_html_shows_quote_verdict_expected_actual_and_hexdump(cert: dict[str, Any]) -> None:
    html = render(cert, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "NON_CONFORMANT" in html
    assert "NON CONFORMANT" in html  # the badge
    assert "Any data received is sent back." in html
    assert "<strong>Expected:</strong> " + str(escape(EXPECTED[0])) in html
    assert str(escape(ACTUAL)) in html
    line = "00000000  68 65 6c 6c 6f 20 77 6f 72 6c 64 0d 0a" + " " * 11 + "|hello world..|"
    assert line in html  # the tx event, hexdumped
    assert "Wire log (13 bytes sent, 5 received)" in html
    assert f"pytest {T}::test_echo[large]" in html
    for rid in (ECHOES["id"], CLOSES["id"], UDP["id"], MAY_REQ["id"], TEARDOWN["id"]):
        assert f'id="{rid}"' in html


def test_html_escapes_a_quote_with_markup() -> None:
    evil = requirement("web/rfc0/1/xss", "MUST", 'Never send <script>alert("x")</script> & co.')
    html = render(certify([record("suites/web/test_x.py::test_x", evil, "pass")]), "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co." in html


def test_markdown(cert: dict[str, Any]) -> None:
    md = render(cert, "md")
    assert md.startswith("# wirecert certificate: NON_CONFORMANT\n")
    assert f"| FAIL | MUST | `{ECHOES['id']}` | RFC 862 |" in md
    assert "| MUST | 0 | 1 | 0 | 0 | 1 | 0 |" in md
    assert f"### FAIL `{ECHOES['id']}`" in md
    assert "> Any data received is sent back." in md
    assert f"- Expected: {EXPECTED[0]}" in md
    assert f"- Actual: {ACTUAL.replace(chr(10), ' ')}" in md
    assert f"- Reproduce: `pytest {T}::test_echo[large]`" in md
    assert "- Finding: replies after 10 ms" in md  # a MAY's finding
    assert "### PASS" not in md  # passes get no section of their own
    assert "&lt;" not in md


def test_render_json_round_trips(cert: dict[str, Any]) -> None:
    assert json.loads(render(cert, "json")) == cert


def test_render_unknown_format(cert: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="use one of json, html, md"):
        render(cert, "pdf")


# -- write_certificate -------------------------------------------------------------------------


def test_write_certificate_writes_three_files_and_latest(tmp_path: Path) -> None:
    first = certify(mixed_records(), run_id="run-1")
    second = certify(mixed_records()[:1], run_id="run-2")
    out1 = write_certificate(first, tmp_path)
    assert out1 == tmp_path / "run-1"
    assert sorted(p.name for p in out1.iterdir()) == [f"certificate.{f}" for f in sorted(FORMATS)]
    assert (tmp_path / "latest").resolve() == out1.resolve()
    out2 = write_certificate(second, tmp_path)
    latest = tmp_path / "latest"
    assert latest.is_symlink()
    assert latest.resolve() == out2.resolve()
    assert json.loads((latest / "certificate.json").read_text("utf-8"))["run_id"] == "run-2"
    assert (latest / "certificate.html").read_text("utf-8") == render(second, "html")
    assert (latest / "certificate.md").read_text("utf-8") == render(second, "md")
    assert json.loads((out1 / "certificate.json").read_text("utf-8")) == first  # kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1", "run-2"]


# -- hexdump -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_text", "width", "text"),
    [
        ("", 16, ""),
        ("00", 16, "00000000  00" + " " * 46 + " |.|"),
        ("7e7f80ff20", 16, "00000000  7e 7f 80 ff 20" + " " * 34 + " |~... |"),
        ("41424344450a", 4, "00000000  41 42 43 44  |ABCD|\n00000004  45 0a        |E.|"),
        (
            "41" * 17,
            16,
            "00000000  " + "41 " * 15 + "41  |" + "A" * 16 + "|\n00000010  41" + " " * 46 + " |A|",
        ),
    ],
)
def test_hexdump(hex_text: str, width: int, text: str) -> None:
    assert hexdump(hex_text, width) == text


# -- rewrite_junit -----------------------------------------------------------------------------

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="3" skipped="0" tests="5" time="0.5">
<testcase classname="suites.echo.t" name="test_a" time="0.1">
<properties><property name="requirement" value="e/r/s/a" /><property name="outcome" value="error" />
</properties><failure message="OSError: boom">traceback a</failure></testcase>
<testcase classname="suites.echo.t" name="test_b" time="0.1">
<properties><property name="outcome" value="fail" /></properties>
<failure message="Expected: x">traceback b</failure></testcase>
<testcase classname="suites.echo.t" name="test_c" time="0.1">
<properties><property name="outcome" value="error" /></properties>
<failure message="TimeoutError">traceback c</failure></testcase>
<testcase classname="suites.echo.t" name="test_d" time="0.1">
<properties><property name="outcome" value="pass" /></properties></testcase>
<testcase classname="suites.echo.t" name="test_e" time="0.1">
<error message="setup failed">traceback e</error></testcase>
</testsuite>
<testsuite name="other" errors="0" failures="1" tests="1">
<testcase name="test_f"><properties><property name="outcome" value="fail" /></properties>
<failure message="f">f</failure></testcase>
</testsuite>
</testsuites>
"""


def test_rewrite_junit_turns_harness_failures_into_errors(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    rewrite_junit(path, {"run_id": "run-9"})
    root = ET.parse(path).getroot()
    first, other = root.findall("testsuite")
    assert first.get("name") == "wirecert run-9"
    assert (first.get("failures"), first.get("errors")) == ("1", "3")
    cases = {c.get("name"): c for c in first.iter("testcase")}
    verdicts = {
        name: [child.tag for child in c if child.tag != "properties"] for name, c in cases.items()
    }
    assert verdicts == {
        "test_a": ["error"],
        "test_b": ["failure"],
        "test_c": ["error"],
        "test_d": [],
        "test_e": ["error"],
    }
    error_a = cases["test_a"].find("error")
    assert error_a is not None
    assert (error_a.get("message"), error_a.text) == ("OSError: boom", "traceback a")
    assert (other.get("name"), other.get("failures"), other.get("errors")) == ("other", "1", "0")
    assert path.read_text("utf-8").startswith("<?xml version='1.0' encoding='utf-8'?>")


def test_rewrite_junit_without_a_file_does_nothing(tmp_path: Path) -> None:
    rewrite_junit(tmp_path / "missing.xml", {"run_id": "x"})
    assert list(tmp_path.iterdir()) == []


# -- terminal_lines ----------------------------------------------------------------------------


def test_terminal_lines_group_by_level(cert: dict[str, Any]) -> None:
    lines = terminal_lines(cert)
    texts = [text for text, _ in lines]
    assert texts == [
        "MUST (2): 1 fail, 1 skip",
        f"  FAIL  {ECHOES['id']}  -- 5 bytes back, then the connection closed (FIN) after 0.010 s",
        f"  SKIP  {UDP['id']}  -- no udp target",
        "SHOULD (2): 1 warn, 1 error",
        f"  WARN  {CLOSES['id']}  -- silence",
        f"  ERROR {TEARDOWN['id']}  -- OSError: boom",
        "MAY (1): 1 info",
        f"  INFO  {MAY_REQ['id']}  -- replies after 10 ms",
    ]
    markups = [markup for _, markup in lines]
    assert markups == [
        {"bold": True},
        {"red": True, "bold": True},
        {"yellow": True},
        {"bold": True},
        {"yellow": True},
        {"red": True},
        {"bold": True},
        {"cyan": True},
    ]


def test_terminal_lines_skip_empty_levels_and_list_gaps() -> None:
    c = certify(
        [record(f"{T}::test_echo", ECHOES, "pass")],
        not_assessed={
            "echo over udp": [2, "no udp:// target was given (add --target echo=udp://HOST)"]
        },
    )
    assert terminal_lines(c) == [
        ("MUST (1): 1 pass", {"bold": True}),
        (f"  PASS  {ECHOES['id']}", {"green": True}),
        (
            "not assessed: echo over udp (2 checks): no udp:// target was given (add --target echo=udp://HOST)",
            {"yellow": True},
        ),
    ]

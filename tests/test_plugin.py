"""The plugin as a user meets it: options, errors, targets, certificates, JUnit, xdist.

Every run is a real pytest subprocess (``pytester.runpytest_subprocess``) over the
real suites, against embedded references or loopback servers started here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.targets import EmbeddedReference

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "suites"

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", timeout=240)


def certificate(report_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report_dir / "latest" / "certificate.json").read_text())
    return data


def outcomes(cert: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in cert["requirements"]}


@pytest.fixture(scope="module")
def echo_reference() -> Iterator[EmbeddedReference]:
    """The echo reference, started as a user would, to stand in for an external target."""
    ref = EmbeddedReference("echo", ["tcp", "udp"], suite="echo")
    yield ref
    ref.stop()


# -- user mistakes: one line, what to type instead, never a traceback -------------------

MISTAKES = [
    (["suites", "--target", "127.0.0.1:7"], "has no suite label but * suites are selected"),
    (["suites/echo", "--target", "127.0.0.1:99999"], "is not a number from 1 to 65535"),
    (["suites/echo", "--target", "127.0.0.1:0"], "is not a number from 1 to 65535"),
    (["suites/echo", "--target", "gopher://host"], "unknown scheme 'gopher'; use one of tcp://"),
    (
        ["suites/echo", "--target", "echo=icmp://127.0.0.1"],
        "the echo suite does not take icmp://; write tcp://HOST[:7] or udp://HOST[:7]",
    ),
    (["suites/echo", "--target", "http://127.0.0.1:80"], "does not take http://"),
    (["suites/echo", "--target", "nosuch=127.0.0.1:7"], "no suite is called 'nosuch'"),
    (["suites/echo", "--target", "daytime=127.0.0.1:13"], "add suites/daytime to the paths"),
    (["suites/echo", "--target", "::1"], "write IPv6 addresses in brackets"),
    (
        ["suites/echo", "--target", "echo=127.0.0.1:7", "--target", "echo=127.0.0.1:8"],
        "already has a tcp:// target",
    ),
    (
        ["suites/echo", "--profile", "fast"],
        "invalid --profile 'fast' from --profile: choose one of quick, ci, thorough",
    ),
    (["suites/echo", "--timeout", "0"], "invalid --timeout"),
    (
        ["suites/echo", "--spec", "echo/rfc999"],
        "--spec 'echo/rfc999' matches no requirement id; ids in the selected suites start with "
        "echo/rfc862/",
    ),
    (["suites/echo", "--ca", "/nonexistent/ca.pem"], "invalid --ca '/nonexistent/ca.pem'"),
    (["suites/echo", "--echo-udp-max-datagram", "70000"], "from 1 to 65507"),
    (["tests/test_targets.py", "--target", "127.0.0.1:7"], "--target needs a suite to run"),
]


@pytest.mark.parametrize(("args", "message"), MISTAKES, ids=[" ".join(a[1:]) for a, _ in MISTAKES])
def test_a_user_mistake_is_one_line_saying_what_to_type(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    result = run(pytester, str(ROOT / args[0]), *args[1:])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.errlines
    pattern = "*" + message.replace("[", "[[]") + "*"  # '*' is a wildcard, '[' is not
    assert fnmatch.fnmatchcase(errors[0], pattern), errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_an_unreachable_target_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A closed loopback port: never a made-up address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(pytester, str(SUITES / "echo"), "--target", f"127.0.0.1:{port}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: cannot reach the echo target tcp://127.0.0.1:{port}: connection refused. "
            "Check the host and port, or leave out --target*"
        ]
    )


def test_nothing_to_check_names_the_target_to_add(
    pytester: pytest.Pytester, echo_reference: EmbeddedReference
) -> None:
    tcp = echo_reference.endpoints["tcp"]
    result = run(
        pytester,
        str(SUITES / "echo"),
        "--spec",
        "echo/rfc862/udp",
        "--target",
        f"127.0.0.1:{tcp.port}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: nothing to check: *--target echo=udp://HOST*"])


# -- where option values come from ------------------------------------------------------


def test_a_bad_value_names_its_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRECERT_PROFILE", "fast")
    result = run(pytester, str(SUITES / "echo"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: invalid --profile 'fast' from WIRECERT_PROFILE: *"])
    ini = pytester.makeini("[pytest]\nwirecert_timeout = soon\n")
    monkeypatch.delenv("WIRECERT_PROFILE")
    result = run(pytester, str(SUITES / "echo"), "-c", str(ini), "--rootdir", str(ROOT))
    result.stderr.fnmatch_lines(["ERROR: invalid --timeout 'soon' from ini wirecert_timeout: *"])


def test_command_line_beats_environment_beats_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ini = pytester.makeini("[pytest]\nwirecert_profile = thorough\nwirecert_timeout = 3\n")
    monkeypatch.setenv("WIRECERT_PROFILE", "ci")
    result = run(
        pytester,
        str(SUITES / "daytime"),
        "-c",
        str(ini),
        "--rootdir",
        str(ROOT),
        "--profile",
        "quick",
        "--spec",
        "daytime/rfc867/udp/printable-ascii",
        "--report-dir",
        str(tmp_path),
    )
    assert result.ret == 0
    options = certificate(tmp_path)["options"]
    assert options["profile"] == "quick"  # command line over environment and ini
    assert options["timeout_s"] == 3.0  # ini, as nothing else set it
    monkeypatch.setenv("WIRECERT_TIMEOUT", "4")
    run(
        pytester,
        str(SUITES / "daytime"),
        "-c",
        str(ini),
        "--rootdir",
        str(ROOT),
        "--spec",
        "daytime/rfc867/udp/printable-ascii",
        "--report-dir",
        str(tmp_path),
    )
    options = certificate(tmp_path)["options"]
    assert (options["profile"], options["timeout_s"]) == ("ci", 4.0)  # environment over ini


# -- certificates, terminal, JUnit ------------------------------------------------------


def test_a_run_writes_the_certificate_and_ends_with_the_verdict(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = run(
        pytester, str(SUITES / "daytime"), "--report-dir", str(tmp_path), f"--junitxml={junit}"
    )
    assert result.ret == 0
    cert = certificate(tmp_path)
    run_dir = tmp_path / cert["run_id"]
    assert (tmp_path / "latest").resolve() == run_dir.resolve()
    for name in ("certificate.json", "certificate.html", "certificate.md"):
        assert (run_dir / name).stat().st_size > 0
    assert cert["verdict"] == "CONFORMANT"
    assert set(outcomes(cert)) >= {
        "daytime/rfc867/tcp/sends-without-input",
        "daytime/rfc867/udp/any-datagram-answered",
    }
    assert outcomes(cert)["daytime/rfc867/tcp/syntax"] == "info"
    assert cert["targets"]["daytime"][0]["embedded"] is True
    for field in ("tool", "run_id", "started", "duration_s", "command", "summary"):
        assert cert[field]
    for record in cert["requirements"]:
        assert record["wirelog"]["events"], record["id"]
        assert record["quote"] and record["ref"] and record["reproduce"].startswith("pytest ")
    result.stdout.fnmatch_lines(
        ["*wirecert: requirements by level*", "MUST (*): * pass", "MAY (1): 1 info"]
    )
    assert result.outlines[-1].startswith("wirecert verdict: CONFORMANT  certificate: ")
    cases = list(ET.parse(junit).iter("testcase"))
    assert cases and all(case.get("name") for case in cases)
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["requirement"].startswith("daytime/rfc867/")
        assert props["outcome"] in ("pass", "info")


def test_targets_only_cover_their_schemes(
    pytester: pytest.Pytester, echo_reference: EmbeddedReference, tmp_path: Path
) -> None:
    """A tcp:// target leaves the UDP and TLS checks out, and the certificate says so."""
    tcp = echo_reference.endpoints["tcp"]
    result = run(
        pytester,
        str(SUITES / "echo"),
        "--target",
        f"127.0.0.1:{tcp.port}",
        "--profile",
        "quick",
        "--report-dir",
        str(tmp_path),
    )
    assert result.ret == 0, result.stdout.str()
    cert = certificate(tmp_path)
    assert cert["verdict"] == "CONFORMANT"
    assert all(rid.startswith("echo/rfc862/tcp/") for rid in outcomes(cert))
    assert cert["not_assessed"] == [
        {
            "what": "echo over tls",
            "checks": 8,
            "reason": "no tls:// target was given (add --target echo=tls://HOST)",
        },
        {
            "what": "echo over udp",
            "checks": 7,
            "reason": "no udp:// target was given (add --target echo=udp://HOST)",
        },
    ]
    assert cert["targets"]["echo"] == [
        {
            "suite": "echo",
            "scheme": "tcp",
            "host": "127.0.0.1",
            "port": tcp.port,
            "path": "",
            "embedded": False,
            "url": f"tcp://127.0.0.1:{tcp.port}",
        }
    ]
    record = next(r for r in cert["requirements"] if r["id"] == "echo/rfc862/tcp/data-returned")
    assert f"--target echo=tcp://127.0.0.1:{tcp.port}" in record["reproduce"]
    result.stdout.fnmatch_lines(["not assessed: echo over udp (7 checks)*"])


def test_a_suite_without_a_target_is_skipped_not_run_against_the_reference(
    pytester: pytest.Pytester, echo_reference: EmbeddedReference, tmp_path: Path
) -> None:
    udp = echo_reference.endpoints["udp"]
    result = run(
        pytester,
        str(SUITES),
        "--target",
        f"echo=udp://127.0.0.1:{udp.port}",
        "--spec",
        "echo/rfc862/udp/reply-from-target-address",
        "--spec",
        "daytime/rfc867/udp/printable-ascii",
        "--report-dir",
        str(tmp_path),
    )
    cert = certificate(tmp_path)
    assert outcomes(cert) == {
        "echo/rfc862/udp/reply-from-target-address": "pass",
        "daytime/rfc867/udp/printable-ascii": "skip",
    }
    skipped = next(r for r in cert["requirements"] if r["outcome"] == "skip")
    assert "no target for the daytime suite" in skipped["actual"]
    assert cert["verdict"] == "INCOMPLETE"
    assert result.ret == 0


class _DiesAfterFirstConnection:
    """Accepts one connection (the run's reachability probe), then stops listening."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(60)
        conn, _ = self.sock.accept()
        conn.close()
        self.sock.close()


def test_a_target_that_dies_turns_the_rest_into_errors(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    server = _DiesAfterFirstConnection()
    junit = tmp_path / "junit.xml"
    result = run(
        pytester,
        str(SUITES / "echo"),
        "--target",
        f"127.0.0.1:{server.port}",
        "--spec",
        "echo/rfc862/tcp/connection-stays-open",
        "--spec",
        "echo/rfc862/tcp/survives-client-reset",
        "--report-dir",
        str(tmp_path),
        f"--junitxml={junit}",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    cert = certificate(tmp_path)
    assert set(outcomes(cert).values()) == {"error"}
    assert cert["verdict"] == "INCOMPLETE"
    assert "is not accepting connections" in cert["requirements"][0]["actual"]
    root = ET.parse(junit).getroot()
    assert [c.find("error") is not None for c in root.iter("testcase")] == [True, True]
    assert "Traceback" not in result.stdout.str()


@pytest.mark.slow
def test_xdist_gives_the_same_verdicts(pytester: pytest.Pytester, tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert run(pytester, str(SUITES), "--report-dir", str(serial)).ret == 0
    assert run(pytester, str(SUITES), "-n", "2", "--report-dir", str(parallel)).ret == 0
    one, two = certificate(serial), certificate(parallel)
    assert outcomes(one) == outcomes(two)
    # Only xdist's workers collect: what they left out must still reach the certificate.
    assert one["not_assessed"] == two["not_assessed"] != []
    assert one["verdict"] == two["verdict"] == "CONFORMANT"
    assert [len(r["cases"]) for r in one["requirements"]] == [
        len(r["cases"]) for r in two["requirements"]
    ]


def test_the_plugin_stays_out_of_runs_without_suites(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--report-dir", str(pytester.path / "reports")
    )
    assert result.ret == 0
    assert not (pytester.path / "reports").exists()
    assert "wirecert verdict" not in result.stdout.str()


def test_reports_dir_is_relative_to_where_pytest_runs(pytester: pytest.Pytester) -> None:
    result = run(pytester, str(SUITES / "daytime"), "--spec", "daytime/rfc867/udp/printable-ascii")
    assert result.ret == 0
    assert (pytester.path / "reports" / "latest" / "certificate.json").is_file()
    assert os.path.islink(pytester.path / "reports" / "latest")


class _HighBitEcho:
    """Echoes everything but turns bytes >= 0x80 into '?': only generated payloads notice."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()
        self.sock.close()

    def _echo(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(bytes(b if b < 0x80 else 0x3F for b in data))
            except OSError:
                pass


def test_a_fuzz_failure_shows_the_minimal_example_and_replays_from_its_seed(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    server = _HighBitEcho()
    try:
        fuzz = str(SUITES / "echo" / "test_rfc862_tcp_echo_fuzz.py")
        args = [
            fuzz,
            "--target",
            f"127.0.0.1:{server.port}",
            "--profile",
            "quick",
            "--timeout",
            "1",
        ]
        result = run(pytester, *args, "--report-dir", str(tmp_path / "first"))
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        record = certificate(tmp_path / "first")["requirements"][0]
        assert (record["id"], record["outcome"]) == ("echo/rfc862/tcp/data-returned", "fail")
        (case,) = record["cases"]
        example = "\n".join(case["notes"])
        # Hypothesis's own words for it vary by version ("Falsifying example",
        # "Failing test case"); the call with the shrunk arguments does not.
        assert "test_generated_streams_come_back_like_the_reference(" in example
        assert "payload=b'\\x80'" in example  # shrunk to the smallest offending byte
        assert "first difference at offset 0: expected 80, got 3f" in record["actual"]
        seed = certificate(tmp_path / "first")["options"]["hypothesis_seed"]
        assert f"--hypothesis-seed={seed}" in record["reproduce"]
        # The reproduce command's options replay the same failure.
        replay = run(
            pytester, *args, f"--hypothesis-seed={seed}", "--report-dir", str(tmp_path / "again")
        )
        assert replay.ret == pytest.ExitCode.TESTS_FAILED
        again = certificate(tmp_path / "again")["requirements"][0]["cases"][0]["notes"]
        assert "payload=b'\\x80'" in "\n".join(again)
    finally:
        server.stop.set()
        server.thread.join(timeout=5)

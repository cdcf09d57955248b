"""The tls suite and the echo suite's TLS checks blame the right requirement.

Each case starts a :class:`brokentls.TlsEchoServer` whose fault breaks one requirement,
runs ``suites/tls`` (or ``suites/echo``) against its ``tls://`` endpoint with ``--ca``
naming the CA the server's certificates come from, and reads the certificate: the
broken requirement fails (MUST), warns (SHOULD; fails with ``--strict-spec``) or is
informational with a finding (MAY), with its wire log and expected/actual text, and
nothing else is failed or warned.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from brokenservers import (
    EchoServer,
    Runner,
    SuiteRun,
    assert_detected,
    cached_runner,
    run_suite_against,
)
from brokentls import ECHO_TLS_FAULTS, TLS_FAULTS, TlsEchoServer, trusted_cafile

TLS_MUST = [
    "tls/rfc5280/6.1/chain-verifies",
    "tls/rfc2818/3.1/server-name-matches",
    "tls/rfc5280/6.1.3/validity-period",
    "tls/rfc9325/4.5/key-strength",
    "tls/rfc9325/4.5/no-sha1-md5-signature",
    "tls/rfc8996/4/tls10-refused",
    "tls/rfc8996/5/tls11-refused",
    "tls/rfc8446/D.5/sslv3-not-negotiated",
    "tls/rfc6176/3/sslv2-hello-refused",
    "tls/rfc9325/3.1.1/tls12-supported",
]
TLS_SHOULD = ["tls/rfc9325/3.1.1/tls13-supported"]
TLS_MAY = ["tls/rfc5280/4.1.2.5/not-expiring-soon", "tls/rfc8446/6.1/close-notify-answered"]
ECHO_MUST = [
    "echo/rfc862/tls/data-returned",
    "echo/rfc862/tls/close-notify-before-close",
    "echo/rfc862/tls/handshake-verifies",
]
ECHO_SHOULD = ["echo/rfc862/tls/close-after-client-close"]
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")


@pytest.fixture(scope="module")
def tls_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., SuiteRun]:
    """``run(fault, strict=False)``: the suite the fault's id names, against the server
    with that fault (None: the unbroken server, under the tls suite; "echo": under the
    echo suite)."""
    cafile = trusted_cafile(tmp_path_factory.mktemp("tls-ca"))

    def server(fault: str | None) -> TlsEchoServer:
        return TlsEchoServer(fault, directory=tmp_path_factory.mktemp("tls-certs"))

    runners: dict[str, Runner] = {
        # The tls suite has no fuzz checks: without Hypothesis's plugin a run starts faster.
        "tls": cached_runner("tls", server, tmp_path_factory, "--ca", cafile, *NO_HYPOTHESIS),
        "echo": cached_runner("echo", server, tmp_path_factory, "--ca", cafile),
    }

    def run(fault: str | None, *, strict: bool = False, suite: str = "") -> SuiteRun:
        suite = suite or (fault.split("/", 1)[0] if fault else "tls")
        rid = fault.split(":", 1)[0] if fault else None
        return runners[suite](fault, strict_rid=rid if strict else None)

    return run


def test_faults_cover_every_requirement() -> None:
    ids = {fault.split(":", 1)[0] for fault in TLS_FAULTS + ECHO_TLS_FAULTS}
    assert ids == set(TLS_MUST + TLS_SHOULD + TLS_MAY + ECHO_MUST + ECHO_SHOULD)


@pytest.mark.parametrize("suite", ["tls", "echo"])
def test_unbroken_server_is_conformant(tls_run: Callable[..., SuiteRun], suite: str) -> None:
    run = tls_run(None, suite=suite)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    expected = TLS_MUST + TLS_SHOULD + TLS_MAY if suite == "tls" else ECHO_MUST + ECHO_SHOULD
    assert sorted(run.outcomes()) == sorted(expected), "the suite's requirements changed"
    for rid, outcome in run.outcomes().items():
        assert outcome == ("info" if rid in TLS_MAY else "pass"), run.summary()
        if rid in TLS_MAY:
            assert not run.record(rid)["expected"], run.summary()  # a finding, no violation


@pytest.mark.parametrize(
    "fault",
    [
        *TLS_MUST,
        "tls/rfc5280/6.1.3/validity-period:not-yet-valid",
        *ECHO_MUST,
    ],
)
def test_must_violation_fails(tls_run: Callable[..., SuiteRun], fault: str) -> None:
    run = tls_run(fault)
    rid = fault.split(":", 1)[0]
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", TLS_SHOULD + ECHO_SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    tls_run: Callable[..., SuiteRun], rid: str, strict: bool
) -> None:
    run = tls_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


@pytest.mark.parametrize("rid", TLS_MAY)
def test_may_finding_is_informational(tls_run: Callable[..., SuiteRun], rid: str) -> None:
    run = tls_run(rid)
    assert_detected(run, rid, outcome="info", returncode=0)
    assert run.record(rid)["expected"], "a MAY violation keeps what was expected"
    assert run.certificate["verdict"] == "CONFORMANT"


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_https_and_wss_targets_get_the_same_checks(tmp_path: Path, scheme: str) -> None:
    """The same server as an https:// or wss:// target: the same checks, over TLS."""
    cafile = trusted_cafile(tmp_path)
    with TlsEchoServer(directory=tmp_path) as server:
        host, port = server.tcp_address
        run = run_suite_against(
            "tls",
            [f"{scheme}://{host}:{port}"],
            tmp_path / "reports",
            "--ca",
            cafile,
            *NO_HYPOTHESIS,
        )
    assert run.returncode == 0, run.summary()
    assert sorted(run.outcomes()) == sorted(TLS_MUST + TLS_SHOULD + TLS_MAY), run.summary()
    assert [t["scheme"] for t in run.certificate["targets"]["tls"]] == [scheme], run.summary()
    for record in run.certificate["requirements"]:
        assert f"tls={scheme}://" in record["reproduce"], record["reproduce"]


def test_insecure_leaves_the_chain_unassessed(tmp_path: Path) -> None:
    """--insecure: the chain check is skipped with the reason, never passed."""
    with TlsEchoServer("tls/rfc5280/6.1/chain-verifies", directory=tmp_path) as server:
        run = run_suite_against(
            "tls",
            [],
            tmp_path / "reports",
            *server.targets("tls"),
            "--insecure",
            "--spec",
            "tls/rfc5280/",
            *NO_HYPOTHESIS,
        )
    record = run.record("tls/rfc5280/6.1/chain-verifies")
    assert record["outcome"] == "skip", run.summary()
    assert "--insecure" in record["actual"], record
    assert run.certificate["verdict"] == "INCOMPLETE", run.summary()


def test_tcp_only_echo_target_lists_tls_as_not_assessed(tmp_path: Path) -> None:
    """An echo run given tcp:// only: the TLS checks are listed as not assessed."""
    with EchoServer() as server:
        (host, port) = server.tcp_address
        run = run_suite_against(
            "echo",
            [f"tcp://{host}:{port}"],
            tmp_path,
            "--spec",
            "echo/rfc862/tcp/connection-stays-open",
            "--spec",
            "echo/rfc862/tls/",
        )
    assert run.returncode == 0, run.summary()
    assert set(run.outcomes()) == {"echo/rfc862/tcp/connection-stays-open"}, run.summary()
    text = str(run.certificate.get("not_assessed"))
    assert "tls://" in text, run.certificate.get("not_assessed")

"""The websocket suite blames the right requirement: one broken server per requirement.

Each case starts a :class:`brokenwebsocket.WebSocketServer` whose fault breaks one
requirement, runs ``suites/websocket`` against it in a subprocess (``--timeout 1``,
``--websocket-max-message`` set to the server's stated limit) with ``--spec`` naming
that requirement, and reads the certificate: the broken requirement fails (MUST),
warns (SHOULD; fails with ``--strict-spec``) or reports a different finding (MAY),
with its wire log and expected/actual text, and nothing else in the run is failed or
warned. One run of the whole suite shows the unbroken server CONFORMANT. The runs are
independent, so they go three at a time. The default run has every MUST and SHOULD
fault; ``-m slow`` adds the MAY findings, Autobahn 9 (``--profile thorough``) and the
``--strict-spec`` runs of the SHOULDs outside :data:`COMMON`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from brokenservers import SuiteRun, assert_detected, run_suite
from brokenwebsocket import MAX_MESSAGE, WEBSOCKET_FAULTS, WebSocketServer

PREFIX = "websocket/rfc6455/"
SHOULD = [
    "websocket/rfc6455/8.1/fail-fast",
    "websocket/rfc6455/7.1.1/server-closes-tcp-first",
    "websocket/rfc6455/7.1.7/fail-with-close-code",
    "websocket/rfc6455/7.4.1/message-too-big-1009",
]
#: MAY checks: the fault changes the finding, never the outcome.
MAY = {
    "websocket/rfc6455/4.2.2/unsupported-version-426": "HTTP 400",
    "websocket/rfc6455/4.2.1/origin-optional": "refused with HTTP 403",
    "websocket/rfc6455/5.5.3/every-ping-answered": "1 Pongs to 10 Pings",
}
#: MAY checks with no fault of their own (what the target does is only reported).
REPORTED = [
    "websocket/rfc6455/5.2/non-minimal-length",
    "websocket/rfc6455/7.4.2/codes-above-4999",
    "websocket/rfc7692/7/permessage-deflate",
]
#: Checks that need --profile thorough (Autobahn 9): a slow test below.
THOROUGH = ["websocket/rfc6455/5.2/large-and-many-messages"]
MUST = [
    PREFIX + fault
    for fault in WEBSOCKET_FAULTS
    if PREFIX + fault not in SHOULD and PREFIX + fault not in MAY and PREFIX + fault not in THOROUGH
]
#: The SHOULD faults whose --strict-spec runs are in the default run (those a WebSocket
#: server gets wrong most often); every MUST and SHOULD fault runs by default.
COMMON = {
    PREFIX + fault
    for fault in (
        "4.2.2/accept-key",
        "4.4/unsupported-version",
        "5.1/unmasked-client-frame",
        "5.2/rsv-must-be-zero",
        "5.2/reserved-opcode-data",
        "5.4/control-not-fragmented",
        "5.5.1/close-answered",
        "5.5.3/pong-payload-identical",
        "8.1/invalid-utf8-fails",
        "6.2/fragments-reassembled",
        "7.1.7/fail-with-close-code",
    )
}
#: Every requirement of the suite; the unbroken run must list each one.
ALL = MUST + SHOULD + list(MAY) + REPORTED + THOROUGH
ALWAYS = ("--websocket-max-message", str(MAX_MESSAGE))

Key = tuple[str | None, bool]
Runs = Callable[[str | None, bool], SuiteRun]


def _run(fault: str | None, strict: bool, report_dir: Path, *extra: str) -> SuiteRun:
    spec: tuple[str, ...] = ()
    if fault is not None:
        spec = ("--spec", PREFIX + fault)
    if strict:
        spec += ("--strict-spec",)
    with WebSocketServer(fault) as server:
        return run_suite("websocket", server, report_dir, *ALWAYS, *spec, *extra)


def _keys_of(item: pytest.Item) -> list[Key]:
    """The runs a collected test of this file reads."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    name = getattr(item, "originalname", item.name)
    if name == "test_unmasked_frame_evidence_names_the_frame":
        return [("5.1/unmasked-client-frame", False)]
    if "rid" not in params or name == "test_thorough_violation_fails":
        return [(None, False)]
    keys: list[Key] = [(params["rid"].removeprefix(PREFIX), bool(params.get("strict")))]
    if name == "test_may_difference_is_reported":
        keys.append((None, False))
    return keys


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """``runs(fault, strict)``: the suite against the server with that fault. Every run
    the selected tests of this file read is made up front, three at a time."""
    here = Path(__file__).resolve()
    wanted: dict[Key, None] = {}
    for item in request.session.items:
        if Path(item.path).resolve() == here:
            wanted.update(dict.fromkeys(_keys_of(item)))
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            key: pool.submit(_run, key[0], key[1], tmp_path_factory.mktemp("websocket-reports"))
            for key in wanted
        }
        done = {key: future.result() for key, future in futures.items()}

    def get(fault: str | None, strict: bool = False) -> SuiteRun:
        key = (fault, strict)
        if key not in done:
            done[key] = _run(fault, strict, tmp_path_factory.mktemp("websocket-reports"))
        return done[key]

    return get


def _should_params() -> list[object]:
    """Every SHOULD as a warning; under --strict-spec only the common ones (the others'
    strict runs, which only turn the same warning into a failure, are slow)."""
    params: list[object] = []
    for rid in SHOULD:
        name = rid.removeprefix(PREFIX)
        params.append(pytest.param(rid, False, id=f"{name}-default"))
        slow = () if rid in COMMON else pytest.mark.slow
        params.append(pytest.param(rid, True, id=f"{name}-strict-spec", marks=slow))
    return params


def test_unbroken_server_is_conformant(runs: Runs) -> None:
    run = runs(None, False)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(set(ALL) - set(THOROUGH)), (
        "the suite's requirements changed"
    )
    for rid, outcome in run.outcomes().items():
        assert outcome == ("info" if rid in MAY or rid in REPORTED else "pass"), run.summary()
    deflate = run.record("websocket/rfc7692/7/permessage-deflate")["actual"]
    assert deflate.startswith("UNIMPLEMENTED"), deflate


def test_every_fault_has_a_requirement() -> None:
    """No fault of the broken server is left without its detection below."""
    assert {PREFIX + f for f in WEBSOCKET_FAULTS} == set(ALL) - set(REPORTED)


@pytest.mark.parametrize("rid", MUST, ids=lambda rid: rid.removeprefix(PREFIX))
def test_must_violation_fails(runs: Runs, rid: str) -> None:
    run = runs(rid.removeprefix(PREFIX), False)
    assert_detected(run, rid, outcome="fail", returncode=1)
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize(("rid", "strict"), _should_params())
def test_should_violation_warns_and_fails_when_strict(runs: Runs, rid: str, strict: bool) -> None:
    run = runs(rid.removeprefix(PREFIX), strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


@pytest.mark.slow
@pytest.mark.parametrize("rid", list(MAY))
def test_may_difference_is_reported(runs: Runs, rid: str) -> None:
    run = runs(rid.removeprefix(PREFIX), False)
    assert_detected(run, rid, outcome="info", returncode=0)
    actual = run.record(rid)["actual"]
    assert MAY[rid] in actual, actual
    unbroken = runs(None, False).record(rid)["actual"]
    assert MAY[rid] not in unbroken, unbroken


@pytest.mark.slow
@pytest.mark.parametrize("rid", THOROUGH)
def test_thorough_violation_fails(tmp_path: Path, rid: str) -> None:
    """Autobahn 9's cases run with --profile thorough only."""
    run = _run(rid.removeprefix(PREFIX), False, tmp_path, "--profile", "thorough")
    assert_detected(run, rid, outcome="fail", returncode=1)


def test_unmasked_frame_evidence_names_the_frame(runs: Runs) -> None:
    """The wire log carries the frames in words beside the bytes."""
    record = runs("5.1/unmasked-client-frame", False).record(
        "websocket/rfc6455/5.1/unmasked-client-frame"
    )
    notes = [e.get("note", "") for e in record["wirelog"]["events"] if e["kind"] == "frame"]
    assert any("UNMASKED" in n for n in notes), notes
    said = ("kept the connection open", "echoed", "answered a Ping", "carried on")
    assert any(words in record["actual"] for words in said), record["actual"]

"""wirecert's pytest plugin: options, markers, target resolution and report hooks.

How a run goes:

1. ``pytest_configure`` resolves the options and assigns each ``--target`` to a suite
   (a usage error, one line, for anything a user typed wrong).
2. Collection checks every suite check's ``requirement`` marker, applies ``--spec``,
   leaves out checks whose transport no target covers, and derives each check's
   pytest-timeout limit from ``--timeout``.
3. The ``target`` fixture hands a check its endpoint (starting the embedded reference
   when no target was given) after probing that it is alive, so a dead target turns
   the remaining checks into ``error`` instead of failures.
4. ``pytest_runtest_makereport`` turns each result into an outcome for the check's
   level and attaches a JSON-able record to the report, which is what survives
   pytest-xdist; the controller builds the certificate from those records alone.
"""

from __future__ import annotations

import secrets
import shlex
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness import __version__
from harness.errors import ConformanceFailure, HarnessError, TargetUnavailable
from harness.requirements import (
    MARKER_HELP,
    Registry,
    Requirement,
    RequirementError,
    requirement_from_marker,
)
from harness.settings import Settings, add_options, resolve_settings
from harness.suite import Suite, all_suites, suites_dir
from harness.targets import (
    EmbeddedReference,
    EmbeddedReferenceError,
    Target,
    TargetSyntaxError,
    parse_target,
)
from harness.verdicts import Outcome, outcome_of
from harness.wire import Wire

__all__ = ["CheckContext", "RunState", "each_scheme", "not_assessed", "state_of"]

#: The record a report carries; the only thing the certificate is built from.
RECORD_ATTR = "wirecert"

_STATE = pytest.StashKey["RunState"]()
_REQUIREMENT = pytest.StashKey[Requirement]()
_SCHEME = pytest.StashKey[str]()
_WIRE = pytest.StashKey[Wire]()
_FINDINGS = pytest.StashKey[list[str]]()

#: pytest-timeout's limit for one check, as a multiple of the per-event --timeout,
#: plus a constant for start-up: a safety net, since every wire call is bounded.
_CHECK_LIMIT_EVENTS = 30
_CHECK_LIMIT_BASE = 30.0


@dataclass
class RunState:
    settings: Settings
    suites: dict[str, Suite]
    selected: set[str]
    #: suite -> scheme -> target given on the command line
    targets: dict[str, dict[str, Target]]
    is_worker: bool
    run_id: str = ""
    started: float = field(default_factory=time.time)
    seed: int | None = None
    registry: Registry = field(default_factory=Registry)
    embedded: dict[str, EmbeddedReference] = field(default_factory=dict)
    embedded_failures: dict[str, str] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    #: what was left out of the run -> [checks, why]; reaches the certificate
    not_assessed: dict[str, list[Any]] = field(default_factory=dict)
    certificate_dir: Path | None = None
    _tls_contexts: dict[str, ssl.SSLContext] = field(default_factory=dict, repr=False)

    def external(self, suite: str) -> dict[str, Target]:
        return self.targets.get(suite, {})

    def reference_for(self, suite: Suite, scheme: str) -> Target:
        """The embedded reference's endpoint for ``scheme``, started on first use."""
        protocol = suite.reference_protocol(self.settings.suite_options[suite.name])
        if protocol is None:
            raise HarnessError(f"the {suite.name} suite has no embedded reference")
        if suite.name in self.embedded_failures:
            raise HarnessError(self.embedded_failures[suite.name])
        ref = self.embedded.get(suite.name)
        if ref is None:
            try:
                start = suite.embed or EmbeddedReference
                ref = start(protocol, list(suite.served_schemes()), suite=suite.name)
            except EmbeddedReferenceError as exc:
                # Once is enough: every later check of the suite errors at once.
                self.embedded_failures[suite.name] = str(exc)
                raise HarnessError(str(exc)) from None
            self.embedded[suite.name] = ref
        return ref.endpoints[scheme]

    def client_tls(self, target: Target) -> ssl.SSLContext:
        """The client context for a TLS target: the embedded reference's CA, --ca, the
        system's trust store, or no verification with --insecure."""
        key = f"embedded:{target.suite}" if target.embedded else "external"
        context = self._tls_contexts.get(key)
        if context is not None:
            return context
        if target.embedded:
            ref = self.embedded.get(target.suite or "")
            if ref is None or ref.cafile is None:
                raise HarnessError(f"the embedded reference for {target.url} announced no CA")
            context = ssl.create_default_context(cafile=ref.cafile)
        elif self.settings.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.settings.ca is not None:
            context = ssl.create_default_context(cafile=str(self.settings.ca))
        else:
            context = ssl.create_default_context()
        self._tls_contexts[key] = context
        return context

    def stop_embedded(self) -> None:
        for ref in self.embedded.values():
            ref.stop()
        self.embedded.clear()
        self._tls_contexts.clear()


@dataclass(frozen=True)
class CheckContext:
    """What a check may ask about the run: the ``wirecert`` fixture."""

    settings: Settings
    suite: Suite
    scheme: str

    @property
    def profile(self) -> Any:
        return self.settings.profile

    @property
    def timeout(self) -> float:
        return self.settings.timeout

    def option(self, name: str) -> Any:
        return self.settings.suite_option(self.suite.name, name)


def state_of(config: pytest.Config) -> RunState:
    return config.stash[_STATE]


def not_assessed(config: pytest.Config, what: str, reason: str, checks: int = 1) -> None:
    """Record that ``checks`` checks of ``what`` are left out of this run, and why.

    For the collection hooks that deselect checks (a transport no target covers, a suite
    option choosing one kind of service): the certificate lists them under "not
    assessed", so leaving them out is never silent.
    """
    entry = state_of(config).not_assessed.setdefault(what, [0, reason])
    entry[0] += checks


# -- options and configuration -------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser, all_suites())


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line(
        "markers",
        "scheme(name, ...): the transport a suite check uses (default: the suite's first); "
        "with several, the first the run has a target for",
    )
    suites = all_suites()
    settings = resolve_settings(config, suites)
    selected = _selected_suites(config, suites, settings)
    state = RunState(
        settings=settings,
        suites=suites,
        selected=selected,
        targets=_assign_targets(settings, suites, selected),
        is_worker=hasattr(config, "workerinput"),
    )
    config.stash[_STATE] = state
    config.pluginmanager.register(_RunHooks(config), "wirecert-run")
    if not selected:
        return
    if state.is_worker:
        state.seed = config.workerinput.get("wirecert_seed")  # type: ignore[attr-defined]
        state.run_id = config.workerinput.get("wirecert_run_id", "")  # type: ignore[attr-defined]
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        state.run_id = f"{stamp}-{secrets.token_hex(3)}"
        seed = config.getoption("hypothesis_seed", default=None)
        state.seed = int(seed) if seed is not None and str(seed).isdigit() else None
        if seed is None:
            state.seed = secrets.randbelow(2**32)
    if config.pluginmanager.has_plugin("hypothesispytest") and state.seed is not None:
        # Every fuzz check draws from this seed, which the certificate records, so a
        # failing run replays with --hypothesis-seed.
        config.option.hypothesis_seed = state.seed
    if config.pluginmanager.has_plugin("hypothesispytest"):
        _load_hypothesis_profile(settings)
    # else (-p no:hypothesispytest): Hypothesis is not imported for a run without fuzz
    # checks (it costs seconds); collection loads the profile if a suite imported it.


def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's seed and run id to each worker."""
    state = state_of(node.config)
    node.workerinput["wirecert_seed"] = state.seed
    node.workerinput["wirecert_run_id"] = state.run_id


def _load_hypothesis_profile(settings: Settings) -> None:
    from hypothesis import HealthCheck
    from hypothesis import settings as hsettings

    name = f"wirecert-{settings.profile.name}"
    hsettings.register_profile(
        name,
        max_examples=settings.profile.examples,
        deadline=None,
        print_blob=True,
        # Checks reset their own wire log per example; see the fuzz checks.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    hsettings.load_profile(name)


def _selected_suites(
    config: pytest.Config, suites: dict[str, Suite], settings: Settings
) -> set[str]:
    """Which suites the command line's paths select (before -k and --spec narrow them)."""
    root = suites_dir().resolve()
    selected: set[str] = set()
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        if not path.is_absolute():
            path = config.invocation_params.dir / path
        path = path.resolve()
        if path == root or root.is_relative_to(path):
            selected.update(suites)
        elif path.is_relative_to(root):
            name = path.relative_to(root).parts[0]
            if name in suites:
                selected.add(name)
    if settings.spec:
        selected = {
            name
            for name in selected
            if any(prefix.split("/", 1)[0] == name for prefix in settings.spec)
        }
    return selected


def _assign_targets(
    settings: Settings, suites: dict[str, Suite], selected: set[str]
) -> dict[str, dict[str, Target]]:
    usage = pytest.UsageError
    assigned: dict[str, dict[str, Target]] = {}
    if settings.targets and not selected:
        raise usage(
            "--target needs a suite to run: give its directory, e.g. "
            "pytest suites/echo --target host:7"
        )
    for text in settings.targets:
        try:
            target = parse_target(text)
        except TargetSyntaxError as exc:
            raise usage(str(exc)) from None
        if target.suite is None:
            if len(selected) > 1:
                names = sorted(selected)
                labelled = " or ".join(f"--target {n}={text}" for n in names)
                raise usage(
                    f"--target {text!r} has no suite label but {len(names)} suites are selected "
                    f"({', '.join(names)}): write {labelled}, or select one suite, e.g. "
                    f"pytest suites/{names[0]} --target {text}"
                )
            (name,) = selected
            target = Target(
                target.scheme, target.host, target.port, target.path, name, raw=target.raw
            )
        suite = suites.get(target.suite or "")
        if suite is None:
            raise usage(
                f"--target {text!r}: no suite is called {target.suite!r}; "
                f"suites are: {', '.join(sorted(suites))}"
            )
        if suite.name not in selected:
            raise usage(
                f"--target {text!r} is for the {suite.name} suite, which this run does not "
                f"select: add suites/{suite.name} to the paths"
            )
        if target.scheme not in suite.schemes and "://" not in text and "tcp" not in suite.schemes:
            # No scheme typed, and the default (tcp) is not one of the suite's: the
            # suite's own first scheme (the icmp suite takes a bare host).
            first = next(iter(suite.schemes))
            try:
                target = parse_target(f"{suite.name}={first}://{text.split('=', 1)[-1]}")
            except TargetSyntaxError as exc:
                raise usage(str(exc)) from None
        if target.scheme not in suite.schemes:
            raise usage(
                f"--target {text!r}: the {suite.name} suite does not take {target.scheme}://; "
                f"write {suite.forms()}"
            )
        if target.port is None and suite.schemes[target.scheme]:
            # Port 0 in a suite's schemes: the scheme has no ports (icmp).
            target = target.with_port(suite.schemes[target.scheme])
        per_suite = assigned.setdefault(suite.name, {})
        if target.scheme in per_suite:
            raise usage(
                f"--target {text!r}: the {suite.name} suite already has a {target.scheme}:// "
                f"target ({per_suite[target.scheme].url}); give one per scheme"
            )
        per_suite[target.scheme] = target
    return assigned


def _probe(target: Target, timeout: float) -> str | None:
    """Why a TCP target does not accept connections, or None if it does (UDP: not probed)."""
    if target.scheme in ("udp", "icmp"):
        return None
    try:
        with socket.create_connection(target.address, timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return f"no answer to a connection attempt within {timeout:g} s"
    except socket.gaierror as exc:
        return f"cannot resolve {target.host!r} ({exc.strerror})"
    except OSError as exc:
        return exc.strerror or str(exc)


# -- collection ------------------------------------------------------------------------


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = state_of(config)
    if state.selected and "hypothesis" in sys.modules:
        _load_hypothesis_profile(state.settings)
    root = suites_dir().resolve()
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    matched_spec: set[str] = set()
    for item in items:
        if not Path(item.path).resolve().is_relative_to(root):
            keep.append(item)
            continue
        requirement, scheme, suite = _declared(item, state)
        state.registry.add(requirement, item.nodeid)
        if state.settings.spec:
            prefixes = [p for p in state.settings.spec if requirement.id.startswith(p)]
            if not prefixes:
                dropped.append(item)
                continue
            matched_spec.update(prefixes)
        if suite.name not in state.selected:
            # Selected by a path the argument analysis did not see (e.g. --pyargs).
            state.selected.add(suite.name)
        item.stash[_REQUIREMENT] = requirement
        item.stash[_SCHEME] = scheme
        item.user_properties.append(("requirement", requirement.id))
        item.user_properties.append(("level", requirement.level.value))
        external = state.external(suite.name)
        if state.targets and not external:
            item.add_marker(
                pytest.mark.skip(
                    reason=(
                        f"no target for the {suite.name} suite in this run "
                        f"(add --target {suite.name}={suite.forms().split(' or ')[0]})"
                    )
                )
            )
        elif external and scheme not in external:
            not_assessed(
                config,
                f"{suite.name} over {scheme}",
                f"no {scheme}:// target was given (add --target {suite.name}={scheme}://HOST)",
            )
            dropped.append(item)
            continue
        if item.get_closest_marker("timeout") is None:
            limit = _CHECK_LIMIT_BASE + _CHECK_LIMIT_EVENTS * state.settings.timeout
            item.add_marker(pytest.mark.timeout(limit))
        keep.append(item)
    unmatched = [p for p in state.settings.spec if p not in matched_spec]
    if unmatched and not state.is_worker:
        known = sorted({"/".join(rid.split("/")[:2]) + "/" for rid in state.registry.ids()})
        raise pytest.UsageError(
            f"--spec {unmatched[0]!r} matches no requirement id; ids in the selected suites "
            f"start with {', '.join(known) or 'nothing (no suite selected)'}"
        )
    if state.not_assessed and not any(_REQUIREMENT in item.stash for item in keep):
        # Every selected check was left out: say why, and so what to add.
        why = "; ".join(f"{what}: {reason}" for what, (_, reason) in state.not_assessed.items())
        raise pytest.UsageError(f"nothing to check: {why}")
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _declared(item: pytest.Item, state: RunState) -> tuple[Requirement, str, Suite]:
    markers = list(item.iter_markers("requirement"))
    if len(markers) != 1:
        raise pytest.UsageError(
            f"{item.nodeid}: a suite check needs exactly one @pytest.mark.requirement "
            f"(found {len(markers)})"
        )
    try:
        requirement = requirement_from_marker(markers[0].args, dict(markers[0].kwargs))
    except RequirementError as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
    suite = state.suites.get(requirement.suite)
    if suite is None:
        raise pytest.UsageError(f"{item.nodeid}: requirement {requirement.id} names no known suite")
    scheme_marker = item.get_closest_marker("scheme")
    declared = tuple(scheme_marker.args) if scheme_marker else (next(iter(suite.schemes)),)
    for scheme in declared:
        if scheme not in suite.schemes:
            raise pytest.UsageError(
                f"{item.nodeid}: scheme {scheme!r} is not one the {suite.name} suite declares"
            )
    # A check that runs over any of several schemes (scheme("tls", "https", "wss")) takes
    # the first the run has a target for, or else the first the embedded reference serves.
    available = state.external(suite.name) or suite.served_schemes()
    scheme = next((s for s in declared if s in available), declared[0])
    return requirement, scheme, suite


# -- fixtures --------------------------------------------------------------------------


def _suite_of(request: pytest.FixtureRequest) -> tuple[RunState, Suite, str]:
    state = state_of(request.config)
    requirement = request.node.stash.get(_REQUIREMENT, None)
    if requirement is None:
        raise HarnessError("the target fixture is for suite checks (with a requirement marker)")
    return state, state.suites[requirement.suite], request.node.stash[_SCHEME]


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Target:
    """The endpoint this check certifies: the user's target, or the embedded reference.

    Probed first: a target that no longer accepts connections makes this check an
    ``error`` (the harness could not check), not a failure.
    """
    state, suite, scheme = _suite_of(request)
    chosen = state.external(suite.name).get(scheme) or state.reference_for(suite, scheme)
    problem = _probe(chosen, state.settings.timeout)
    if problem:
        raise TargetUnavailable(
            f"{chosen.url} is not accepting connections ({problem}); it was reachable when the "
            "run began, so an earlier check may have brought it down"
        )
    return chosen


@pytest.fixture
def reference_target(request: pytest.FixtureRequest) -> Target:
    """The embedded reference for this check's suite and scheme, for differential checks."""
    state, suite, scheme = _suite_of(request)
    return state.reference_for(suite, scheme)


@pytest.fixture
def wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    """Recording clients; their log goes into the certificate."""
    state = state_of(request.config)
    recorder = Wire(timeout=state.settings.timeout, tls_context=state.client_tls)
    request.node.stash[_WIRE] = recorder
    yield recorder
    recorder.close_all()


@pytest.fixture
def finding(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record an informational finding (what a MAY check saw) in the certificate."""
    found: list[str] = request.node.stash.setdefault(_FINDINGS, [])
    return found.append


def each_scheme(suite: Suite) -> Any:
    """An autouse fixture for a suite's ``conftest.py`` that runs every check of the suite
    once per scheme it declares (``_each_scheme = each_scheme(SUITE)``): http and https,
    ws and wss. A scheme no ``--target`` covers is left out and listed as not assessed,
    as for any check; with no target, the embedded reference serves every scheme."""

    @pytest.fixture(
        autouse=True,
        params=[pytest.param(s, marks=pytest.mark.scheme(s), id=s) for s in suite.schemes],
    )
    def scheme(request: pytest.FixtureRequest) -> str:
        return str(request.param)

    return scheme


@pytest.fixture
def wirecert(request: pytest.FixtureRequest) -> CheckContext:
    """The run's settings as a check sees them: profile, timeout, its suite's options."""
    state, suite, scheme = _suite_of(request)
    return CheckContext(state.settings, suite, scheme)


# -- results ---------------------------------------------------------------------------


def _is_violation(exc: BaseException) -> bool:
    if isinstance(exc, AssertionError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_violation(e) for e in exc.exceptions)
    return False


def _first_failure(exc: BaseException) -> ConformanceFailure | None:
    if isinstance(exc, ConformanceFailure):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_failure(inner)
            if found is not None:
                return found
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    requirement = item.stash.get(_REQUIREMENT, None)
    if requirement is None:
        return report
    if (call.when == "setup" and report.passed) or (call.when == "teardown" and not report.failed):
        return report
    state = state_of(item.config)
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.skipped:
        result = "skipped"
    elif report.passed:
        result = "passed"
    elif call.when == "call" and exc is not None and _is_violation(exc):
        result = "violated"
    else:
        result = "broken"
    outcome = outcome_of(requirement.level, result=result, strict=state.settings.strict_spec)
    record = _record(item, call, report, state, requirement, result, outcome, exc)
    setattr(report, RECORD_ATTR, record)
    if report.failed and outcome in (Outcome.WARN, Outcome.INFO):
        # A broken SHOULD (without --strict-spec) or MAY is reported, not failed:
        # the exit status is 0 when the target conforms at the chosen strictness.
        report.outcome = "passed"
        report.longrepr = None
    if call.when == "call":
        item.user_properties.append(("outcome", outcome.value))
    return report


def _record(
    item: pytest.Item,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
    state: RunState,
    requirement: Requirement,
    result: str,
    outcome: Outcome,
    exc: BaseException | None,
) -> dict[str, Any]:
    suite = state.suites[requirement.suite]
    scheme = item.stash[_SCHEME]
    func = getattr(item, "function", None)
    doc = (func.__doc__ or "").strip() if func is not None else ""
    name = getattr(item, "originalname", item.name).removeprefix("test_").replace("_", " ")
    params = item.name[len(getattr(item, "originalname", item.name)) :]
    failure = _first_failure(exc) if exc is not None else None
    findings = item.stash.get(_FINDINGS, [])
    if failure is not None:
        expected, actual = list(failure.expected), failure.actual
    elif result == "skipped":
        expected, actual = [], _skip_reason(report)
    elif result == "broken":
        expected, actual = [], _error_text(call, report)
    else:
        expected, actual = [], ""
    if findings:
        actual = (
            "; ".join(findings) if not actual else f"{actual} (findings: {'; '.join(findings)})"
        )
    recorder = item.stash.get(_WIRE, None)
    ext = state.external(suite.name).get(scheme)
    chosen = ext or (
        state.embedded[suite.name].endpoints.get(scheme) if suite.name in state.embedded else None
    )
    # Hypothesis notes the falsifying example on the exception it re-raises (inside a
    # group when it found several distinct failures).
    noted = [e for e in (exc, failure) if e is not None]
    notes = [str(n) for e in dict.fromkeys(noted) for n in getattr(e, "__notes__", None) or []]
    return {
        "nodeid": item.nodeid,
        "requirement": requirement.to_dict(),
        "title": f"{name}{params}",
        "description": doc,
        "scheme": scheme,
        "phase": call.when,
        "result": result,
        "outcome": outcome.value,
        "expected": expected,
        "actual": actual,
        "findings": list(findings),
        "notes": notes,
        "duration_ms": round(call.duration * 1000, 3),
        "wirelog": recorder.log.to_dict() if recorder is not None else None,
        "target": _target_dict(chosen, suite, scheme),
        "reproduce": _reproduce(item, state, ext, outcome),
        # What this process left out: with xdist only the workers collect.
        "not_assessed": state.not_assessed,
    }


def _target_dict(target: Target | None, suite: Suite, scheme: str) -> dict[str, Any]:
    if target is None:
        return {"suite": suite.name, "scheme": scheme, "embedded": True, "host": None, "port": None}
    return {
        "suite": suite.name,
        "scheme": target.scheme,
        "host": target.host,
        "port": target.port,
        "path": target.path,
        "embedded": target.embedded,
        "url": target.url,
    }


def _reproduce(item: pytest.Item, state: RunState, ext: Target | None, outcome: Outcome) -> str:
    words = ["pytest", item.nodeid]
    if ext is not None:
        words += ["--target", ext.option()]
    suite = state.suites[item.stash[_REQUIREMENT].suite]
    for opt in suite.options:
        value = state.settings.suite_option(suite.name, opt.name)
        if value != opt.default:
            words += [f"--{suite.name}-{opt.name}", str(value)]
    if state.settings.strict_spec:
        words.append("--strict-spec")
    if state.settings.timeout != 2.0:
        words += ["--timeout", f"{state.settings.timeout:g}"]
    func = getattr(item, "function", None)
    if getattr(func, "is_hypothesis_test", False):
        words += ["--profile", state.settings.profile.name]
        if state.seed is not None:
            words.append(f"--hypothesis-seed={state.seed}")
    return shlex.join(words)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _error_text(call: pytest.CallInfo[None], report: pytest.TestReport) -> str:
    if call.excinfo is not None:
        exc = call.excinfo.value
        text = str(exc).strip().splitlines()
        first = text[0] if text else ""
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else "error"


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    record = getattr(report, RECORD_ATTR, None)
    if record is None or report.when != "call":
        return None
    outcome = record["outcome"]
    if outcome == "warn":
        return "warned", "W", ("WARN", {"yellow": True})
    if outcome == "info":
        return "info", "I", ("INFO", {"cyan": True})
    if outcome == "error":
        return "error", "E", ("ERROR", {"red": True})
    return None


# -- the end of the run: hooks of the run object ---------------------------------------


class _RunHooks:
    """Hooks that need the run's state; registered by ``pytest_configure``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.certificate: dict[str, Any] | None = None

    @property
    def state(self) -> RunState:
        return state_of(self.config)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Reports reach the controller once per phase; the certificate merges them.
        record = getattr(report, RECORD_ATTR, None)
        if record is not None:
            self.state.records.append(record)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        state = self.state
        if state.is_worker:
            return
        for per_suite in state.targets.values():
            for target in per_suite.values():
                problem = _probe(target, state.settings.timeout)
                if problem:
                    raise pytest.UsageError(
                        f"cannot reach the {target.suite} target {target.url}: {problem}. Check "
                        "the host and port, or leave out --target to certify the embedded "
                        "reference"
                    )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = self.state
        state.stop_embedded()
        if state.is_worker or not state.records:
            return
        from harness.report import build_certificate, rewrite_junit, write_certificate

        self.certificate = build_certificate(
            state.records,
            run_id=state.run_id,
            started=state.started,
            finished=time.time(),
            version=__version__,
            command=shlex.join(["pytest", *map(str, self.config.invocation_params.args)]),
            settings=state.settings,
            targets=state.targets,
            selected=sorted(state.selected),
            not_assessed=state.not_assessed,
            seed=state.seed,
        )
        state.certificate_dir = write_certificate(self.certificate, state.settings.report_dir)
        xmlpath = self.config.getoption("xmlpath", default=None)
        if xmlpath:
            rewrite_junit(Path(xmlpath), self.certificate)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.certificate is None:
            return
        from harness.report import terminal_lines

        terminalreporter.section("wirecert: requirements by level")
        for line, markup in terminal_lines(self.certificate):
            terminalreporter.write_line(line, **markup)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # After pytest's own summary line, so the verdict is the last thing printed.
        if self.certificate is None:
            return
        verdict = self.certificate["verdict"]
        colour = {"CONFORMANT": "green", "CONFORMANT_WITH_WARNINGS": "yellow"}.get(verdict, "red")
        where = self.state.certificate_dir
        line = f"wirecert verdict: {verdict}  certificate: {where}/certificate.html"
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line, **{colour: True, "bold": True})
        else:
            print(line)

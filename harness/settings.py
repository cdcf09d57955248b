"""Options: one description each, shared by the command line, the environment and ini.

Resolution order is command line > environment (``WIRECERT_<NAME>``) > ini
(``wirecert_<name>``) > default, and a bad value names where it came from:
``invalid --timeout 'x' from WIRECERT_TIMEOUT: not a number``.

``--timeout`` belongs to pytest-timeout, which wirecert requires; in a suite it is
the time allowed for each *expected event* (a reply, a close), and each check's
overall limit is derived from it.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from harness.suite import Suite, SuiteOption

__all__ = ["OPTIONS", "PROFILES", "Option", "Profile", "Settings", "resolve_settings"]


@dataclass(frozen=True)
class Profile:
    """How hard the fuzz and load checks work."""

    name: str
    examples: int  #: Hypothesis examples per fuzz check
    clients: int  #: concurrent clients in load checks
    large: bool  #: run the large and many-message cases


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", examples=20, clients=10, large=False),
    "ci": Profile("ci", examples=100, clients=50, large=False),
    "thorough": Profile("thorough", examples=1000, clients=200, large=True),
}


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number of seconds") from None
    if not 0 < value <= 3600:
        raise ValueError("must be more than 0 and at most 3600 seconds")
    return value


def _profile(text: str) -> str:
    if text not in PROFILES:
        raise ValueError(f"choose one of {', '.join(PROFILES)}")
    return text


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _existing_file(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError("no such file")
    return path


def _ca_file(text: str) -> Path:
    path = _existing_file(text)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise ValueError("not a CA certificate file in PEM format") from None
    return path


@dataclass(frozen=True)
class Option:
    """One option of the plugin.

    ``kind`` is ``value`` (one value), ``list`` (repeatable) or ``flag`` (on/off).
    ``cli`` is None for an option another plugin registers (pytest-timeout's --timeout).
    """

    name: str
    help: str
    parse: Callable[[str], Any]
    default: Any
    kind: str = "value"
    cli: str | None = ""
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return self.cli if self.cli else "--" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return f"wirecert_{self.name}"

    @property
    def env(self) -> str:
        return f"WIRECERT_{self.name.upper()}"


OPTIONS: tuple[Option, ...] = (
    Option(
        "target",
        "what to certify: [suite=][scheme://]host[:port][/path]; repeat for several suites "
        "(label each: echo=host:7). Without it, every suite runs against its embedded reference.",
        str,
        [],
        kind="list",
        metavar="TARGET",
    ),
    Option(
        "strict_spec",
        "treat SHOULD violations as failures (by default they are warnings)",
        _flag,
        False,
        kind="flag",
    ),
    Option(
        "spec",
        "run only requirements whose id starts with PREFIX, e.g. echo/rfc862/udp (repeatable)",
        str,
        [],
        kind="list",
        metavar="PREFIX",
    ),
    Option(
        "timeout",
        "seconds to wait for each expected event (a reply, a close) in a suite check; "
        "each check's own limit is derived from it (default 2)",
        _positive_seconds,
        2.0,
        cli=None,
    ),
    Option(
        "profile",
        "fuzz and load effort: quick, ci or thorough (default ci)",
        _profile,
        "ci",
        metavar="quick|ci|thorough",
    ),
    Option(
        "report_dir",
        "where certificates are written: DIR/<run-id>/certificate.{json,html,md}, "
        "and DIR/latest (default reports)",
        Path,
        Path("reports"),
        metavar="DIR",
    ),
    Option(
        "ca",
        "CA certificate file (PEM) that TLS targets must chain to",
        _ca_file,
        None,
        metavar="FILE",
    ),
    Option(
        "insecure",
        "do not verify TLS certificates (the certificate records that you chose this)",
        _flag,
        False,
        kind="flag",
    ),
)


_INI_TYPES: dict[str, Literal["linelist", "bool", "string"]] = {
    "list": "linelist",
    "flag": "bool",
    "value": "string",
}


def suite_option_flag(suite: Suite, opt: SuiteOption) -> str:
    return f"--{suite.name}-{opt.name}"


def suite_option_key(suite: Suite, opt: SuiteOption) -> str:
    return f"{suite.name}_{opt.name}".replace("-", "_")


def add_options(parser: pytest.Parser, suites: dict[str, Suite]) -> None:
    group = parser.getgroup("wirecert", "wirecert protocol conformance")
    for opt in OPTIONS:
        if opt.cli is not None:
            action = {"list": "append", "flag": "store_true", "value": "store"}[opt.kind]
            extra: dict[str, Any] = {} if opt.kind == "flag" else {"metavar": opt.metavar}
            group.addoption(
                opt.flag,
                dest=f"wirecert_{opt.name}",
                action=action,
                default=None,
                help=opt.help,
                **extra,
            )
        parser.addini(opt.ini, opt.help, type=_INI_TYPES[opt.kind], default=None)
    for suite in suites.values():
        for sopt in suite.options:
            key = suite_option_key(suite, sopt)
            group.addoption(
                suite_option_flag(suite, sopt),
                dest=f"wirecert_{key}",
                default=None,
                help=f"{suite.name} suite: {sopt.help}",
            )
            parser.addini(f"wirecert_{key}", f"{suite.name} suite: {sopt.help}", default=None)


def _resolve(
    config: pytest.Config,
    *,
    dest: str,
    flag: str,
    ini: str,
    env: str,
    parse: Callable[[str], Any],
    default: Any,
    kind: str,
) -> Any:
    cli = config.getoption(dest, default=None)
    if cli is not None and cli is not False and cli != []:
        source, raw = flag, cli
    elif os.environ.get(env, "") != "":
        source, raw = env, os.environ[env]
        if kind == "list":
            raw = raw.split()
    else:
        ini_value = config.getini(ini)
        if ini_value is None or ini_value == [] or ini_value == "":
            return default
        source, raw = f"ini {ini}", ini_value
    if kind == "flag" and isinstance(raw, bool):
        return raw
    values = raw if isinstance(raw, list) else [raw]
    parsed = []
    for value in values:
        try:
            parsed.append(parse(str(value)))
        except ValueError as exc:
            raise pytest.UsageError(f"invalid {flag} {value!r} from {source}: {exc}") from None
    return parsed if kind == "list" else parsed[0]


@dataclass(frozen=True)
class Settings:
    targets: tuple[str, ...]
    strict_spec: bool
    spec: tuple[str, ...]
    timeout: float
    profile: Profile
    report_dir: Path
    ca: Path | None
    insecure: bool
    suite_options: dict[str, dict[str, Any]]

    def suite_option(self, suite: str, name: str) -> Any:
        return self.suite_options[suite][name]


def resolve_settings(config: pytest.Config, suites: dict[str, Suite]) -> Settings:
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        dest = "timeout" if opt.name == "timeout" else f"wirecert_{opt.name}"
        values[opt.name] = _resolve(
            config,
            dest=dest,
            flag=opt.flag,
            ini=opt.ini,
            env=opt.env,
            parse=opt.parse,
            default=opt.default,
            kind=opt.kind,
        )
    if values["ca"] is not None and values["insecure"]:
        raise pytest.UsageError("--ca and --insecure contradict each other: give one of them")
    report_dir = values["report_dir"]
    if not report_dir.is_absolute():
        report_dir = config.invocation_params.dir / report_dir
    suite_options: dict[str, dict[str, Any]] = {}
    for suite in suites.values():
        suite_options[suite.name] = {}
        for sopt in suite.options:
            key = suite_option_key(suite, sopt)
            suite_options[suite.name][sopt.name] = _resolve(
                config,
                dest=f"wirecert_{key}",
                flag=suite_option_flag(suite, sopt),
                ini=f"wirecert_{key}",
                env=f"WIRECERT_{key.upper()}",
                parse=sopt.parse,
                default=sopt.default,
                kind="value",
            )
    return Settings(
        targets=tuple(values["target"]),
        strict_spec=values["strict_spec"],
        spec=tuple(values["spec"]),
        timeout=values["timeout"],
        profile=PROFILES[values["profile"]],
        report_dir=report_dir,
        ca=values["ca"],
        insecure=values["insecure"],
        suite_options=suite_options,
    )

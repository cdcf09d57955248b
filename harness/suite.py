"""What a suite declares about itself, and where the plugin finds the suites.

Each package under ``suites/`` defines ``SUITE = Suite(...)`` in its ``__init__``:
its name (the first segment of its requirement ids), the schemes it accepts with
their well-known ports, the reference implementation that ``wirecert serve`` and the
embedded mode start, and any options of its own.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.targets import EmbeddedReference

__all__ = ["Suite", "SuiteOption", "all_suites", "suites_dir"]


@dataclass(frozen=True)
class SuiteOption:
    """An option of one suite: ``--<suite>-<name>`` on the command line, ``<suite>_<name>`` in ini.

    ``parse`` turns the text into a value or raises ValueError with the reason.
    """

    name: str
    help: str
    parse: Callable[[str], Any]
    default: Any


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    #: scheme -> well-known port (0: the scheme has none), in the order the suite prefers them
    schemes: Mapping[str, int]
    #: protocol name for ``python -m reference_impls serve``, or a function of the
    #: suite's option values that names it (a suite for several kinds of service);
    #: None: no embedded reference
    reference: str | Callable[[Mapping[str, Any]], str] | None
    options: tuple[SuiteOption, ...] = field(default=())
    #: starts the embedded reference where a child process on 127.0.0.1 will not do
    #: (icmp: a network namespace of its own); called as ``embed(protocol, schemes,
    #: suite=name)`` in place of :class:`~harness.targets.EmbeddedReference`, and
    #: returns one (a subclass); None: that class
    embed: Callable[..., EmbeddedReference] | None = None
    #: the schemes the embedded reference listens on (empty: every one of ``schemes``),
    #: for a suite whose reference serves only some of the schemes it accepts
    reference_schemes: tuple[str, ...] = field(default=())

    def served_schemes(self) -> tuple[str, ...]:
        """The schemes the embedded reference listens on."""
        return self.reference_schemes or tuple(self.schemes)

    def reference_protocol(self, options: Mapping[str, Any]) -> str | None:
        """The embedded reference's protocol name, given the suite's option values."""
        return self.reference(options) if callable(self.reference) else self.reference

    def forms(self) -> str:
        """The target forms this suite accepts, for error messages."""
        return " or ".join(
            f"{scheme}://HOST[:{port}]" if port else f"{scheme}://HOST"
            for scheme, port in self.schemes.items()
        )

    def option(self, name: str) -> SuiteOption:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(f"suite {self.name} has no option {name!r}")


def suites_dir() -> Path:
    import suites

    return Path(suites.__file__).parent


@cache
def all_suites() -> dict[str, Suite]:
    """Every suite package under ``suites/``, by name."""
    import suites

    found: dict[str, Suite] = {}
    for info in sorted(pkgutil.iter_modules(suites.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"suites.{info.name}")
        spec = getattr(module, "SUITE", None)
        if isinstance(spec, Suite):
            found[spec.name] = spec
    return found

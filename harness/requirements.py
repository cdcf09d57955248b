"""The ``requirement`` marker and the registry of requirements a run collected.

Every check carries ``@pytest.mark.requirement(id, level=..., ref=..., quote=...)``.
Ids are ``<suite>/<spec>/<section>/<slug>``: slugs, not sequence numbers, so
inserting a case renumbers nothing. Several checks may serve one requirement (a
parametrized test, or a fuzz test beside hand-written cases); the certificate then
shows one record with every case under it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "MARKER_HELP",
    "Level",
    "Registry",
    "Requirement",
    "RequirementError",
    "requirement_from_marker",
]

MARKER_HELP = (
    "requirement(id, level, ref, quote): the specification requirement this check verifies; "
    "level is MUST, SHOULD or MAY"
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){3,}$")


class Level(enum.Enum):
    """RFC 2119 requirement levels, and what breaking one means for a verdict."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class RequirementError(ValueError):
    """A suite declared a requirement wrongly (a bug in the suite, not in the target)."""


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    ref: str
    quote: str

    @property
    def suite(self) -> str:
        return self.id.split("/", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        data["suite"] = self.suite
        return data


def requirement_from_marker(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Requirement:
    """Build a :class:`Requirement` from the marker's arguments, checking each one."""
    if len(args) != 1 or set(kwargs) != {"level", "ref", "quote"}:
        raise RequirementError(
            "use @pytest.mark.requirement(id, level=..., ref=..., quote=...); got "
            f"args={args!r} keywords={sorted(kwargs)}"
        )
    (rid,) = args
    if not isinstance(rid, str) or not _ID.fullmatch(rid):
        raise RequirementError(
            f"requirement id {rid!r} must look like <suite>/<spec>/<section>/<slug>"
        )
    try:
        level = Level(kwargs["level"])
    except ValueError:
        raise RequirementError(
            f"requirement {rid}: level {kwargs['level']!r} is not MUST, SHOULD or MAY"
        ) from None
    for key in ("ref", "quote"):
        if not isinstance(kwargs[key], str) or not kwargs[key].strip():
            raise RequirementError(f"requirement {rid}: {key} must be a non-empty string")
    return Requirement(rid, level, kwargs["ref"], kwargs["quote"])


class Registry:
    """The requirements one run collected, by id.

    A requirement declared by several checks must be declared the same way each time:
    a suite that quotes two different sentences under one id is a bug worth stopping for.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, Requirement] = {}

    def add(self, requirement: Requirement, where: str) -> None:
        known = self._by_id.setdefault(requirement.id, requirement)
        if known != requirement:
            raise RequirementError(
                f"{where}: requirement {requirement.id} is declared differently elsewhere "
                "(level, ref and quote must be the same wherever an id is used)"
            )

    def __contains__(self, rid: object) -> bool:
        return rid in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        return sorted(self._by_id)

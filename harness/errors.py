"""Exceptions that carry a verdict.

``ConformanceFailure`` is the target's fault: it lists every outcome the spec
accepts and the one observed. ``HarnessError`` is ours or the network's: the check
could not be carried out, so its outcome is ``error``, never ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ConformanceFailure", "HarnessError", "TargetUnavailable"]


def _preview(data: bytes | None, limit: int = 32) -> str:
    if data is None:
        return "-"
    head = data[:limit].hex(" ")
    return f"{len(data)} bytes: {head}{' ...' if len(data) > limit else ''}"


class ConformanceFailure(AssertionError):
    """The target did something the specification does not allow.

    ``expected`` lists every acceptable outcome; ``actual`` is what was observed.
    The plugin attaches the requirement from the check's marker, so checks rarely
    pass ``requirement`` themselves.
    """

    def __init__(
        self,
        expected: str | Sequence[str],
        actual: str,
        *,
        requirement: str | None = None,
        sent: bytes | None = None,
        received: bytes | None = None,
    ) -> None:
        self.expected: tuple[str, ...] = (
            (expected,) if isinstance(expected, str) else tuple(expected)
        )
        self.actual = actual
        self.requirement = requirement
        self.sent = sent
        self.received = received
        super().__init__(self.describe())

    def describe(self) -> str:
        lines = [f"Expected: {' | '.join(self.expected)}", f"Actual: {self.actual}"]
        if self.sent is not None:
            lines.append(f"Sent: {_preview(self.sent)}")
        if self.received is not None:
            lines.append(f"Received: {_preview(self.received)}")
        return "\n".join(lines)


class HarnessError(Exception):
    """The check could not be carried out (the harness or the network broke, not the target)."""


class TargetUnavailable(HarnessError):
    """The target did not accept a connection before a check began."""

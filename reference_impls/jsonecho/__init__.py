"""JSON echo of the book's Person (Newmarch, ch. 4): each Person decoded is encoded back."""

from __future__ import annotations

from reference_impls.jsonecho.protocol import (
    MAX_VALUE_SIZE,
    JSONEchoConnection,
    JSONEchoState,
    reply_for,
)

__all__ = ["MAX_VALUE_SIZE", "JSONEchoConnection", "JSONEchoState", "reply_for"]

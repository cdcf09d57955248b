"""gob echo of the book's Person (Newmarch, ch. 4): each Person decoded is encoded back."""

from __future__ import annotations

from reference_impls.gobecho.protocol import (
    BOOK_ROUNDS,
    MAX_MESSAGE_SIZE,
    GobEchoConnection,
    GobEchoState,
    replies_for,
)

__all__ = ["BOOK_ROUNDS", "MAX_MESSAGE_SIZE", "GobEchoConnection", "GobEchoState", "replies_for"]

"""Errors of the reference implementations, in the style of h11 and wsproto.

``LocalProtocolError``: we were asked to do something the protocol forbids (a bug in
the caller). ``RemoteProtocolError``: the peer broke the protocol. Both carry the
protocol's own code where it has one (an HTTP status, a WebSocket close code, a
JSON-RPC error code), and an offset into the input where one helps.
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """Base of both; ``code`` is the protocol's own error code, when it has one."""

    def __init__(self, message: str, *, code: int | None = None, offset: int | None = None):
        super().__init__(message)
        self.code = code
        self.offset = offset


class LocalProtocolError(ProtocolError):
    """We (the caller) misused the protocol."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol."""

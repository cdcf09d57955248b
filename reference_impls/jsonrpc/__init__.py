"""JSON-RPC of the book's Arith service: Go's net/rpc/jsonrpc (1.0 style) and JSON-RPC 2.0.

:mod:`.protocol` holds the sans-IO server and client cores, :mod:`.server` the asyncio
server (protocols ``jsonrpc`` and ``jsonrpc2`` of ``python -m reference_impls``), and
:mod:`.client` a pipelining asyncio client.
"""

from __future__ import annotations

from reference_impls.jsonrpc.protocol import (
    PROFILES,
    Args,
    CallError,
    ClientConnection,
    Profile,
    Quotient,
    Response,
    ServerConnection,
)

__all__ = [
    "PROFILES",
    "Args",
    "CallError",
    "ClientConnection",
    "Profile",
    "Quotient",
    "Response",
    "ServerConnection",
]

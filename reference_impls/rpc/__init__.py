"""Go's net/rpc with its gob codec (the book's chapter 13): sans-IO cores, server, client."""

from __future__ import annotations

from reference_impls.rpc.protocol import (
    DEFAULT_RPC_PATH,
    HTTP_CONNECTED,
    Args,
    Call,
    Empty,
    Method,
    Quotient,
    Request,
    Response,
    Result,
    RpcClientConnection,
    RpcServerConnection,
    ServerError,
    ServiceError,
    arith_services,
    connect_request,
)

__all__ = [
    "DEFAULT_RPC_PATH",
    "HTTP_CONNECTED",
    "Args",
    "Call",
    "Empty",
    "Method",
    "Quotient",
    "Request",
    "Response",
    "Result",
    "RpcClientConnection",
    "RpcServerConnection",
    "ServerError",
    "ServiceError",
    "arith_services",
    "connect_request",
]

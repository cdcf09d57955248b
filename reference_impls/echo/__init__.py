"""Echo Protocol (RFC 862): any data received is sent back."""

from __future__ import annotations

from reference_impls.echo.protocol import EchoConnection, EchoState, echo_datagram

__all__ = ["EchoConnection", "EchoState", "echo_datagram"]

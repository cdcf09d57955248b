"""Daytime Protocol (RFC 867): the current date and time as one line of ASCII."""

from __future__ import annotations

from reference_impls.daytime.protocol import DaytimeConnection, daytime_text, reply_to_datagram

__all__ = ["DaytimeConnection", "daytime_text", "reply_to_datagram"]

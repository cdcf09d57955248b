"""WebSocket (RFC 6455) with permessage-deflate (RFC 7692): sans-IO cores, server, client.

``handshake``: the opening handshake; ``frames``: the frame encoder and decoder;
``connection``: messages, control frames and the closing handshake; ``deflate``:
permessage-deflate; ``server``/``client``: asyncio shells.
"""

from __future__ import annotations

from reference_impls.websocket.connection import (
    DEFAULT_MAX_MESSAGE,
    BytesMessage,
    CloseReceived,
    ConnectionState,
    Event,
    Ping,
    Pong,
    TextMessage,
    WebSocketConnection,
    close_code_valid,
)
from reference_impls.websocket.frames import (
    CloseCode,
    FrameChunk,
    FrameDecoder,
    Opcode,
    encode_frame,
)
from reference_impls.websocket.handshake import ClientHandshake, ServerHandshake, accept_key

__all__ = [
    "DEFAULT_MAX_MESSAGE",
    "BytesMessage",
    "ClientHandshake",
    "CloseCode",
    "CloseReceived",
    "ConnectionState",
    "Event",
    "FrameChunk",
    "FrameDecoder",
    "Opcode",
    "Ping",
    "Pong",
    "ServerHandshake",
    "TextMessage",
    "WebSocketConnection",
    "accept_key",
    "close_code_valid",
    "encode_frame",
]

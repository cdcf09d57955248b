"""permessage-deflate (RFC 7692), sans-IO: negotiation, and compressing messages.

Negotiation reads ``Sec-WebSocket-Extensions`` offers (RFC 6455 §9.1 grammar) and
answers the first acceptable permessage-deflate offer (RFC 7692 §5). A compressed
message has RSV1 set on its first frame only (§6: "the "Per-Message Compressed" bit
... is set ... on the first frame of a message"); its frames carry the DEFLATE data
with the final ``00 00 ff ff`` of a sync flush left off (§7.2.1).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from reference_impls.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "EXTENSION_NAME",
    "DeflateParams",
    "PerMessageDeflate",
    "client_offer",
    "format_extensions",
    "negotiate_client",
    "negotiate_server",
    "parse_extensions",
]

EXTENSION_NAME = "permessage-deflate"
#: §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
_TAIL = b"\x00\x00\xff\xff"
#: zlib cannot deflate with an 8-bit window (it needs 9 or more), so offers that
#: limit our window to 8 bits are declined.
MIN_DEFLATE_WINDOW = 9
_CLOSE_INVALID_DATA = 1007

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PARAM = re.compile(rf"\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|{_QUOTED})\s*)?")
_WINDOW_BITS = re.compile(r"^(?:8|9|1[0-5])$")

Params = list[tuple[str, str | None]]


def parse_extensions(values: list[str]) -> list[tuple[str, Params]]:
    """Parse ``Sec-WebSocket-Extensions`` header values (§9.1) into (name, params).

    Raises :class:`RemoteProtocolError` (code 400) when a value does not parse.
    """
    result: list[tuple[str, Params]] = []
    for value in values:
        for element in _split_outside_quotes(value, ","):
            if not element.strip():
                continue  # 1#element allows empty list elements
            parts = _split_outside_quotes(element, ";")
            name = parts[0].strip()
            if not re.fullmatch(_TOKEN, name):
                raise RemoteProtocolError(f"bad extension name {name!r}", code=400)
            params: Params = []
            for part in parts[1:]:
                match = _PARAM.fullmatch(part)
                if match is None:
                    raise RemoteProtocolError(f"bad extension parameter {part!r}", code=400)
                raw = match[2]
                if raw is not None and raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                params.append((match[1].lower(), raw))
            result.append((name.lower(), params))
    return result


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def format_extensions(name: str, params: Params) -> str:
    return "; ".join([name, *(k if v is None else f"{k}={v}" for k, v in params)])


@dataclass(frozen=True)
class DeflateParams:
    """The agreed parameters (RFC 7692 §7.1); window bits None means 15."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None


@dataclass(frozen=True)
class _Offer:
    server_no_context_takeover: bool
    client_no_context_takeover: bool
    server_max_window_bits: int | None
    #: None: absent; 0: present without a value ("I support it"); 8-15: the limit.
    client_max_window_bits: int | None


def _read_params(params: Params, *, response: bool) -> _Offer | None:
    """The parameters of one offer or response, or None when they are invalid (§7.1)."""
    seen: set[str] = set()
    snct = cnct = False
    smwb: int | None = None
    cmwb: int | None = None
    for name, value in params:
        if name in seen:
            return None  # §7: "MUST NOT include multiple ... with the same name"
        seen.add(name)
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                return None
            if name == "server_no_context_takeover":
                snct = True
            else:
                cnct = True
        elif name == "server_max_window_bits":
            if value is None or not _WINDOW_BITS.match(value):
                return None
            smwb = int(value)
        elif name == "client_max_window_bits":
            if value is None:
                if response:
                    return None
                cmwb = 0
            elif not _WINDOW_BITS.match(value):
                return None
            else:
                cmwb = int(value)
        else:
            return None  # an unknown parameter makes the offer invalid
    return _Offer(snct, cnct, smwb, cmwb)


def negotiate_server(
    offers: list[tuple[str, Params]], *, no_context_takeover: bool = False
) -> tuple[str, DeflateParams] | None:
    """Accept the first acceptable permessage-deflate offer: (response value, params).

    §5.1: a server "MUST decline" an offer with an invalid parameter, and may accept
    any valid one. ``no_context_takeover``: ask for server_no_context_takeover.
    """
    for name, params in offers:
        if name != EXTENSION_NAME:
            continue
        offer = _read_params(params, response=False)
        if offer is None:
            continue
        if offer.server_max_window_bits is not None and (
            offer.server_max_window_bits < MIN_DEFLATE_WINDOW
        ):
            continue
        reply: Params = []
        snct = offer.server_no_context_takeover or no_context_takeover
        if snct:
            # §7.1.1.1: "A server accepting an extension negotiation offer with this
            # parameter MUST include the "server_no_context_takeover" extension
            # parameter in the extension negotiation response."
            reply.append(("server_no_context_takeover", None))
        if offer.client_no_context_takeover:
            reply.append(("client_no_context_takeover", None))
        if offer.server_max_window_bits is not None:
            reply.append(("server_max_window_bits", str(offer.server_max_window_bits)))
        cmwb = offer.client_max_window_bits or None
        if cmwb is not None:
            reply.append(("client_max_window_bits", str(cmwb)))
        agreed = DeflateParams(
            server_no_context_takeover=snct,
            client_no_context_takeover=offer.client_no_context_takeover,
            server_max_window_bits=offer.server_max_window_bits,
            client_max_window_bits=cmwb,
        )
        return format_extensions(EXTENSION_NAME, reply), agreed
    return None


def client_offer(*, client_no_context_takeover: bool = False) -> str:
    """The offer our client sends: deflate with a window the server may limit."""
    params: Params = [("client_max_window_bits", None)]
    if client_no_context_takeover:
        params.append(("client_no_context_takeover", None))
    return format_extensions(EXTENSION_NAME, params)


def negotiate_client(
    accepted: list[tuple[str, Params]], *, client_no_context_takeover: bool = False
) -> DeflateParams | None:
    """Read the server's ``Sec-WebSocket-Extensions``; None when nothing was agreed.

    Raises :class:`RemoteProtocolError` (1002... as the handshake fails: code None)
    when the server agreed to something we did not offer (RFC 6455 §4.1: "the client
    MUST _Fail the WebSocket Connection_").
    """
    if not accepted:
        return None
    if len(accepted) > 1 or accepted[0][0] != EXTENSION_NAME:
        names = ", ".join(name for name, _ in accepted)
        raise RemoteProtocolError(f"server agreed to extensions not offered: {names}")
    response = _read_params(accepted[0][1], response=True)
    if response is None:
        raise RemoteProtocolError("invalid permessage-deflate response parameters")
    cmwb = response.client_max_window_bits
    if cmwb is not None and cmwb < MIN_DEFLATE_WINDOW:
        raise RemoteProtocolError(f"client_max_window_bits={cmwb}: zlib needs 9 or more")
    return DeflateParams(
        server_no_context_takeover=response.server_no_context_takeover,
        client_no_context_takeover=response.client_no_context_takeover
        or client_no_context_takeover,
        server_max_window_bits=response.server_max_window_bits,
        client_max_window_bits=cmwb,
    )


class PerMessageDeflate:
    """The compressor and decompressor of one connection, one side of it."""

    def __init__(self, params: DeflateParams, *, is_server: bool) -> None:
        self.params = params
        if is_server:
            self._reset = params.server_no_context_takeover
            bits = params.server_max_window_bits
        else:
            self._reset = params.client_no_context_takeover
            bits = params.client_max_window_bits
        self._bits = bits or 15
        self._compressor = zlib.compressobj(wbits=-self._bits)
        # A 15-bit window inflates whatever window the peer used.
        self._decompressor = zlib.decompressobj(wbits=-15)

    def compress(self, data: bytes) -> bytes:
        """The payload of one compressed message (§7.2.1)."""
        if self._reset:
            # §7.1.1.1: with no context takeover, each message starts a new stream.
            self._compressor = zlib.compressobj(wbits=-self._bits)
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        if not out.endswith(_TAIL):
            raise LocalProtocolError("zlib sync flush did not end with 00 00 ff ff")
        out = out[: -len(_TAIL)]
        # §7.2.3.6: an empty message may be sent as a single 0x00 octet.
        return out or b"\x00"

    def decompress(self, data: bytes, limit: int) -> bytes:
        """Inflate part of a message; at most ``limit`` bytes, else 1009."""
        try:
            out = self._decompressor.decompress(data, limit + 1)
        except zlib.error as exc:
            raise RemoteProtocolError(
                f"bad DEFLATE data: {exc}", code=_CLOSE_INVALID_DATA
            ) from None
        if len(out) > limit or self._decompressor.unconsumed_tail:
            raise RemoteProtocolError("inflated message over the size limit", code=1009)
        return out

    def finish(self, limit: int) -> bytes:
        """The end of a message: §7.2.2 "Append 4 octets of 0x00 0x00 0xff 0xff"."""
        out = self.decompress(_TAIL, limit)
        if self._decompressor.eof:
            # A final DEFLATE block (BFINAL) ends the stream; the next message may not
            # refer back to it, so it starts afresh.
            self._decompressor = zlib.decompressobj(wbits=-15)
        return out

"""RFC 7692: permessage-deflate, an optional extension (Autobahn 12 and 13, in brief).

We offer permessage-deflate once. A server that does not agree to it gets Autobahn's
UNIMPLEMENTED, as an informational record, never a failure: the extension is optional.
A server that agrees gets one compressed text message (RSV1 set, DEFLATE with the
trailing 00 00 FF FF removed) and must echo it, compressed or not.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import Opcode, build_frame, open_websocket
from harness.wire import Wire

OFFER = "permessage-deflate; client_max_window_bits"
TAIL = b"\x00\x00\xff\xff"
MESSAGE = b"Hello, permessage-deflate! " * 8


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    out = packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)
    return out[: -len(TAIL)] if out.endswith(TAIL) else out


@pytest.mark.requirement(
    "websocket/rfc7692/7/permessage-deflate",
    level="MAY",
    ref="RFC 7692 §7",
    quote='To offer use of the "permessage-deflate" extension, a client MUST include the '
    '"permessage-deflate" extension name in the |Sec-WebSocket-Extensions| header field.',
)
def test_permessage_deflate(target: Target, wire: Wire, finding: Callable[[str], None]) -> None:
    """Offer permessage-deflate; if it is agreed, send the text 'Hello, permessage-deflate! '
    eight times as one compressed message (RSV1)."""
    ws = open_websocket(wire, target, headers={"Sec-WebSocket-Extensions": OFFER})
    agreed = ws.response.header("Sec-WebSocket-Extensions")
    if not agreed or "permessage-deflate" not in agreed.lower():
        finding("UNIMPLEMENTED: permessage-deflate was offered and not negotiated (optional)")
        return
    ws.send_frames([build_frame(Opcode.TEXT, _deflate(MESSAGE), rsv=4)])
    ex = ws.read_message()
    data = [f for f in ex.frames if f.opcode in (Opcode.TEXT, Opcode.CONTINUATION)]
    if not data:
        fail("the compressed message echoed", ex.describe())
    payload = b"".join(f.payload for f in data)
    compressed = bool(data[0].rsv & 4)
    try:
        got = zlib.decompressobj(wbits=-15).decompress(payload + TAIL) if compressed else payload
    except zlib.error as exc:
        fail("the echo inflates", f"{ex.describe()}: {exc}")
    finding(f"negotiated: {agreed}; the echo came back {'compressed' if compressed else 'plain'}")
    if got != MESSAGE:
        fail(f"the {len(MESSAGE)}-byte text echoed", ex.describe())

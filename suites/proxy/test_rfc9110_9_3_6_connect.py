"""CONNECT tunnels: RFC 9110 §9.3.6, authenticated like every request (RFC 7617 §2).

Each check opens a new connection to the proxy and sends ``CONNECT <origin host:port>
HTTP/1.1`` for the suite's own origin; through a tunnel it sends one HTTP/1.1 GET,
built and parsed with h11, and the origin records the bytes that came out.
"""

from __future__ import annotations

import h11
import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import TcpConnection, Wire
from suites.proxy.client import Reply, basic, new_token, note_origin, read_reply, send_request
from suites.proxy.origin import PATH_PREFIX, RecordingOrigin, body_for


def _connect(
    wire: Wire, target: Target, origin: RecordingOrigin, authorization: bytes | None
) -> tuple[TcpConnection, Reply]:
    headers = [(b"Host", origin.authority.encode())]
    if authorization is not None:
        headers.append((b"Proxy-Authorization", authorization))
    conn, client = send_request(wire, target, "CONNECT", origin.authority, headers)
    return conn, read_reply(conn, client)


def _tunnel_or_skip(reply: Reply) -> None:
    if reply.success:
        return
    if reply.status == 407:
        pytest.skip("the proxy refused the suite's credentials: see right-credentials-pass")
    pytest.skip(f"no tunnel ({reply.describe()}): see proxy/rfc9110/9.3.6/connect-tunnel")


@pytest.mark.requirement(
    "proxy/rfc9110/9.3.6/connect-tunnel",
    level="MUST",
    ref="RFC 9110 §9.3.6",
    quote="Any 2xx (Successful) response indicates that the sender (and all inbound proxies) "
    "will switch to tunnel mode immediately after the response header section; data received "
    "after that header section is from the server identified by the request target.",
)
def test_connect_tunnels_bytes_both_ways(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """CONNECT <origin> with the right credentials; on 2xx, send a GET for a fresh path
    through the tunnel and read the origin's answer back through it."""
    conn, reply = _connect(wire, target, origin, basic(*credentials))
    if reply.status == 407:
        pytest.skip("the proxy refused the suite's credentials: see right-credentials-pass")
    if not reply.success:
        fail(f"a 2xx response to CONNECT {origin.authority}, then a tunnel", reply.describe())
    token = new_token()
    inner = h11.Connection(h11.CLIENT)
    raw = inner.send(
        h11.Request(
            method="GET",
            target=f"{PATH_PREFIX}{token}",
            headers=[(b"Host", origin.authority.encode()), (b"X-Through", b"tunnel")],
        )
    )
    raw += inner.send(h11.EndOfMessage()) or b""
    conn.send(raw)
    if reply.tunnel:
        inner.receive_data(reply.tunnel)
    answer = read_reply(conn, inner)
    seen = origin.wait(token, 0.2)
    note_origin(wire, token, seen)
    expected = (
        "the request's bytes reach the origin unchanged and its 200 response "
        f"{body_for(token)!r} comes back through the tunnel"
    )
    if not seen:
        fail(expected, f"the origin received nothing; through the tunnel came {answer.describe()}")
    if seen[-1].raw != raw:
        fail(expected, f"the origin received different bytes: {seen[-1].raw[:200]!r}")
    if answer.status != 200 or answer.body != body_for(token):
        fail(expected, f"through the tunnel came {answer.describe()}, body {answer.body[:80]!r}")


@pytest.mark.requirement(
    "proxy/rfc9110/9.3.6/connect-2xx-no-framing",
    level="MUST",
    ref="RFC 9110 §9.3.6",
    quote="A server MUST NOT send any Transfer-Encoding or Content-Length header fields in a "
    "2xx (Successful) response to CONNECT.",
)
def test_connect_2xx_has_no_framing_fields(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """CONNECT <origin> with the right credentials; read the head of the 2xx response."""
    _conn, reply = _connect(wire, target, origin, basic(*credentials))
    _tunnel_or_skip(reply)
    framing = [
        f"{n.decode('latin-1')}: {v.decode('latin-1')}"
        for n, v in reply.headers
        if n.lower() in (b"content-length", b"transfer-encoding")
    ]
    if framing:
        fail(
            "a 2xx response to CONNECT without Content-Length or Transfer-Encoding",
            f"{reply.describe()} with {', '.join(framing)}",
        )


@pytest.mark.requirement(
    "proxy/rfc7617/2/connect-requires-credentials",
    level="MUST",
    ref="RFC 7617 §2; RFC 9110 §9.3.6",
    quote="The server will service the request only if it can validate the user-id and "
    "password for the protection space applying to the requested resource.",
)
def test_connect_without_valid_credentials_is_refused(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """CONNECT <origin> without Proxy-Authorization, then (on a new connection) with the
    right user and a wrong password."""
    user, password = credentials
    opened = []
    for name, value in (
        ("no Proxy-Authorization", None),
        ("a wrong password", basic(user, password + "-wrong")),
    ):
        _conn, reply = _connect(wire, target, origin, value)
        if reply.success:
            opened.append(f"{name}: {reply.describe()}")
    if opened:
        fail("each CONNECT refused (407), no tunnel opened", "; ".join(opened))

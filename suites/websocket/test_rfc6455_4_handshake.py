"""RFC 6455 §4: the opening handshake (Autobahn's empty category 0).

Each check writes its own handshake with :func:`harness.websocket.handshake_request`,
changing one thing, and reads the response head.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.websocket import (
    HandshakeResponse,
    Opcode,
    accept_for,
    handshake_request,
    new_key,
    open_websocket,
    read_handshake_response,
)
from harness.wire import Wire
from suites.websocket.cases import REF, expect_echo

ACCEPT_QUOTE = (
    "If the server chooses to accept the incoming connection, it MUST reply with a valid "
    "HTTP response indicating the following."
)
REJECT_QUOTE = (
    "If the server, while reading the handshake, finds that the client did not send a "
    "handshake that matches the description below [...], the server MUST stop processing "
    "the client's handshake and return an HTTP response with an appropriate error code "
    "(such as 400 Bad Request)."
)
VERSION_QUOTE = (
    "If the server doesn't support the requested version, it MUST respond with a "
    "|Sec-WebSocket-Version| header field (or multiple |Sec-WebSocket-Version| header "
    "fields) containing all versions it is willing to use."
)


def _ask(
    wire: Wire,
    target: Target,
    *,
    headers: Mapping[str, str | None] | None = None,
    key: str | None = None,
) -> tuple[HandshakeResponse, str]:
    """Send a handshake; the response (or a failure when none came) and the key sent."""
    __tracebackhide__ = True
    conn = wire.connect(target)
    request, key = handshake_request(target, headers=headers, key=key)
    conn.send(request)
    response, rest, end = read_handshake_response(conn)
    if response is None:
        fail(
            "an HTTP/1.1 response to the opening handshake",
            f"{len(rest)} bytes {rest[:64]!r}, then {end.describe()}",
        )
    assert response is not None
    conn.close()
    return response, key


def _accepted(response: HandshakeResponse, key: str) -> bool:
    return response.status == 101 and response.header("Sec-WebSocket-Accept") == accept_for(key)


#: (key, what): the RFC's own example key, and fresh random ones.
KEYS = [
    pytest.param("dGhlIHNhbXBsZSBub25jZQ==", id="rfc-example-key"),
    pytest.param("+/v7+/v7+/v7+/v7+/v7+w==", id="key-with-plus-and-slash"),
    pytest.param(None, id="random-key"),
]


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.2/accept-key", level="MUST", ref=f"{REF} §4.2.2", quote=ACCEPT_QUOTE
)
@pytest.mark.parametrize("key", KEYS)
def test_accept_key_is_sha1_of_key_and_guid(target: Target, wire: Wire, key: str | None) -> None:
    """Send a valid opening handshake with this Sec-WebSocket-Key."""
    key = key or new_key(plain=False)
    response, key = _ask(wire, target, key=key)
    want = accept_for(key)
    if not _accepted(response, key):
        fail(f"HTTP 101 with Sec-WebSocket-Accept: {want}", response.describe())


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.2/upgrade-response-headers",
    level="MUST",
    ref=f"{REF} §4.2.2",
    quote=ACCEPT_QUOTE,
)
def test_switching_protocols_names_websocket(target: Target, wire: Wire) -> None:
    """Send a valid opening handshake; read the 101 response's Upgrade and Connection."""
    response, _ = _ask(wire, target)
    ok = (
        response.status == 101
        and response.has_token("Upgrade", "websocket")
        and response.has_token("Connection", "upgrade")
    )
    if not ok:
        fail(
            "HTTP 101 with Upgrade: websocket and Connection: Upgrade (any case)",
            response.describe(),
        )


UPGRADE_FORMS = {
    "mixed-case-value": {"Upgrade": "WebSocket"},
    "upper-case-value": {"Upgrade": "WEBSOCKET"},
    "lower-case-names": {"upgrade": "websocket", "sec-websocket-key": "", "host": ""},
}
CONNECTION_FORMS = {
    "keep-alive-then-upgrade": {"Connection": "keep-alive, Upgrade"},
    "lower-case-token": {"Connection": "upgrade"},
    "upper-case-no-space": {"Connection": "Keep-Alive,UPGRADE"},
}


def _with_forms(forms: Mapping[str, str], target: Target, key: str) -> dict[str, str | None]:
    """Fill the placeholders: an empty value keeps the default value under the new name."""
    request, _ = handshake_request(target, key=key)
    defaults = {
        line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
        for line in request.decode("latin-1").split("\r\n")[1:]
        if ":" in line
    }
    out: dict[str, str | None] = {}
    for name, value in forms.items():
        out[name] = value or defaults[name.lower()]
    return out


def _token_check(wire: Wire, target: Target, form: Mapping[str, str], what: str) -> None:
    __tracebackhide__ = True
    key = new_key()
    response, key = _ask(wire, target, headers=_with_forms(form, target, key), key=key)
    if not _accepted(response, key):
        shown = ", ".join(f"{n}: {v or '(default value)'}" for n, v in form.items())
        fail(
            f"HTTP 101 with the right Sec-WebSocket-Accept to a handshake with {shown} ({what})",
            response.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.1/upgrade-token-any-case",
    level="MUST",
    ref=f"{REF} §4.2.1",
    quote='An |Upgrade| header field containing the value "websocket", treated as an ASCII '
    "case-insensitive value.",
)
@pytest.mark.parametrize("form", list(UPGRADE_FORMS.values()), ids=list(UPGRADE_FORMS))
def test_upgrade_token_in_any_case(target: Target, wire: Wire, form: Mapping[str, str]) -> None:
    """Send a valid handshake whose Upgrade value, or header names, use another case."""
    _token_check(wire, target, form, "header names and the Upgrade value are case-insensitive")


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.1/connection-token-in-list",
    level="MUST",
    ref=f"{REF} §4.2.1",
    quote='A |Connection| header field that includes the token "Upgrade", treated as an ASCII '
    "case-insensitive value.",
)
@pytest.mark.parametrize("form", list(CONNECTION_FORMS.values()), ids=list(CONNECTION_FORMS))
def test_connection_token_in_a_list_any_case(
    target: Target, wire: Wire, form: Mapping[str, str]
) -> None:
    """Send a valid handshake whose Connection lists Upgrade among other tokens, any case."""
    _token_check(wire, target, form, "Connection is a token list, case-insensitive")


BAD_HANDSHAKES: dict[str, tuple[dict[str, str | None], str]] = {
    "missing-key": ({"Sec-WebSocket-Key": None}, "no Sec-WebSocket-Key"),
    "short-key": (
        {"Sec-WebSocket-Key": "AAECAwQFBgc="},
        "a Sec-WebSocket-Key that decodes to 8 bytes, not 16",
    ),
    "missing-version": ({"Sec-WebSocket-Version": None}, "no Sec-WebSocket-Version"),
}


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.1/bad-handshake-rejected",
    level="MUST",
    ref=f"{REF} §4.2.1",
    quote=REJECT_QUOTE,
)
@pytest.mark.parametrize(
    "change", [v for v, _ in BAD_HANDSHAKES.values()], ids=list(BAD_HANDSHAKES)
)
def test_bad_handshake_gets_a_4xx(
    target: Target, wire: Wire, change: dict[str, str | None]
) -> None:
    """Send an opening handshake with one required header missing or malformed."""
    response, _ = _ask(wire, target, headers=change)
    what = next(w for v, w in BAD_HANDSHAKES.values() if v == change)
    if not 400 <= response.status <= 499:
        fail(
            f"an HTTP 4xx response (such as 400 Bad Request) to a handshake with {what}",
            response.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/4.4/unsupported-version",
    level="MUST",
    ref=f"{REF} §4.4, §4.2.2",
    quote=VERSION_QUOTE,
)
@pytest.mark.parametrize("version", ["25", "8", "12"])
def test_unsupported_version_is_refused_naming_13(target: Target, wire: Wire, version: str) -> None:
    """Send a valid handshake with this Sec-WebSocket-Version instead of 13."""
    response, _ = _ask(wire, target, headers={"Sec-WebSocket-Version": version})
    if not 400 <= response.status <= 499 or "13" not in response.values("Sec-WebSocket-Version"):
        fail(
            f"an HTTP 4xx response (such as 426 Upgrade Required) to version {version}, with "
            "a Sec-WebSocket-Version header field listing 13",
            response.describe(),
        )


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.2/unsupported-version-426",
    level="MAY",
    ref=f"{REF} §4.2.2",
    quote="the server MUST abort the WebSocket handshake described in this section and instead "
    "send an appropriate HTTP error code (such as 426 Upgrade Required)",
)
def test_unsupported_version_status(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Send a valid handshake with Sec-WebSocket-Version 25; report the status (426 is the
    RFC's example, 400 is just as appropriate)."""
    response, _ = _ask(wire, target, headers={"Sec-WebSocket-Version": "25"})
    finding(f"version 25 answered with HTTP {response.status} {response.reason}")
    if response.status != 426:
        fail("HTTP 426 Upgrade Required (the RFC's example)", response.describe())


@pytest.mark.requirement(
    "websocket/rfc6455/4.2.1/origin-optional",
    level="MAY",
    ref=f"{REF} §4.2.1, §10.2",
    quote="Optionally, an |Origin| header field.",
)
def test_origin_is_informational(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Send a valid handshake without Origin, then one with a foreign Origin
    (http://wirecert.invalid); report which the server accepts (a server may refuse
    origins it does not expect, RFC 6455 §10.2)."""
    seen = []
    for what, value in (
        ("no Origin", None),
        ("Origin http://wirecert.invalid", "http://wirecert.invalid"),
    ):
        response, key = _ask(wire, target, headers={"Origin": value})
        verdict = "accepted" if _accepted(response, key) else f"refused with HTTP {response.status}"
        seen.append(f"{what}: {verdict}")
    finding("; ".join(seen))


@pytest.mark.requirement(
    "websocket/rfc6455/5.1/server-frames-unmasked",
    level="MUST",
    ref=f"{REF} §5.1",
    quote="A server MUST NOT mask any frames that it sends to the client.",
)
def test_server_frames_are_not_masked(target: Target, wire: Wire) -> None:
    """Open a connection and send the text 'Hello' and a Ping 'ping'."""
    ws = open_websocket(wire, target)
    ws.send_frame(Opcode.TEXT, b"Hello")
    ws.send_frame(Opcode.PING, b"ping")
    ex = ws.read(lambda e: bool(e.messages()) and bool(e.pongs))
    expect_echo(ex, Opcode.TEXT, b"Hello")
    masked = [f for f in ex.frames if f.masked]
    if masked:
        fail("every frame from the server with the MASK bit clear", ex.describe())

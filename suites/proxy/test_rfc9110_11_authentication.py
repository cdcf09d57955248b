"""Proxy authentication: RFC 9110 §11 (§11.4, §11.7, §15.5.8) and RFC 7617 (Basic).

Every request is an absolute-form ``GET`` for a path of the suite's origin, sent on
a new connection to the proxy, with no ``Proxy-Authorization``, with wrong Basic
credentials, or with the ones given by ``--proxy-credentials``. The origin records
what reaches it, so "refused" means the request never arrived there.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.proxy.client import (
    Reply,
    basic,
    challenges,
    exchange,
    forwarded_or_skip,
    new_token,
    note_origin,
)
from suites.proxy.origin import RecordingOrigin, body_for

VALIDATE_QUOTE = (
    "The server will service the request only if it can validate the user-id and password "
    "for the protection space applying to the requested resource."
)


def _attempt(
    wire: Wire,
    target: Target,
    origin: RecordingOrigin,
    authorization: bytes | None,
) -> tuple[str, Reply, bool]:
    """GET through the proxy with ``authorization``: (token, reply, reached the origin)."""
    token = new_token()
    headers = [(b"Host", origin.authority.encode())]
    if authorization is not None:
        headers.append((b"Proxy-Authorization", authorization))
    reply = exchange(wire, target, "GET", origin.url(token), headers)
    seen = origin.wait(token, 0.2 if reply.status is None else 0.0)
    note_origin(wire, token, seen)
    return token, reply, bool(seen)


def _wrong(user: str, password: str) -> list[tuple[str, bytes | None]]:
    """Credentials the proxy must refuse, named for the evidence."""
    return [
        ("no Proxy-Authorization", None),
        ("the right user with a wrong password", basic(user, password + "-wrong")),
        ("an unknown user with the right password", basic(user + "-unknown", password)),
        ("a Basic token that is not base64", b"Basic %%%not-base64%%%"),
    ]


@pytest.mark.requirement(
    "proxy/rfc9110/11.7.2/right-credentials-pass",
    level="MUST",
    ref="RFC 9110 §11.7.2",
    quote='The "Proxy-Authorization" header field allows the client to identify itself (or '
    "its user) to a proxy that requires authentication.",
)
def test_right_credentials_are_forwarded(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET http://<origin>/wirecert/<token> with ``Proxy-Authorization: Basic`` and the
    credentials of --proxy-credentials."""
    token, reply, reached = _attempt(wire, target, origin, basic(*credentials))
    expected = f"the origin's 200 response relayed, with its body {body_for(token)!r}"
    if not reached:
        fail(
            expected, f"the request never reached the origin; the proxy answered {reply.describe()}"
        )
    if reply.status != 200 or reply.body != body_for(token):
        fail(expected, f"{reply.describe()} with body {reply.body[:80]!r}")


@pytest.mark.requirement(
    "proxy/rfc7617/2/missing-credentials-refused",
    level="MUST",
    ref="RFC 7617 §2",
    quote=VALIDATE_QUOTE,
)
def test_request_without_credentials_is_not_forwarded(
    target: Target, wire: Wire, origin: RecordingOrigin
) -> None:
    """GET http://<origin>/wirecert/<token> without Proxy-Authorization."""
    _token, reply, reached = _attempt(wire, target, origin, None)
    if reached:
        fail(
            "the request refused (407 with a challenge), never forwarded to the origin",
            f"forwarded to the origin without credentials; the proxy answered {reply.describe()}",
        )
    if reply.success:
        fail("a refusal (407)", f"{reply.describe()} although nothing was forwarded")


@pytest.mark.requirement(
    "proxy/rfc7617/2/wrong-credentials-refused",
    level="MUST",
    ref="RFC 7617 §2",
    quote=VALIDATE_QUOTE,
)
def test_wrong_credentials_are_not_forwarded(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy three times: the right user with a wrong password, an
    unknown user with the right password, and a Basic token that is not base64."""
    forwarded = []
    for name, value in _wrong(*credentials)[1:]:
        _token, reply, reached = _attempt(wire, target, origin, value)
        if reached or reply.success:
            forwarded.append(f"{name}: {reply.describe()}, forwarded={reached}")
    if forwarded:
        fail("each refused (407), none forwarded to the origin", "; ".join(forwarded))


@pytest.mark.requirement(
    "proxy/rfc9110/11.4/refusal-is-407",
    level="SHOULD",
    ref="RFC 9110 §11.4",
    quote="Likewise, upon receipt of a request that omits proxy credentials or contains "
    "invalid or partial proxy credentials, a proxy that requires authentication SHOULD "
    "generate a 407 (Proxy Authentication Required) response",
)
def test_refusals_are_407(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy without credentials and with the three wrong ones; the
    requests the proxy refused (did not forward) must be answered with 407."""
    other = []
    refused = 0
    for name, value in _wrong(*credentials):
        _token, reply, reached = _attempt(wire, target, origin, value)
        if reached:
            continue  # the MUST checks above judge forwarding
        refused += 1
        if reply.status != 407:
            other.append(f"{name}: {reply.describe()}")
    if not refused:
        pytest.skip("the proxy forwarded every request: see the *-credentials-refused checks")
    if other:
        fail("407 (Proxy Authentication Required) for each refused request", "; ".join(other))


@pytest.mark.requirement(
    "proxy/rfc9110/15.5.8/407-has-challenge",
    level="MUST",
    ref="RFC 9110 §15.5.8, §11.7.1",
    quote="The proxy MUST send a Proxy-Authenticate header field (Section 11.7.1) containing "
    "a challenge applicable to that proxy for the request.",
)
def test_every_407_carries_a_challenge(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy without credentials and with the three wrong ones; each
    407 answer must carry a Proxy-Authenticate field with a challenge."""
    bare = []
    seen = 0
    for name, value in _wrong(*credentials):
        _token, reply, _reached = _attempt(wire, target, origin, value)
        if reply.status != 407:
            continue
        seen += 1
        if not challenges(reply.values("proxy-authenticate")):
            bare.append(f"{name}: {reply.describe()}")
    if not seen:
        pytest.skip("the proxy answered no request with 407: see proxy/rfc9110/11.4/refusal-is-407")
    if bare:
        fail("each 407 with Proxy-Authenticate: <scheme> <params>", "; ".join(bare))


@pytest.mark.requirement(
    "proxy/rfc7617/2/basic-realm",
    level="MUST",
    ref="RFC 7617 §2",
    quote="The authentication parameter 'realm' is REQUIRED ([RFC7235], Section 2.2).",
)
def test_challenge_is_basic_with_a_realm(
    target: Target, wire: Wire, origin: RecordingOrigin
) -> None:
    """GET through the proxy without credentials; read the Proxy-Authenticate challenges
    of its 407."""
    _token, reply, _reached = _attempt(wire, target, origin, None)
    found = challenges(reply.values("proxy-authenticate"))
    if reply.status != 407 or not found:
        pytest.skip(f"no 407 challenge to examine ({reply.describe()})")
    basics = [params for scheme, params in found if scheme.lower() == "basic"]
    if not basics:
        fail('a Basic challenge: Proxy-Authenticate: Basic realm="..."', reply.describe())
    if not any("realm" in params for params in basics):
        fail('the Basic challenge with its realm: Basic realm="..."', reply.describe())


@pytest.mark.requirement(
    "proxy/rfc9110/11.7.2/credentials-not-forwarded",
    level="MUST",
    ref="RFC 9110 §11.7.2",
    quote="When multiple proxies are used in a chain, the Proxy-Authorization header field is "
    "consumed by the first inbound proxy that was expecting to receive credentials.",
)
def test_proxy_authorization_is_not_forwarded(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy with the right Proxy-Authorization; look at what the origin
    received."""
    token = new_token()
    headers = [
        (b"Host", origin.authority.encode()),
        (b"Proxy-Authorization", basic(*credentials)),
    ]
    reply = exchange(wire, target, "GET", origin.url(token), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    secret = basic(*credentials).split(b" ", 1)[1]
    leaked = received.values("proxy-authorization")
    if leaked:
        fail(
            "the request forwarded without Proxy-Authorization",
            f"the origin received Proxy-Authorization: {leaked[0].decode('latin-1')}",
        )
    if secret in received.raw:
        fail(
            "the request forwarded without the credentials anywhere in it",
            f"the origin received the Basic token in another field: {received.head()}",
        )

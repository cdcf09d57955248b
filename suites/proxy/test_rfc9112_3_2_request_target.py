"""Request targets across the proxy: RFC 9112 §3.2.1 and §3.2.2.

The suite sends absolute-form requests (``GET http://<origin>/wirecert/<token>?q=1``)
with the right credentials; the origin records the request line and Host it received.
"""

from __future__ import annotations

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.proxy.client import basic, exchange, forwarded_or_skip, new_token
from suites.proxy.origin import PATH_PREFIX, RecordingOrigin

WRONG_HOST = b"wirecert-wrong-host.invalid"


@pytest.mark.requirement(
    "proxy/rfc9112/3.2.1/origin-form-forwarded",
    level="MUST",
    ref="RFC 9112 §3.2.1",
    quote="When making a request directly to an origin server, other than a CONNECT or "
    "server-wide OPTIONS request, a client MUST send only the absolute path and query "
    "components of the target URI as the request target.",
)
def test_origin_receives_origin_form(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET http://<origin>/wirecert/<token>?q=1 through the proxy."""
    token = new_token()
    headers = [(b"Host", origin.authority.encode()), (b"Proxy-Authorization", basic(*credentials))]
    reply = exchange(wire, target, "GET", origin.url(token, "?q=1"), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    want = f"{PATH_PREFIX}{token}?q=1".encode()
    if received.target != want:
        fail(
            f"the request line {want.decode()} (origin-form)",
            f"the origin received the target {received.target.decode('latin-1')}",
        )


@pytest.mark.requirement(
    "proxy/rfc9112/3.2.2/host-from-absolute-form",
    level="MUST",
    ref="RFC 9112 §3.2.2",
    quote="A proxy that forwards such a request MUST generate a new Host field value based on "
    "the received request-target rather than forward the received Host field value.",
)
def test_host_comes_from_the_absolute_form(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET http://<origin>/wirecert/<token> through the proxy with ``Host:
    wirecert-wrong-host.invalid``."""
    token = new_token()
    headers = [(b"Host", WRONG_HOST), (b"Proxy-Authorization", basic(*credentials))]
    reply = exchange(wire, target, "GET", origin.url(token), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    hosts = received.values("host")
    if [h.lower() for h in hosts] != [origin.authority.encode()]:
        shown = ", ".join(h.decode("latin-1") for h in hosts) or "no Host"
        fail(f"one Host field: {origin.authority}", f"the origin received Host {shown}")

"""What an intermediary does to the messages it forwards: RFC 9110 §7.6.

Every request carries the right credentials (--proxy-credentials) and goes to the
suite's origin, which records the forwarded request and answers with a response that
names ``X-Origin-Hop`` in its Connection field. A proxy that refuses the credentials
or forwards nothing leaves these checks skipped (see right-credentials-pass).
"""

from __future__ import annotations

import re

import pytest

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.proxy.client import basic, exchange, forwarded_or_skip, new_token, note_origin
from suites.proxy.origin import ORIGIN_HOP, RecordingOrigin

HOP = b"X-Wirecert-Hop"
#: Fields a proxy must drop even when Connection does not name them (RFC 9110 §7.6.1).
ALWAYS_HOP_BY_HOP: list[tuple[bytes, bytes]] = [
    (b"Keep-Alive", b"timeout=5, max=100"),
    (b"Proxy-Connection", b"keep-alive"),
    (b"TE", b"trailers"),
    (b"Upgrade", b"wirecert-test/1"),
]
#: received-protocol for an HTTP/1.1 message, then received-by (RFC 9110 §7.6.3).
_VIA_ENTRY = re.compile(r"^(?:HTTP/)?1\.1[ \t]+[^ \t,]+", re.IGNORECASE)


def _headers(origin: RecordingOrigin, credentials: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (b"Host", origin.authority.encode()),
        (b"Proxy-Authorization", basic(*credentials)),
    ]


def _via_entries(values: list[bytes]) -> list[str]:
    return [entry.strip() for value in values for entry in value.decode("latin-1").split(",")]


@pytest.mark.requirement(
    "proxy/rfc9110/7.6.1/connection-options-removed",
    level="MUST",
    ref="RFC 9110 §7.6.1",
    quote="Intermediaries MUST parse a received Connection header field before a message is "
    "forwarded and, for each connection-option in this field, remove any header or trailer "
    "field(s) from the message with the same name as the connection-option",
)
def test_fields_named_in_connection_are_removed(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy with ``Connection: keep-alive, X-Wirecert-Hop`` and
    ``X-Wirecert-Hop: 1``; the origin answers with ``Connection: X-Origin-Hop`` and
    ``X-Origin-Hop``. Neither named field may cross the proxy."""
    token = new_token()
    headers = [
        *_headers(origin, credentials),
        (b"Connection", b"keep-alive, " + HOP),
        (HOP, b"1"),
    ]
    reply = exchange(wire, target, "GET", origin.url(token), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    problems = []
    if received.values(HOP.decode()):
        problems.append(f"the origin received {HOP.decode()}")
    named = [v for v in received.values("connection") if HOP.lower() in v.lower()]
    if named:
        problems.append(f"the origin received Connection: {named[0].decode('latin-1')}")
    if reply.values(ORIGIN_HOP.decode()):
        problems.append(
            f"the reply relayed {ORIGIN_HOP.decode()} (the origin named it in Connection)"
        )
    if problems:
        fail(
            f"{HOP.decode()} removed from the forwarded request, {ORIGIN_HOP.decode()} from "
            "the relayed response, and neither named in a forwarded Connection field",
            "; ".join(problems) + f" (origin received: {received.head()})",
        )


@pytest.mark.requirement(
    "proxy/rfc9110/7.6.1/hop-by-hop-removed",
    level="SHOULD",
    ref="RFC 9110 §7.6.1",
    quote="Furthermore, intermediaries SHOULD remove or replace fields that are known to "
    "require removal before forwarding, whether or not they appear as a connection-option, "
    "after applying those fields' semantics.",
)
def test_known_hop_by_hop_fields_are_removed(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy with Keep-Alive, Proxy-Connection, TE and Upgrade fields
    that no Connection field names."""
    token = new_token()
    headers = [*_headers(origin, credentials), *ALWAYS_HOP_BY_HOP]
    reply = exchange(wire, target, "GET", origin.url(token), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    kept = [
        f"{name.decode()}: {received.values(name.decode())[0].decode('latin-1')}"
        for name, value in ALWAYS_HOP_BY_HOP
        if value in received.values(name.decode())
    ]
    if kept:
        fail(
            "Keep-Alive, Proxy-Connection, TE and Upgrade removed (or replaced by the "
            "proxy's own) before forwarding",
            f"the origin received {', '.join(kept)}",
        )


@pytest.mark.requirement(
    "proxy/rfc9110/7.6.3/via-added",
    level="MUST",
    ref="RFC 9110 §7.6.3",
    quote="A proxy MUST send an appropriate Via header field, as described below, in each "
    "message that it forwards.",
)
def test_via_is_added_both_ways(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """GET through the proxy (HTTP/1.1, no Via of our own); the origin answers HTTP/1.1.
    The forwarded request and the relayed response must each carry a Via entry
    ``1.1 <received-by>``."""
    token = new_token()
    reply = exchange(wire, target, "GET", origin.url(token), _headers(origin, credentials))
    received = forwarded_or_skip(wire, origin, token, reply)
    problems = []
    request_via = _via_entries(received.values("via"))
    if not any(_VIA_ENTRY.match(e) for e in request_via):
        problems.append(f"the forwarded request had Via {request_via or 'none'}")
    response_via = _via_entries(reply.values("via"))
    if reply.status is not None and not any(_VIA_ENTRY.match(e) for e in response_via):
        problems.append(f"the relayed response had Via {response_via or 'none'}")
    if problems:
        fail(
            "Via: 1.1 <received-by> on the forwarded request and on the relayed response",
            "; ".join(problems),
        )


@pytest.mark.requirement(
    "proxy/rfc9110/7.6.2/max-forwards-zero",
    level="MUST",
    ref="RFC 9110 §7.6.2",
    quote="If the received value is zero (0), the intermediary MUST NOT forward the request; "
    "instead, the intermediary MUST respond as the final recipient.",
)
def test_max_forwards_zero_is_answered_by_the_proxy(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """OPTIONS and TRACE through the proxy with ``Max-Forwards: 0``."""
    problems = []
    for method in ("OPTIONS", "TRACE"):
        token = new_token()
        headers = [*_headers(origin, credentials), (b"Max-Forwards", b"0")]
        reply = exchange(wire, target, method, origin.url(token), headers)
        seen = origin.wait(token, 0.2 if reply.status is None else 0.0)
        note_origin(wire, token, seen)
        if reply.status == 407:
            pytest.skip("the proxy refused the suite's credentials: see right-credentials-pass")
        if seen:
            problems.append(f"{method} forwarded to the origin ({reply.describe()})")
        elif reply.status is None:
            problems.append(f"{method}: {reply.describe()}")
    if problems:
        fail("a response from the proxy itself; nothing forwarded", "; ".join(problems))


@pytest.mark.requirement(
    "proxy/rfc9110/7.6.2/max-forwards-decremented",
    level="MUST",
    ref="RFC 9110 §7.6.2",
    quote="If the received Max-Forwards value is greater than zero, the intermediary MUST "
    "generate an updated Max-Forwards field in the forwarded message with a field value that "
    "is the lesser of a) the received value decremented by one (1) or b) the recipient's "
    "maximum supported value for Max-Forwards.",
)
def test_max_forwards_is_decremented(
    target: Target, wire: Wire, origin: RecordingOrigin, credentials: tuple[str, str]
) -> None:
    """OPTIONS through the proxy with ``Max-Forwards: 5``."""
    token = new_token()
    headers = [*_headers(origin, credentials), (b"Max-Forwards", b"5")]
    reply = exchange(wire, target, "OPTIONS", origin.url(token), headers)
    received = forwarded_or_skip(wire, origin, token, reply)
    values = [v.strip() for v in received.values("max-forwards")]
    if len(values) != 1 or not values[0].isdigit() or int(values[0]) > 4:
        shown = ", ".join(v.decode("latin-1") for v in values) or "no Max-Forwards"
        fail("one Max-Forwards field of at most 4 (5 decremented)", f"the origin received {shown}")

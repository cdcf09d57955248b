"""RFC 9112 §3, RFC 9110 §5.4: limits are answered (414, 431 or a close), never a hang;
a client that trickles its header section is cut off.

This file runs late (file order): its requests are large or slow.
"""

from __future__ import annotations

import time

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import End, Wire
from suites.http.client import ResponseReader, describe, host_header, request

#: Octets of query appended to --http-path for the long request-target.
LONG_TARGET = 64 * 1024
#: Field lines, of ~1 KiB each, for the large header section.
LARGE_FIELDS = 64
#: How long a slow client may keep a header section open before the server must have
#: cut it off, in multiples of --timeout (at least 6 s: 12 s at the default timeout),
#: and how often it sends one more octet (seconds).
SLOW_CLIENT_TIMEOUTS = 6.0
SLOW_CLIENT_MINIMUM = 6.0
SLOW_CLIENT_PERIOD = 0.5


@pytest.mark.requirement(
    "http/rfc9112/3/long-request-target",
    level="MUST",
    ref="RFC 9112 §3",
    quote="A server that receives a request-target longer than any URI it wishes to parse "
    "MUST respond with a 414 (URI Too Long) status code",
)
def test_long_request_target(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path?aaaa... with a 64 KiB query."""
    path = wirecert.option("path")
    long_target = f"{path}?{'a' * LONG_TARGET}"
    conn = wire.connect(target)
    conn.send(request(target, "GET", long_target, close=True))
    reader = ResponseReader(conn)
    response = reader.read()
    if response is None:
        if reader.end in (End.FIN, End.RST):
            return
    elif response.status == 414 or response.status < 400 or response.status == 404:
        return
    fail(
        [
            "a 414 response",
            "the response the target parsed (2xx, 3xx or 404)",
            "the connection closed",
        ],
        describe(response, reader),
    )


@pytest.mark.requirement(
    "http/rfc9110/5.4/large-header-section",
    level="MUST",
    ref="RFC 9110 §5.4",
    quote="A server that receives a request header field line, field value, or set of fields "
    "larger than it wishes to process MUST respond with an appropriate 4xx (Client Error) "
    "status code.",
)
def test_large_header_section(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path with 64 field lines of about 1 KiB each (64 KiB)."""
    path = wirecert.option("path")
    fields = [(f"X-Wirecert-{n}", "b" * 1000) for n in range(LARGE_FIELDS)]
    conn = wire.connect(target)
    conn.send(request(target, "GET", path, headers=fields, close=True))
    reader = ResponseReader(conn)
    response = reader.read()
    if response is None:
        if reader.end in (End.FIN, End.RST):
            return
    elif response.status < 500:
        return
    fail(
        [
            "a 4xx response (431 is the one meant for it)",
            "the response the target parsed (2xx, 3xx)",
            "the connection closed",
        ],
        describe(response, reader),
    )


@pytest.mark.requirement(
    "http/rfc9112/9.5/slow-client-timeout",
    level="SHOULD",
    ref="RFC 9112 §9.5; RFC 9110 §17",
    quote="Servers will usually have some timeout value beyond which they will no longer "
    "maintain an inactive connection.",
)
def test_slow_client(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """Begin a GET --http-path header section, then send one more octet of a field value
    every 0.5 s; the server must answer (408 or another 4xx) or close within 6 times
    --timeout (12 s by default; at least 6 s)."""
    path = wirecert.option("path")
    limit = max(SLOW_CLIENT_MINIMUM, SLOW_CLIENT_TIMEOUTS * wirecert.timeout)
    conn = wire.connect(target)
    conn.send(f"GET {path} HTTP/1.1\r\nHost: {host_header(target)}\r\nX-Slow: ".encode())
    started = time.monotonic()
    deadline = started + limit
    for _ in range(int(limit / SLOW_CLIENT_PERIOD) + 2):
        observed = conn.receive(until=bool, timeout=SLOW_CLIENT_PERIOD)
        if observed.received or observed.end in (End.FIN, End.RST):
            return
        if time.monotonic() >= deadline:
            break
        conn.send(b"a")
        if conn.end is not None:
            return  # the send met a reset: the server cut the client off
    fail(
        "a 408 response or the connection closed, within "
        f"{limit:g} s of a header section that never ends",
        f"the connection still open after {time.monotonic() - started:.1f} s "
        f"of one octet every {SLOW_CLIENT_PERIOD:g} s",
    )

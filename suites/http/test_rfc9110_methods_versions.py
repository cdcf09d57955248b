"""RFC 9110 §9.1, §15.5.6, §15.6.6 and RFC 9112 §2.3: methods and versions.

A 405 carries Allow; an unknown method gets 501; ``HTTP/2.0`` in a request line gets
505 (or 400), and a version that is not ``HTTP/DIGIT.DIGIT`` gets 400.
"""

from __future__ import annotations

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.http.client import describe, request, send_and_read

#: Methods of RFC 9110 §9 a static resource commonly does not allow, tried in order.
UNSAFE_METHODS = ("DELETE", "PUT", "PATCH", "POST")


@pytest.mark.requirement(
    "http/rfc9110/15.5.6/405-allow",
    level="MUST",
    ref="RFC 9110 §15.5.6",
    quote="The origin server MUST generate an Allow header field in a 405 response "
    "containing a list of the target resource's currently supported methods.",
)
def test_405_carries_allow(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """DELETE, PUT, PATCH and POST --http-path (Content-Length: 0), each on its own
    connection, until one is answered 405; that response must have Allow."""
    path = wirecert.option("path")
    statuses = []
    for method in UNSAFE_METHODS:
        data = request(target, method, path, headers=[("Content-Length", "0")], close=True)
        response, reader = send_and_read(wire, target, data, method=method)
        if response is None:
            statuses.append(f"{method}: {describe(response, reader)}")
            continue
        statuses.append(f"{method}: {response.status}")
        if response.status == 405:
            if not response.values("allow"):
                fail(
                    f"an Allow field in the 405 response to {method} {path}",
                    f"{response.summary()} without Allow",
                )
            return
    pytest.skip(f"no 405 response to check ({'; '.join(statuses)})")


@pytest.mark.requirement(
    "http/rfc9110/9.1/unknown-method-501",
    level="SHOULD",
    ref="RFC 9110 §9.1",
    quote="An origin server that receives a request method that is unrecognized or not "
    "implemented SHOULD respond with the 501 (Not Implemented) status code.",
)
def test_unknown_method(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """WIRECERTPROBE --http-path (a method no registry knows)."""
    path = wirecert.option("path")
    response, reader = send_and_read(
        wire, target, request(target, "WIRECERTPROBE", path, close=True)
    )
    if response is None or response.status != 501:
        fail("a 501 response", describe(response, reader))


@pytest.mark.requirement(
    "http/rfc9110/15.6.6/major-version-505",
    level="SHOULD",
    ref="RFC 9110 §15.6.6, §6.2",
    quote="The 505 (HTTP Version Not Supported) status code indicates that the server does "
    "not support, or refuses to support, the major version of HTTP that was used in the "
    "request message.",
)
def test_http2_version(target: Target, wire: Wire, wirecert: CheckContext) -> None:
    """GET --http-path HTTP/2.0 (HTTP/2's version in an HTTP/1.1 request line)."""
    path = wirecert.option("path")
    response, reader = send_and_read(
        wire, target, request(target, "GET", path, version="HTTP/2.0", close=True)
    )
    if response is None or response.status not in (505, 400):
        fail(["a 505 response", "a 400 response"], describe(response, reader))


@pytest.mark.requirement(
    "http/rfc9112/2.3/malformed-version",
    level="SHOULD",
    ref="RFC 9112 §2.3, §2.2",
    quote='HTTP-version = HTTP-name "/" DIGIT "." DIGIT',
)
@pytest.mark.parametrize("version", ["HTTP/1.x", "FOO/1.1", "HTTP/1.1.1", "http/1.1"])
def test_malformed_version(
    target: Target, wire: Wire, wirecert: CheckContext, version: str
) -> None:
    """GET --http-path with a version that does not match HTTP-version (HTTP-name is
    case-sensitive)."""
    path = wirecert.option("path")
    response, reader = send_and_read(
        wire, target, request(target, "GET", path, version=version, close=True)
    )
    if response is None or response.status not in (400, 505):
        fail(
            ["a 400 response", "a 505 response"],
            describe(response, reader),
        )

"""RFC 9110 §17.3: a request-target never reaches a file outside the server's root.

The suite cannot know the target's root, so it asks for well-known system files from
far above any root, in the encodings that have let traversal through in real servers,
and recognises a leak by the file's content (see :data:`LEAK_SIGNS`).

This file runs last (file order).
"""

from __future__ import annotations

import re

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.http.client import host_header, request, send_and_read

UP = 12
#: Request-targets, relative to the directory of --http-path (``{d}``), or absolute.
TRAVERSALS: dict[str, str] = {
    "dot-dot": "{d}" + "../" * UP + "etc/passwd",
    "encoded-dots": "{d}" + "%2e%2e/" * UP + "etc/passwd",
    "encoded-slashes": "{d}" + "..%2f" * UP + "etc%2fpasswd",
    "double-encoded": "{d}" + "%252e%252e%252f" * UP + "etc%252fpasswd",
    "backslashes": "{d}" + "..\\" * UP + "etc\\passwd",
    "encoded-backslashes": "{d}" + "..%5c" * UP + "etc%5cpasswd",
    "overlong-utf8": "{d}" + "%c0%ae%c0%ae%c0%af" * UP + "etc%c0%afpasswd",
    "dot-dot-dot-dot": "{d}" + "....//" * UP + "etc/passwd",
    "dot-segments": "{d}" + "./../" * UP + "etc/passwd",
    "nul-suffix": "{d}" + "../" * UP + "etc/passwd%00.html",
    "absolute-form": "{scheme}://{host}" + "/.." * UP + "/etc/passwd",
    "windows": "{d}" + "..%5c" * UP + "windows%5cwin.ini",
}

#: Content that can only come from a file outside any web root: a Unix password file's
#: root entry, or the sections of Windows' win.ini.
LEAK_SIGNS = (
    re.compile(rb"(?m)^root:[^:\n]*:0:0:"),
    re.compile(rb"(?i)\[fonts\]|for 16-bit app support"),
)


@pytest.mark.requirement(
    "http/rfc9110/17.3/no-path-traversal",
    level="MUST",
    ref="RFC 9110 §17.3 (RFC 2616 §15.2)",
    quote="an HTTP server MUST disallow any such construct in the Request-URI if it would "
    "otherwise allow access to a resource outside those intended to be accessible via the "
    "HTTP server.",
)
@pytest.mark.parametrize("encoding", list(TRAVERSALS))
def test_no_path_traversal(
    target: Target, wire: Wire, wirecert: CheckContext, encoding: str
) -> None:
    """GET a request-target that climbs twelve levels above the directory of --http-path
    to /etc/passwd (or win.ini), in one encoding of ``..``."""
    path = wirecert.option("path")
    directory = path.rsplit("/", 1)[0] + "/"
    sent = TRAVERSALS[encoding].format(d=directory, scheme=target.scheme, host=host_header(target))
    response, _ = send_and_read(wire, target, request(target, "GET", sent, close=True))
    if response is None:
        return
    for sign in LEAK_SIGNS:
        found = sign.search(response.body)
        if found:
            fail(
                "no file from outside the root (a 4xx response, or a file inside it)",
                f"{response.summary()} whose content holds {found.group(0)[:40]!r}: a "
                f"system file served for GET {sent}",
            )

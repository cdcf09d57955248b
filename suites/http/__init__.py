"""http: HTTP/1.1 origin servers (RFC 9110 semantics, RFC 9112 message syntax).

Target: ``http://host[:80]`` or ``https://host[:443]``; every check runs over each
scheme that has a target (the embedded reference serves both). ``--http-path`` names
a resource that exists on the target (default ``/``); the checks fetch it, and the
name ``/wirecert-missing-<n>`` is assumed not to exist.

What is sent is raw bytes (many checks send malformed requests on purpose) and
responses are read by a tolerant reader that notes every departure from the grammar
(:mod:`suites.http.client`).

Path traversal (``http/rfc9110/17.3/no-path-traversal``) cannot know the target's
root. It asks, in a dozen encodings, for ``/etc/passwd`` (and ``C:\\Windows\\win.ini``)
from far above the root, and recognises a file from outside the root by its content:
a line starting ``root:`` followed by ``:0:0:`` (a Unix password file), or the
``[fonts]`` / ``for 16-bit app support`` sections of win.ini. A target whose root
holds a file with such content at those names would be blamed wrongly; one whose
leak is some other file goes unnoticed.
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption


def _path(text: str) -> str:
    if not text.startswith("/") or any(c.isspace() or ord(c) < 0x20 for c in text):
        raise ValueError("a path that starts with / and holds no whitespace, e.g. /index.html")
    return text


SUITE = Suite(
    name="http",
    title="HTTP/1.1 origin server (RFC 9110, RFC 9112)",
    schemes={"http": 80, "https": 443},
    reference="http",
    options=(
        SuiteOption(
            "path",
            "a path on the target that exists and answers GET with 200 (default /)",
            _path,
            "/",
        ),
    ),
)

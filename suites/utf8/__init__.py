"""UTF-8 text service (RFC 3629): a server that sends text in UTF-8, then closes.

The model is the UTF-8 server of Newmarch, "Network Programming with Go", ch. 6, which
sends ``百度一下，你就知道`` on each connection and closes. Target: ``tcp://host[:1210]``
(the chapter's servers use port 1210).
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="utf8",
    title="UTF-8 text service (RFC 3629)",
    schemes={"tcp": 1210},
    reference="utf8text",
)

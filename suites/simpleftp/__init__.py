"""simpleftp: the FTP-like directory protocol of Jan Newmarch's *Network Programming with
Go*, chapter 5 -- the book's protocol, not FTP (RFC 959).

Requests are raw strings with no line terminator, one per write: ``DIR `` lists the
working directory (each name followed by CRLF, then one more CRLF), ``PWD`` answers
the working directory's absolute path, ``CD <dir>`` answers ``OK`` or ``ERROR``.
There is no RFC: requirement references name the book, and the quotes describe the
book's text and its server's behaviour.

Target: ``tcp://host[:1202]``. The checks know nothing of the served directory's
layout: they enter a subdirectory by trying ``CD`` on the names DIR lists, so the
target should serve a directory with at least one subdirectory (otherwise those
checks are skipped, with the reason).
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="simpleftp",
    title="simpleftp directory protocol (Newmarch, Network Programming with Go, ch. 5; "
    "not RFC 959)",
    schemes={"tcp": 1202},
    reference="simpleftp",
)

"""TLS endpoint (RFC 8446, RFC 8996, RFC 5280): the certificate and the protocol versions.

Targets: ``tls://host[:443]``, ``https://host[:443]`` or ``wss://host[:443]``; the checks
are the same for each (only the TLS layer is looked at). Certificates verify against
``--ca FILE``, else the system's trust store; with ``--insecure`` the chain check is
skipped and says so (the other certificate checks read the certificate either way).

The embedded run certifies the echo reference's TLS listener (the book's chapter 7 TLS
echo server), with a certificate that the reference makes with trustme at start.
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="tls",
    title="TLS endpoint (RFC 8446, RFC 8996, RFC 5280)",
    schemes={"tls": 443, "https": 443, "wss": 443},
    reference="echo",
    # The echo reference serves tls:// only; https:// and wss:// are other protocols'.
    reference_schemes=("tls",),
)

#: Every check runs over whichever of these the run has a target for.
SCHEMES = ("tls", "https", "wss")

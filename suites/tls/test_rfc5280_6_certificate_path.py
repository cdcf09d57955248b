"""RFC 5280 §6 (certification path validation) and RFC 2818 §3.1 (the server's identity).

Each check reads the end-entity certificate over a handshake that verifies nothing, so
that a certificate with one fault is blamed for that fault only: the chain check
verifies the chain but not the name or the dates, the name check compares the names,
the validity check compares the dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from harness.plugin import CheckContext
from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.tls import SCHEMES
from suites.tlsprobes import (
    anchored_context,
    inspecting_context,
    name_matches,
    peer_certificate,
    presented_names,
    tls_handshake_failed,
)

pytestmark = pytest.mark.scheme(*SCHEMES)

#: A certificate this close to its notAfter is reported (informational): renewal is
#: overdue by any CA's practice (Let's Encrypt renews at 30 days left), and a run a
#: few days before expiry is the last chance to notice before clients start failing.
EXPIRY_MARGIN = timedelta(days=14)


@pytest.mark.requirement(
    "tls/rfc5280/6.1/chain-verifies",
    level="MUST",
    ref="RFC 5280 §6.1",
    quote="The primary goal of path validation is to verify the binding between a subject "
    "distinguished name or a subject alternative name and subject public key, as represented "
    "in the target certificate, based on the public key of the trust anchor.",
)
def test_chain_verifies_against_trust_anchors(
    target: Target, wire: Wire, wirecert: CheckContext
) -> None:
    """Handshake verifying the chain against --ca (or the embedded reference's CA, or the
    system's store); the name and the dates are left to their own checks."""
    context = anchored_context(wire, target, wirecert)
    if context is None:
        pytest.skip("--insecure: no trust anchors, so the chain was not assessed")
    try:
        conn = wire.connect(target, tls=context)
    except AssertionError as exc:
        if not tls_handshake_failed(exc):
            raise
        fail(
            "a certificate chain that verifies up to a trust anchor",
            str(getattr(exc, "actual", exc)),
        )
    assert conn.tls is not None and conn.tls.verified


@pytest.mark.requirement(
    "tls/rfc2818/3.1/server-name-matches",
    level="MUST",
    ref="RFC 2818 §3.1 (RFC 6125 §6)",
    quote="If a subjectAltName extension of type dNSName is present, that MUST be used as the "
    "identity.",
)
def test_certificate_names_the_target(target: Target, wire: Wire) -> None:
    """Handshake, then compare the target's host with the certificate's subjectAltName:
    an IP address with its iPAddress names, a host name with its dNSName names."""
    cert = peer_certificate(wire.connect(target, tls=inspecting_context()))
    if not name_matches(cert, target.host):
        dns, ips = presented_names(cert)
        subject = cert.subject.rfc4514_string() or "(empty)"
        fail(
            f"a certificate whose subjectAltName matches {target.host}",
            f"a certificate for DNS names {dns or 'none'}, IP addresses {ips or 'none'} "
            f"(subject {subject})",
        )


@pytest.mark.requirement(
    "tls/rfc5280/6.1.3/validity-period",
    level="MUST",
    ref="RFC 5280 §6.1.3",
    quote="The certificate validity period includes the current time.",
)
def test_certificate_is_valid_now(target: Target, wire: Wire) -> None:
    """Handshake, then compare notBefore and notAfter with our clock."""
    cert = peer_certificate(wire.connect(target, tls=inspecting_context()))
    now = datetime.now(UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= now <= end:
        when = "expired" if now > end else "not yet valid"
        fail(
            f"notBefore <= now ({now:%Y-%m-%d %H:%M:%S}Z) <= notAfter",
            f"a certificate valid from {start:%Y-%m-%d %H:%M:%S}Z to {end:%Y-%m-%d %H:%M:%S}Z "
            f"({when})",
        )


@pytest.mark.requirement(
    "tls/rfc5280/4.1.2.5/not-expiring-soon",
    level="MAY",
    ref="RFC 5280 §4.1.2.5",
    quote="The validity period for a certificate is the period of time from notBefore through "
    "notAfter, inclusive.",
)
def test_certificate_is_not_about_to_expire(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Handshake, then see how long the certificate has left (informational)."""
    cert = peer_certificate(wire.connect(target, tls=inspecting_context()))
    left = cert.not_valid_after_utc - datetime.now(UTC)
    seen = (
        f"the certificate expires in {left.days} days {left.seconds // 3600} hours "
        f"({cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}Z)"
    )
    if timedelta(0) <= left < EXPIRY_MARGIN:
        fail(f"at least {EXPIRY_MARGIN.days} days before notAfter", seen)
    finding(seen)

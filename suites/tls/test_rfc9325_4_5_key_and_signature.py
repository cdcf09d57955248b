"""RFC 9325 §4.5 (BCP 195): the server's public key and its certificate's signature hash.

Levels follow BCP 195: an RSA (or DSA) key of fewer than 2048 bits, an elliptic-curve
key on a curve of fewer than 224 bits (NIST SP 800-57 Part 1: both give less than 112
bits of security), and a certificate signed with SHA-1 or MD5 are all MUST NOTs.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from harness.targets import Target
from harness.verify import fail
from harness.wire import Wire
from suites.tls import SCHEMES
from suites.tlsprobes import inspecting_context, key_description, peer_certificate

pytestmark = pytest.mark.scheme(*SCHEMES)

REF = "RFC 9325 §4.5"
#: The least size in bits per key kind (EC: of the curve).
MINIMUM_BITS = {"RSA": 2048, "DSA": 2048, "EC": 224}
#: Hashes that must not sign the certificate.
BROKEN_HASHES = (hashes.SHA1, hashes.MD5)


@pytest.mark.requirement(
    "tls/rfc9325/4.5/key-strength",
    level="MUST",
    ref=REF,
    quote="When using RSA, servers MUST authenticate using certificates with at least a "
    "2048-bit modulus for the public key.",
)
def test_server_key_is_strong_enough(target: Target, wire: Wire) -> None:
    """Handshake (any key size allowed), then measure the certificate's public key."""
    cert = peer_certificate(wire.connect(target, tls=inspecting_context()))
    kind, bits = key_description(cert)
    least = MINIMUM_BITS.get(kind.split()[0])
    if least is not None and bits < least:
        fail(
            ", ".join(f"{k} of at least {n} bits" for k, n in MINIMUM_BITS.items())
            + ", or Ed25519/Ed448",
            f"a {bits}-bit {kind} key",
        )


@pytest.mark.requirement(
    "tls/rfc9325/4.5/no-sha1-md5-signature",
    level="MUST",
    ref=REF,
    quote="SHA-1 or MD5 MUST NOT be used",
)
def test_certificate_signature_hash_is_not_broken(target: Target, wire: Wire) -> None:
    """Handshake, then read the hash of the end-entity certificate's signature."""
    cert = peer_certificate(wire.connect(target, tls=inspecting_context()))
    algorithm = cert.signature_hash_algorithm
    if isinstance(algorithm, BROKEN_HASHES):
        fail(
            "a certificate signed with SHA-256 or better (or Ed25519/Ed448)",
            f"a certificate signed with {algorithm.name.upper()} "
            f"({cert.signature_algorithm_oid._name})",
        )

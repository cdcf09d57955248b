"""Server certificates for the references' TLS listeners (``tls``, ``https``, ``wss``).

A user gives ``--certfile``/``--keyfile``; without them, ``serve`` makes a certificate
authority and a server certificate with trustme at start (valid for 127.0.0.1, ::1 and
localhost), writes the authority's certificate to a file that lives as long as the
server, and announces it as ``ca <path>`` so a client can verify against it.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEMO_NAMES", "DemoCertificates", "server_context"]

#: The names a certificate made at start is valid for.
DEMO_NAMES = ("127.0.0.1", "::1", "localhost")


def server_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server context with the given chain and key: TLS 1.2 and 1.3 only (RFC 8996).

    Raises ValueError with one line naming the file when the chain or key cannot be loaded.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as exc:
        raise ValueError(f"no such certificate or key file: {exc.filename}") from None
    except (ssl.SSLError, OSError) as exc:
        files = certfile if keyfile is None else f"{certfile} and {keyfile}"
        raise ValueError(f"cannot load a certificate and key from {files}: {exc}") from None
    return context


@dataclass
class DemoCertificates:
    """A CA and a server certificate made with trustme, as files in a temporary directory.

    ``close()`` removes the files; the server keeps running with what it loaded.
    """

    directory: tempfile.TemporaryDirectory[str]
    cafile: Path
    certfile: Path
    keyfile: Path

    @classmethod
    def make(cls, names: tuple[str, ...] = DEMO_NAMES) -> DemoCertificates:
        import trustme  # imported here: plain-TCP references never pay for it

        directory = tempfile.TemporaryDirectory(prefix="wirecert-tls-")
        root = Path(directory.name)
        ca = trustme.CA(organization_name="wirecert demo CA")
        leaf = ca.issue_cert(*names, organization_name="wirecert reference")
        cafile, certfile, keyfile = root / "ca.pem", root / "cert.pem", root / "key.pem"
        ca.cert_pem.write_to_path(str(cafile))
        leaf.private_key_pem.write_to_path(str(keyfile))
        with certfile.open("wb") as out:
            for blob in leaf.cert_chain_pems:
                out.write(blob.bytes())
        return cls(directory, cafile, certfile, keyfile)

    def close(self) -> None:
        self.directory.cleanup()

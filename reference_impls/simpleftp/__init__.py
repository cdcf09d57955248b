"""simpleftp: the FTP-like directory protocol of Newmarch, *Network Programming with Go*,
chapter 5 (the book's protocol, not FTP as in RFC 959). See :mod:`.protocol`."""

from __future__ import annotations

from reference_impls.simpleftp.protocol import PORT, SimpleFtpSession, Tree
from reference_impls.simpleftp.server import start

__all__ = ["PORT", "SimpleFtpSession", "Tree", "start"]

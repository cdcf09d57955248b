"""Targets: what a suite is pointed at.

The grammar of ``--target`` is ``[suite=][scheme://]host[:port][/path]``:

    echo.example.net:7                  one suite selected; tcp is the default scheme
    udp://daytime.example.net           the suite's well-known UDP port
    echo=tcp://[::1]:7007               labelled, for runs that select several suites
    websocket=ws://host:9001/chat       a path, for schemes that take one

Parsing is pure (no sockets); whether a suite accepts a scheme is the suite's
business (see :mod:`harness.suite`). :class:`EmbeddedReference` starts a reference
server for suites run without a target.
"""

from __future__ import annotations

import ipaddress
import os
import re
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SCHEMES",
    "EmbeddedReference",
    "EmbeddedReferenceError",
    "Target",
    "TargetSyntaxError",
    "parse_target",
]

#: Every scheme the grammar knows. Suites accept a subset of them.
SCHEMES: tuple[str, ...] = ("tcp", "udp", "tls", "http", "https", "ws", "wss", "icmp")

_LABEL = re.compile(r"^(?P<label>[a-z][a-z0-9_-]*)=(?P<rest>.*)$")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_-]{1,63})*\.?$"
)


class TargetSyntaxError(ValueError):
    """A ``--target`` value does not follow the grammar; the message says what to type."""


@dataclass(frozen=True)
class Target:
    """One endpoint to certify.

    ``port`` is None when the value named none: the suite fills in its well-known port.
    ``embedded`` is True for a reference implementation the harness started itself.
    """

    scheme: str
    host: str
    port: int | None = None
    path: str = ""
    suite: str | None = None
    embedded: bool = False
    raw: str = ""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short in Hypothesis's falsifying examples, which print every argument."""
        kind = "embedded " if self.embedded else ""
        printer.text(f"<{kind}target {self.url}>")

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` for socket calls; the port must be resolved by then."""
        if self.port is None:
            raise ValueError(f"target {self.url} has no port yet")
        return (self.host, self.port)

    @property
    def url(self) -> str:
        """The canonical ``scheme://host[:port][/path]`` form, as a user would type it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"

    def option(self) -> str:
        """The ``--target`` value that reaches this endpoint again (for reproduce commands)."""
        label = f"{self.suite}=" if self.suite else ""
        return f"{label}{self.url}"

    def with_port(self, port: int) -> Target:
        return Target(self.scheme, self.host, port, self.path, self.suite, self.embedded, self.raw)


def parse_target(text: str) -> Target:
    """Parse one ``--target`` value, or raise :class:`TargetSyntaxError` saying what to type."""
    raw = text
    text = text.strip()
    example = "e.g. --target echo=tcp://127.0.0.1:7"
    if not text:
        raise TargetSyntaxError(
            f"--target is empty: give [suite=][scheme://]host[:port], {example}"
        )
    suite: str | None = None
    labelled = _LABEL.match(text)
    if labelled and "://" not in labelled["label"]:
        suite, text = labelled["label"], labelled["rest"]
    elif "=" in text.split("://", 1)[0]:
        bad = text.split("=", 1)[0]
        raise TargetSyntaxError(
            f"--target {raw!r}: suite label {bad!r} must be lower-case letters, digits, '-' or '_'"
            f", {example}"
        )
    scheme = "tcp"
    with_scheme = _SCHEME.match(text)
    if with_scheme:
        scheme = with_scheme["scheme"].lower()
        text = with_scheme["rest"]
        if scheme not in SCHEMES:
            raise TargetSyntaxError(
                f"--target {raw!r}: unknown scheme {scheme!r}; use one of "
                + ", ".join(f"{s}://" for s in SCHEMES)
            )
    elif "://" in text or text.startswith("//"):
        raise TargetSyntaxError(f"--target {raw!r}: malformed scheme, {example}")
    path = ""
    slash = text.find("/")
    if slash >= 0:
        text, path = text[:slash], text[slash:]
    host, port = _split_host_port(text, raw, example)
    if scheme == "icmp" and port is not None:
        shown = f"[{host}]" if ":" in host else host
        raise TargetSyntaxError(f"--target {raw!r}: icmp has no ports; write icmp://{shown}")
    if scheme in ("tcp", "udp", "tls", "icmp") and path:
        raise TargetSyntaxError(f"--target {raw!r}: {scheme}:// takes no path; remove {path!r}")
    return Target(scheme=scheme, host=host, port=port, path=path, suite=suite, raw=raw)


def _split_host_port(text: str, raw: str, example: str) -> tuple[str, int | None]:
    port_text: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise TargetSyntaxError(f"--target {raw!r}: unclosed '[' in an IPv6 address, {example}")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise TargetSyntaxError(f"--target {raw!r}: expected ':port' after ']'")
            port_text = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TargetSyntaxError(f"--target {raw!r}: {host!r} is not an IPv6 address") from None
    elif text.count(":") > 1:
        raise TargetSyntaxError(
            f"--target {raw!r}: write IPv6 addresses in brackets, e.g. tcp://[::1]:7"
        )
    else:
        host, sep, port_text_or_empty = text.partition(":")
        port_text = port_text_or_empty if sep else None
    if not host:
        raise TargetSyntaxError(f"--target {raw!r}: no host, {example}")
    if ":" not in host and not _HOSTNAME.match(host):
        raise TargetSyntaxError(f"--target {raw!r}: {host!r} is not a host name or IP address")
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise TargetSyntaxError(
            f"--target {raw!r}: port {port_text!r} is not a number from 1 to 65535"
        )
    return host, int(port_text)


class EmbeddedReferenceError(RuntimeError):
    """The embedded reference implementation could not be started."""


class EmbeddedReference:
    """A reference server in a child process, as ``python -m reference_impls serve`` runs it.

    A child process rather than a thread: the reference is exercised exactly as a user
    starts it, it cannot share a lock or the GIL with the checks, and if it dies the
    liveness probe sees a dead target like any other.
    """

    READY_TIMEOUT = 15.0

    def __init__(self, protocol: str, schemes: list[str], *, suite: str) -> None:
        self.protocol = protocol
        self.suite = suite
        args = [sys.executable, "-m", "reference_impls", "serve", protocol]
        for scheme in schemes:
            args += ["--listen", f"{scheme}://127.0.0.1:0"]
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            bufsize=0,
        )
        self.endpoints: dict[str, Target] = {}
        #: the CA of the certificate the reference made for its TLS listeners
        self.cafile: str | None = None
        try:
            self._read_ready_lines(len(schemes))
        except BaseException:
            self.stop()
            raise

    def _read_ready_lines(self, count: int) -> None:
        """Parse ``listening <scheme> <host> <port>`` lines (and ``ca <path>``, announced first
        by a reference with TLS listeners), reading the pipe unbuffered
        (a buffered reader could swallow the second line while select() waits for it)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        pending = b""
        deadline = time.monotonic() + self.READY_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(self.endpoints) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    raise EmbeddedReferenceError(
                        f"the {self.protocol} reference did not start within "
                        f"{self.READY_TIMEOUT:g} s"
                    )
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.process.wait(timeout=5)
                    err = self.process.stderr.read() if self.process.stderr else b""
                    raise EmbeddedReferenceError(
                        f"the {self.protocol} reference exited at start: "
                        f"{err.decode(errors='replace').strip()[-500:]}"
                    )
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    text = line.decode(errors="replace")
                    parts = text.split()
                    if text.startswith("ca "):
                        self.cafile = text[3:].strip()
                    elif len(parts) == 4 and parts[0] == "listening":
                        _, scheme, host, port = parts
                        self.endpoints[scheme] = Target(
                            scheme,
                            host,
                            int(port),
                            suite=self.suite,
                            embedded=True,
                            raw=f"embedded {self.protocol} reference",
                        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

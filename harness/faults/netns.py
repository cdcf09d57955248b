"""Network namespaces joined to the host by a veth pair, for targets the kernel must not
answer for (an ICMP echo responder: the namespace's own kernel is told not to reply).

:func:`create_namespace` picks a free /29 (a range no interface or route of the
machine uses: 198.18.0.0/15 from RFC 2544 first, then the documentation ranges),
creates ``wirecert-<pid>-<hex>`` and its veth pair, and checks with ``ip route get``
that the route to the namespace's address leaves through the veth before anything is
sent, so no packet can leave the machine if the namespace is missing. Every
namespace is removed on :meth:`Namespace.close`, at interpreter exit, and by the
next :func:`sweep_stale` if its process died without either.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Self

from harness.targets import EmbeddedReference, EmbeddedReferenceError

__all__ = [
    "PREFIX",
    "Namespace",
    "NamespaceUnavailable",
    "NamespacedReference",
    "create_namespace",
    "missing_privilege",
    "own_namespaces",
    "stale_namespaces",
    "sweep_stale",
]

#: Every namespace this module creates is called ``<PREFIX>-<pid>-<hex>``.
PREFIX = "wirecert"
#: Where the addresses come from, in order: RFC 2544's benchmarking range, then
#: RFC 5737's documentation ranges (never routed on the Internet).
RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24")
)
SUBNET_PREFIX = 29
LOCK = Path("/run/lock") if Path("/run/lock").is_dir() else Path("/tmp")
COMMAND_TIMEOUT = 10.0

_NAME = re.compile(rf"^{PREFIX}-(?P<pid>\d+)-[0-9a-f]+$")


class NamespaceUnavailable(RuntimeError):
    """A namespace could not be made; the message is one line saying why."""


def missing_privilege() -> str | None:
    """Why this process cannot create namespaces, or None if it can."""
    if sys.platform != "linux":
        return "network namespaces are a Linux feature"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    missing = [
        name for bit, name in _NEEDED_CAPABILITIES if not _effective_capabilities() >> bit & 1
    ]
    if missing:
        return f"creating a network namespace needs root ({' and '.join(missing)} are missing)"
    return None


#: (bit, name) of the capabilities a namespace and a raw socket in it need.
_NEEDED_CAPABILITIES = ((21, "CAP_SYS_ADMIN"), (12, "CAP_NET_ADMIN"), (13, "CAP_NET_RAW"))


def _effective_capabilities() -> int:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return ~0 if os.geteuid() == 0 else 0
    match = re.search(r"^CapEff:\s*([0-9a-fA-F]+)$", status, re.MULTILINE)
    return int(match[1], 16) if match else 0


def _run(*args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NamespaceUnavailable(f"{' '.join(args)}: {exc}") from None
    if check and done.returncode != 0:
        raise NamespaceUnavailable(f"{' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _networks_in_use() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network an interface has or a route reaches, in any routing table."""
    used: list[ipaddress.IPv4Network] = []
    for line in _run("ip", "-4", "-o", "addr", "show").splitlines():
        match = re.search(r"\binet (\S+)", line)
        if match:
            used.append(ipaddress.IPv4Interface(match[1]).network)
    for line in _run("ip", "-4", "route", "show", "table", "all").splitlines():
        words = line.split()
        if words and words[0] in ("unicast", "local", "broadcast", "blackhole", "unreachable"):
            words = words[1:]
        if not words or words[0] == "default":
            continue
        with contextlib.suppress(ValueError):
            used.append(ipaddress.IPv4Network(words[0], strict=False))
    return used


def _free_subnet() -> ipaddress.IPv4Network:
    used = _networks_in_use()
    for space in RANGES:
        if any(space.subnet_of(net) for net in used if net.prefixlen <= space.prefixlen):
            continue  # the machine's own network covers the whole range
        subnets = list(space.subnets(new_prefix=SUBNET_PREFIX))
        start = secrets.randbelow(len(subnets))
        for candidate in subnets[start:] + subnets[:start]:
            if not any(candidate.overlaps(net) for net in used):
                return candidate
    raise NamespaceUnavailable(
        "no free /29 in " + ", ".join(map(str, RANGES)) + " (every one is in use on this machine)"
    )


@dataclass
class Namespace:
    """A network namespace, its veth pair, and the processes started in it.

    ``address`` (and ``extra_addresses``) belong to the namespace's end of the veth;
    ``host_address`` to the host's end.
    """

    name: str
    host_link: str
    namespace_link: str
    network: ipaddress.IPv4Network
    host_address: str
    address: str
    extra_addresses: tuple[str, ...]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    closed: bool = False

    def command(self, args: Sequence[str]) -> list[str]:
        """``args`` as a command that runs inside the namespace."""
        return ["ip", "netns", "exec", self.name, *args]

    def popen(
        self,
        args: Sequence[str],
        *,
        stdin: int | None = None,
        stdout: int | None = None,
        stderr: int | None = None,
        bufsize: int = -1,
    ) -> subprocess.Popen[bytes]:
        """Start ``args`` inside the namespace; it is ended when the namespace closes."""
        process = subprocess.Popen(
            self.command(args), stdin=stdin, stdout=stdout, stderr=stderr, bufsize=bufsize
        )
        self.processes.append(process)
        return process

    def check_route(self) -> None:
        """Raise unless the host's route to the namespace goes out through our veth."""
        for address in (self.address, *self.extra_addresses):
            route = _run("ip", "-4", "-o", "route", "get", address)
            if f" dev {self.host_link} " not in f" {route} ":
                raise NamespaceUnavailable(
                    f"the route to {address} does not go through {self.host_link}: "
                    f"{route.strip()}; not sending anything"
                )

    def close(self) -> None:
        """End the processes started in it, then delete it (and so its veth pair)."""
        if self.closed:
            return
        self.closed = True
        for process in self.processes:
            _end(process)
        _delete(self.name)
        _unregister(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _delete(name: str) -> None:
    # A process still inside keeps the namespace (and the veth) alive after its name
    # is gone: end whatever is left first. Only our own namespaces get here.
    for pid in _run("ip", "netns", "pids", name, check=False).split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _run("ip", "netns", "delete", name, check=False)
    # The kernel frees a namespace (and so its veth pair) later, in a work queue;
    # deleting the host's end now removes the pair at once.
    tag = name.rsplit("-", 1)[-1]
    _run("ip", "link", "delete", f"wc{tag}h", check=False)


_OPEN: list[Namespace] = []


def _unregister(ns: Namespace) -> None:
    with contextlib.suppress(ValueError):
        _OPEN.remove(ns)


@atexit.register
def _close_all() -> None:
    for ns in list(_OPEN):
        ns.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def own_namespaces() -> list[str]:
    """The names of every namespace on the machine that this module made."""
    names = []
    for line in _run("ip", "netns", "list", check=False).splitlines():
        words = line.split()
        if words and _NAME.match(words[0]):
            names.append(words[0])
    return names


def stale_namespaces() -> list[str]:
    """Our namespaces whose creating process has died (so nothing will remove them)."""
    stale = []
    for name in own_namespaces():
        match = _NAME.match(name)
        if match and not _alive(int(match["pid"])):
            stale.append(name)
    return stale


def sweep_stale() -> list[str]:
    """Delete the namespaces of processes that died without cleaning up; their names."""
    swept = stale_namespaces()
    for name in swept:
        _delete(name)
    return swept


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """One namespace set up at a time on the machine, so two never pick one subnet."""
    with open(LOCK / "wirecert-netns.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create_namespace(*, echo_ignore_all: bool = True, extra_addresses: int = 1) -> Namespace:
    """A namespace with a veth pair to the host, addresses from a free /29, and
    ``net.ipv4.icmp_echo_ignore_all`` set inside as asked. Raises
    :class:`NamespaceUnavailable` (one line) when it cannot be made."""
    problem = missing_privilege()
    if problem:
        raise NamespaceUnavailable(problem)
    if not 0 <= extra_addresses <= 4:
        raise ValueError("a /29 has room for at most 4 extra addresses")
    sweep_stale()
    tag = secrets.token_hex(3)
    name = f"{PREFIX}-{os.getpid()}-{tag}"
    host_link, ns_link = f"wc{tag}h", f"wc{tag}n"
    with _lock():
        subnet = _free_subnet()
        hosts = [str(a) for a in subnet.hosts()]
        ns = Namespace(
            name,
            host_link,
            ns_link,
            subnet,
            hosts[0],
            hosts[1],
            tuple(hosts[2 : 2 + extra_addresses]),
        )
        _OPEN.append(ns)
        try:
            _run("ip", "netns", "add", name)
            _run("ip", "link", "add", host_link, "type", "veth", "peer", "name", ns_link)
            _run("ip", "link", "set", ns_link, "netns", name)
            _run("ip", "addr", "add", f"{ns.host_address}/{SUBNET_PREFIX}", "dev", host_link)
            _run("ip", "link", "set", host_link, "up")
            inside = ("ip", "-n", name)
            for address in (ns.address, *ns.extra_addresses):
                _run(*inside, "addr", "add", f"{address}/{SUBNET_PREFIX}", "dev", ns_link)
            _run(*inside, "link", "set", ns_link, "up")
            _run(*inside, "link", "set", "lo", "up")
            value = "1" if echo_ignore_all else "0"
            _run(*ns.command(["sysctl", "-qw", f"net.ipv4.icmp_echo_ignore_all={value}"]))
            ns.check_route()
        except BaseException:
            ns.close()
            raise
    return ns


class NamespacedReference(EmbeddedReference):
    """An embedded reference that serves inside a namespace of its own.

    Runs ``python -m reference_impls.<protocol>.responder --address ADDR`` in a fresh
    namespace (kernel echo replies off), reads its ``listening`` line like
    :class:`~harness.targets.EmbeddedReference`, and removes the namespace on
    :meth:`stop`. For :attr:`harness.suite.Suite.embed`.
    """

    def __init__(self, protocol: str, schemes: list[str], *, suite: str) -> None:
        self.protocol = protocol
        self.suite = suite
        self.endpoints = {}
        try:
            self.namespace = create_namespace(echo_ignore_all=True)
        except NamespaceUnavailable as exc:
            raise EmbeddedReferenceError(
                f"the {protocol} reference needs a namespace: {exc}"
            ) from None
        module = f"reference_impls.{protocol}.responder"
        self.process = self.namespace.popen(
            [sys.executable, "-m", module, "--address", self.namespace.address],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            bufsize=0,
        )
        try:
            self._read_ready_lines(len(schemes))
        except BaseException:
            self.stop()
            raise
        # The ready line says port 0: these schemes have no ports.
        self.endpoints = {s: replace(t, port=None) for s, t in self.endpoints.items()}

    def stop(self) -> None:
        super().stop()
        self.namespace.close()

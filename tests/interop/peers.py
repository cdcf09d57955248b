"""Independent daytime (RFC 867) and echo (RFC 862) peers, and Go servers, for interop tests.

Two peers, each serving daytime and echo over TCP and UDP on 127.0.0.1:

* the Go peer (``go/echodaytime/main.go``, standard library only), built on demand
  into a cache directory; and
* xinetd's INTERNAL (built-in) daytime and echo services, run in the foreground from
  a configuration file written to a temporary directory.

Both context managers yield a read-only mapping from ``(service, transport)`` to the
``(host, port)`` to contact, e.g. ``peer["echo", "udp"] == ("127.0.0.1", 41234)``,
and leave nothing running when they exit, even on error.

A missing prerequisite raises :class:`PeerUnavailable`, whose ``reason`` says how to
install it; any other failure (a build error, a peer that does not come up) is an
ordinary exception, so it fails the test run instead of skipping it.

:func:`start_go_server` runs any other Go program of the interop tests that prints
``listening tcp HOST PORT`` once it listens (the book's servers in ``go/``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "GO_PEER_SOURCE",
    "SERVICES",
    "Endpoint",
    "GoServer",
    "PeerMap",
    "PeerUnavailable",
    "build_go_peer",
    "start_go_peer",
    "start_go_server",
    "start_xinetd_peer",
    "xinetd_config",
]

Endpoint = tuple[str, int]
PeerMap = Mapping[tuple[str, str], Endpoint]

#: Every key of a peer mapping.
SERVICES: tuple[tuple[str, str], ...] = (
    ("daytime", "tcp"),
    ("daytime", "udp"),
    ("echo", "tcp"),
    ("echo", "udp"),
)

GO_PEER_SOURCE = Path(__file__).resolve().parent / "go" / "echodaytime" / "main.go"

GO_MISSING = "Go is not installed: apt-get install golang-go"
XINETD_MISSING = "xinetd is not installed: apt-get install xinetd"

_BUILD_TIMEOUT = 300.0
_STOP_TIMEOUT = 10.0


class PeerUnavailable(Exception):
    """A peer cannot run on this machine; ``reason`` says what to install or change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- Go peer


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wirecert"


def _go_env(gocache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GO111MODULE="off",
        GOPATH="/usr/share/gocode",
        GOCACHE=str(gocache),
        GOPROXY="off",
        GOFLAGS="",
        CGO_ENABLED="0",
    )
    return env


def build_go_program(source: Path) -> Path:
    """Build a Go program of the interop tests (once per version of its source and of Go).

    The binary lives in ``$XDG_CACHE_HOME/wirecert`` (default ``~/.cache/wirecert``),
    named after its directory and a hash of its source and ``go version``, so an edit
    or a Go upgrade rebuilds it. The build uses GOPATH mode and no module proxy.
    """
    go = shutil.which("go")
    if go is None:
        raise PeerUnavailable(GO_MISSING)
    cache = _cache_dir()
    gocache = cache / "gocache"
    gocache.mkdir(parents=True, exist_ok=True)
    env = _go_env(gocache)
    version = subprocess.run(
        [go, "version"], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    digest = hashlib.sha256(source.read_bytes() + b"\0" + version.encode())
    binary = cache / f"{source.parent.name}-{digest.hexdigest()[:16]}"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    # Build under a unique name and rename, so concurrent builds (xdist) never see a
    # half-written binary.
    partial = cache / f".{binary.name}.{os.getpid()}.partial"
    try:
        proc = subprocess.run(
            [go, "build", "-trimpath", "-o", str(partial), str(source)],
            cwd=source.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=_BUILD_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"go build of {source} failed ({version}):\n{proc.stdout}{proc.stderr}"
            )
        os.replace(partial, binary)
    finally:
        partial.unlink(missing_ok=True)
    return binary


def build_go_peer() -> Path:
    """Build the Go daytime/echo peer and return its path."""
    return build_go_program(GO_PEER_SOURCE)


def _read_ready_lines(
    proc: subprocess.Popen[bytes], count: int, timeout: float, name: str = "Go peer"
) -> list[str]:
    """Read ``count`` lines from ``proc.stdout`` within ``timeout`` seconds."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buf = b""
    while buf.count(b"\n") < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{name} printed {buf!r} in {timeout} s, expected {count} lines")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"{name} exited before it was ready; stdout so far: {buf!r}")
        buf += chunk
    return buf.decode("ascii").splitlines()[:count]


def _parse_ready_lines(lines: list[str]) -> dict[tuple[str, str], Endpoint]:
    peer: dict[tuple[str, str], Endpoint] = {}
    for line in lines:
        match line.split():
            case ["listening", service, transport, host, port] if port.isdigit():
                peer[service, transport] = (host, int(port))
            case _:
                raise RuntimeError(f"unexpected line from the Go peer: {line!r}")
    if sorted(peer) != sorted(SERVICES):
        raise RuntimeError(f"Go peer announced {sorted(peer)}, expected {sorted(SERVICES)}")
    return peer


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` if it is still running, and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_STOP_TIMEOUT)


@contextlib.contextmanager
def start_go_peer(host: str = "127.0.0.1", ready_timeout: float = 10.0) -> Iterator[PeerMap]:
    """Run the Go peer; yield its ``{(service, transport): (host, port)}`` mapping.

    It runs with TZ=UTC. Its daytime is Go's ``time.Now().String()``, e.g.
    ``2026-11-26 10:46:19.914745307 +0000 UTC m=+0.003308911`` (no line ending).
    """
    binary = build_go_peer()
    with tempfile.TemporaryFile() as stderr:
        # The peer also exits when its stdin closes, so it cannot outlive this process.
        proc = subprocess.Popen(
            [str(binary), "-host", host, "-exit-on-stdin-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "TZ": "UTC"},
            start_new_session=True,
        )
        try:
            try:
                lines = _read_ready_lines(proc, len(SERVICES), ready_timeout)
            except (TimeoutError, RuntimeError) as exc:
                _kill(proc)
                stderr.seek(0)
                err = stderr.read().decode(errors="replace")
                raise RuntimeError(f"{exc}\nGo peer stderr:\n{err}") from None
            yield MappingProxyType(_parse_ready_lines(lines))
        finally:
            _kill(proc)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


# ------------------------------------------------------------------ other Go servers


@dataclass(frozen=True)
class GoServer:
    """A running Go server: its process and the TCP address it announced."""

    proc: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def url(self) -> str:
        """The ``--target`` URL of the server (without the suite label)."""
        return f"tcp://{self.host}:{self.port}"


@contextlib.contextmanager
def start_go_server(
    source: Path, *args: str, cwd: Path | None = None, ready_timeout: float = 10.0
) -> Iterator[GoServer]:
    """Build and run the Go program ``source`` with ``args``; yield it once it listens.

    The program must print ``listening tcp HOST PORT`` when it is ready, within
    ``ready_timeout`` seconds. Its stdin is a pipe of ours, so a program that exits
    at end of input (``-exit-on-stdin-eof`` or always) cannot outlive this process.
    It is killed and reaped on exit. :class:`PeerUnavailable` if Go is missing.
    """
    binary = build_go_program(source)
    name = source.parent.name
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [str(binary), *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            try:
                (line,) = _read_ready_lines(proc, 1, ready_timeout, name=name)
                match line.split():
                    case ["listening", "tcp", host, port] if port.isdigit():
                        address = host, int(port)
                    case _:
                        raise RuntimeError(f"{name} printed {line!r}, not a ready line")
            except (TimeoutError, RuntimeError) as exc:
                _kill(proc)
                stderr.seek(0)
                err = stderr.read().decode(errors="replace")
                raise RuntimeError(f"{exc}\n{name} stderr:\n{err}") from None
            yield GoServer(proc, *address)
        finally:
            _kill(proc)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


# ----------------------------------------------------------------------- xinetd peer


def _find_xinetd() -> str | None:
    path = os.environ.get("PATH", os.defpath) + os.pathsep + "/usr/sbin:/sbin"
    return shutil.which("xinetd", path=path)


def _free_port_pair(host: str, attempts: int = 50) -> int:
    """Return a port number that is free on ``host`` for both TCP and UDP right now."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"found no port free for both TCP and UDP on {host} in {attempts} tries")


_XINETD_DEFAULTS = """\
defaults
{{
\tlog_type       = FILE {service_log} 8388608 8454144
\tlog_on_success = PID HOST DURATION EXIT
\tlog_on_failure = HOST ATTEMPT
\tinstances      = UNLIMITED
\tper_source     = UNLIMITED
}}
"""

_XINETD_SERVICE = """\
service {service}
{{
\tid          = {service}-{socket_type}
\ttype        = INTERNAL UNLISTED
\tsocket_type = {socket_type}
\tprotocol    = {transport}
\twait        = {wait}
\tuser        = root
\tbind        = {host}
\tport        = {port}
\tflags       = NOLIBWRAP
\tdisable     = no
{cps}}}
"""


def xinetd_config(
    host: str, ports: Mapping[str, int], service_log: Path, cps: tuple[int, int] | None
) -> str:
    """The xinetd.conf text for daytime and echo on ``ports[service]`` (TCP and UDP)."""
    parts = [_XINETD_DEFAULTS.format(service_log=service_log)]
    for service in ("daytime", "echo"):
        for socket_type, transport, wait in (("stream", "tcp", "no"), ("dgram", "udp", "yes")):
            parts.append(
                _XINETD_SERVICE.format(
                    service=service,
                    socket_type=socket_type,
                    transport=transport,
                    wait=wait,
                    host=host,
                    port=ports[service],
                    cps="" if cps is None else f"\tcps         = {cps[0]} {cps[1]}\n",
                )
            )
    return "\n".join(parts)


class _PortTaken(RuntimeError):
    """xinetd could not bind a port chosen for it (another process took it meanwhile)."""


def _xinetd_started(log: Path, expected: int) -> bool:
    """Whether xinetd's own log says it is serving; raise if it serves too few services."""
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return False
    for line in text.splitlines():
        if "Started working:" in line:
            count = line.split("Started working:", 1)[1].split()[0]
            if count != str(expected):
                raise _PortTaken(f"xinetd started {count} services, expected {expected}")
            return True
    return False


def _tcp_accepts(address: Endpoint, timeout: float) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def _udp_answers(address: Endpoint, payload: bytes, timeout: float) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(timeout)
        try:
            udp.sendto(payload, address)
            reply, source = udp.recvfrom(65535)
        except OSError:
            return None
        return reply if source == address else None


def _wait_xinetd_ready(
    proc: subprocess.Popen[bytes], xinetd_log: Path, peer: PeerMap, timeout: float
) -> None:
    """Wait until xinetd reports all services started and each one answers a probe."""
    deadline = time.monotonic() + timeout
    pending = set(SERVICES)
    started = False
    while pending:
        if proc.poll() is not None:
            raise RuntimeError(f"xinetd exited with status {proc.returncode}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"xinetd services {sorted(pending)} not ready in {timeout} s")
        if not started:
            started = _xinetd_started(xinetd_log, len(SERVICES))
            if not started:
                time.sleep(0.02)
                continue
        for key in sorted(pending):
            service, transport = key
            if transport == "tcp":
                ok = _tcp_accepts(peer[key], timeout=0.5)
            else:
                probe = b"wirecert readiness probe"
                reply = _udp_answers(peer[key], probe, timeout=0.2)
                ok = reply == probe if service == "echo" else bool(reply)
            if ok:
                pending.discard(key)
        if pending:
            time.sleep(0.05)


def _stop_xinetd(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL xinetd and the echo children it forked (its process group); reap xinetd.

    (SIGTERM is no better: xinetd then takes ~1.5 s and still leaves its killed
    children to init.)
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_STOP_TIMEOUT)


def _logs(*paths: Path) -> str:
    return "\n".join(f"--- {p.name}:\n{p.read_text(errors='replace')}" for p in paths if p.exists())


@contextlib.contextmanager
def start_xinetd_peer(
    host: str = "127.0.0.1",
    ready_timeout: float = 10.0,
    cps: tuple[int, int] | None = (100_000, 1),
    attempts: int = 3,
) -> Iterator[PeerMap]:
    """Run xinetd's INTERNAL daytime and echo; yield its ``(service, transport)`` mapping.

    daytime and echo each get one port, free for both TCP and UDP when chosen (if
    another process takes it before xinetd binds it, xinetd is restarted on new ports,
    up to ``attempts`` times). xinetd's own rate limit (by default: more than 50 TCP
    connections or UDP datagrams per second to one service, and that service goes
    silent for 10 s) would make a busy suite flaky, so ``cps`` raises it; pass
    ``cps=None`` for xinetd's default. xinetd runs with TZ=UTC, so its daytime ends
    in "UTC\\r\\n".

    Beware: after answering a UDP datagram, xinetd discards every datagram already
    queued on that socket, so a burst gets one reply, and a datagram sent right
    after a reply may get none. UDP echo replies are cut to 2048 bytes.
    """
    xinetd = _find_xinetd()
    if xinetd is None:
        raise PeerUnavailable(XINETD_MISSING)
    if os.geteuid() != 0:
        raise PeerUnavailable(
            "the xinetd peer must run as root (its services use user = root); "
            f"this process runs as uid {os.geteuid()}"
        )
    env = {"PATH": os.environ.get("PATH", os.defpath), "TZ": "UTC", "LC_ALL": "C"}
    with tempfile.TemporaryDirectory(prefix="wirecert-xinetd-") as tmp:
        proc: subprocess.Popen[bytes] | None = None
        try:
            for attempt in range(1, attempts + 1):
                workdir = Path(tmp) / f"attempt{attempt}"
                workdir.mkdir()
                conf = workdir / "xinetd.conf"
                xinetd_log = workdir / "xinetd.log"
                service_log = workdir / "services.log"
                daytime_port = _free_port_pair(host)
                echo_port = daytime_port
                while echo_port == daytime_port:
                    echo_port = _free_port_pair(host)
                ports = {"daytime": daytime_port, "echo": echo_port}
                conf.write_text(xinetd_config(host, ports, service_log, cps))
                peer = {(svc, transport): (host, ports[svc]) for svc, transport in SERVICES}
                argv = [xinetd, "-dontfork", "-f", str(conf), "-pidfile", str(workdir / "pid")]
                argv += ["-filelog", str(xinetd_log)]
                # Its own process group, so the echo children it forks die with it.
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
                try:
                    _wait_xinetd_ready(proc, xinetd_log, peer, ready_timeout)
                except _PortTaken as exc:
                    _stop_xinetd(proc)
                    proc = None
                    if attempt == attempts:
                        raise RuntimeError(f"{exc}\n{_logs(conf, xinetd_log)}") from None
                    continue
                except (TimeoutError, RuntimeError) as exc:
                    raise RuntimeError(f"{exc}\n{_logs(conf, xinetd_log, service_log)}") from None
                break
            yield MappingProxyType(peer)
        finally:
            if proc is not None:
                _stop_xinetd(proc)

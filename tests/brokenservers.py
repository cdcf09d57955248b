"""Small threaded daytime and echo servers, each with one switch that breaks one requirement.

The detection tests point a suite at these servers and check that the certificate
blames exactly the requirement the fault breaks. The unbroken servers are correct:
each suite certifies them CONFORMANT.

Every server listens on 127.0.0.1, TCP and UDP, on ports the kernel picks, and runs
as a context manager::

    with DaytimeServer(fault="tcp/printable-ascii") as server:
        run = run_suite("daytime", server, tmp_path)  # pytest suites/daytime --target ...
    assert run.record("daytime/rfc867/tcp/printable-ascii")["outcome"] == "fail"

A fault is named by its requirement id without the suite and spec prefix
(``daytime/rfc867/tcp/printable-ascii`` -> ``tcp/printable-ascii``). Threads are
daemons, poll a stop event at least every :data:`POLL` seconds, close their own
sockets, and are all joined when the server stops; a thread that does not end in
time makes ``stop()`` raise instead of leaking silently.

The end of the module runs a suite against a server in a subprocess and judges the
certificate (:func:`run_suite`, :func:`run_suite_against`, :func:`detection_problems`),
for the detection files and the interop tests, and makes the detection files' cached
runners (:func:`cached_runner`).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import pytest

from reference_impls.daytime.protocol import daytime_text as reference_daytime_text

__all__ = [
    "DAYTIME_FAULTS",
    "ECHO_FAULTS",
    "FAST",
    "GOOD_VERDICTS",
    "IO_TIMEOUT",
    "LINGER",
    "PLAIN",
    "POLL",
    "REPO",
    "DaytimeServer",
    "EchoServer",
    "Runner",
    "SuiteRun",
    "assert_detected",
    "cached_runner",
    "daytime_text",
    "detection_problems",
    "run_suite",
    "run_suite_against",
]

#: How often every waiting thread looks at the stop event (seconds).
POLL = 0.05
#: The longest a blocking send may stall before the connection is dropped (seconds).
IO_TIMEOUT = 3.0
#: How long a server waits for a client to close after the server is done (seconds);
#: longer than the suites' per-event timeout (2 s by default, 1 s in the detection runs).
LINGER = 5.0
#: How long an echo connection may stay idle before the correct server drops it.
ECHO_IDLE = 60.0
#: How long ``stop()`` waits for all threads to end.
STOP_TIMEOUT = 5.0

#: The daytime faults; each breaks the requirement ``daytime/rfc867/<fault>``.
DAYTIME_FAULTS: tuple[str, ...] = (
    "tcp/sends-without-input",  # waits for a request before sending the date
    "tcp/printable-ascii",  # a C string sent with its NUL terminator
    "tcp/closes-after-sending",  # send; one blocking recv(); close
    "tcp/input-ignored",  # echoes what the client sent after the date
    "tcp/input-ignored:answers",  # answers input with an error message instead of the date
    "tcp/concurrent-clients",  # one connection at a time, until that client closes
    "tcp/syntax",  # printable text that is not a date (a MAY: informational)
    "udp/any-datagram-answered",  # empty datagrams go unanswered
    "udp/reply-from-target-address",  # replies from a second socket
    "udp/printable-ascii",  # a C string sent with its NUL terminator
)

#: The echo faults; each breaks the requirement ``echo/rfc862/<fault>``.
ECHO_FAULTS: tuple[str, ...] = (
    "tcp/data-returned",  # collapses CR CR LF to CR LF
    "tcp/connection-stays-open",  # closes a connection idle for IDLE_CLOSE seconds
    "tcp/close-after-client-close",  # leaves the connection half-open after the client's FIN
    "tcp/concurrent-clients",  # one connection at a time, until that client closes
    "tcp/survives-client-reset",  # a client's reset brings the whole TCP service down
    "udp/datagram-returned",  # reads datagrams into an 8 KiB buffer (truncates)
    "udp/reply-from-target-address",  # replies from a second socket
)

#: Idle seconds after which the connection-stays-open fault closes: far above the
#: gaps inside one exchange, well below the suite's pause of min(0.5, timeout / 2).
IDLE_CLOSE = 0.25
#: How long the daytime tcp/input-ignored fault waits for input to echo before its FIN:
#: ample for a client that sends at once, well within the suite's per-event timeout.
INPUT_WINDOW = 0.5
#: The receive buffer of the udp/datagram-returned fault.
SHORT_UDP_BUFFER = 8192


def daytime_text(now: datetime | None = None) -> bytes:
    """The reference's text (RFC 867's example syntax in UTC) for the good behaviour."""
    return reference_daytime_text(now or datetime.now(UTC)).encode("ascii")


class _ThreadedServer:
    """A TCP listener and a UDP socket on 127.0.0.1, served by daemon threads.

    Subclasses implement :meth:`_serve_connection` (one accepted TCP connection; the
    base closes it afterwards) and :meth:`_serve_datagram` (one datagram).
    """

    #: Each subclass's fault names.
    FAULTS: tuple[str, ...] = ()
    #: Bytes read per UDP datagram (more than any IPv4 datagram carries).
    udp_buffer = 65535

    def __init__(self, fault: str | None = None) -> None:
        if fault is not None and fault not in self.FAULTS:
            raise ValueError(
                f"unknown fault {fault!r} for {type(self).__name__}; "
                f"choose one of {', '.join(self.FAULTS)}"
            )
        self.fault = fault
        #: Serve one TCP connection at a time (the concurrent-clients faults).
        self.sequential = fault == "tcp/concurrent-clients"
        self._stopping = threading.Event()
        self._tcp_down = threading.Event()  # set by the survives-client-reset fault
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._udp: socket.socket | None = None
        self._reply_from: socket.socket | None = None  # reply-from-target-address faults
        self.tcp_address: tuple[str, int] = ("127.0.0.1", 0)
        self.udp_address: tuple[str, int] = ("127.0.0.1", 0)
        self.started = False

    # -- life cycle --------------------------------------------------------------

    def start(self) -> Self:
        if self.started or self._stopping.is_set():
            raise RuntimeError("a server starts once; make a new one to start again")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        reply_from: socket.socket | None = None
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            udp.bind(("127.0.0.1", 0))
            if self.fault == "udp/reply-from-target-address":
                reply_from = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                reply_from.bind(("127.0.0.1", 0))
        except OSError:
            listener.close()
            udp.close()
            if reply_from is not None:
                reply_from.close()
            raise
        self._listener, self._udp, self._reply_from = listener, udp, reply_from
        self.tcp_address = _address(listener)
        self.udp_address = _address(udp)
        self.started = True
        self._spawn(self._accept_loop, listener, name="accept")
        self._spawn(self._datagram_loop, udp, name="udp")
        return self

    def stop(self) -> None:
        """Stop every thread and close every socket; raise if a thread will not end."""
        if not self.started:
            return
        self._stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        # Snapshot until none is alive: a connection accepted just before the stop may
        # start its thread after an earlier snapshot.
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                break
            for thread in alive:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                break
        with self._lock:
            stuck = [t.name for t in self._threads if t.is_alive()]
            self._threads.clear()
        if self._reply_from is not None:
            self._reply_from.close()
        self.started = False
        if stuck:
            raise RuntimeError(f"{type(self).__name__}: threads did not stop: {stuck}")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def targets(self, suite: str) -> list[str]:
        """``--target`` options for both transports, labelled for ``suite``."""
        (tcp_host, tcp_port), (udp_host, udp_port) = self.tcp_address, self.udp_address
        return [
            "--target",
            f"{suite}=tcp://{tcp_host}:{tcp_port}",
            "--target",
            f"{suite}=udp://{udp_host}:{udp_port}",
        ]

    # -- threads -----------------------------------------------------------------

    def _spawn(self, run: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(
            target=run, args=args, name=f"{type(self).__name__}-{name}", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _tcp_halted(self) -> bool:
        return self._stopping.is_set() or self._tcp_down.is_set()

    def _readable(self, sock: socket.socket, timeout: float) -> bool:
        """Wait until ``sock`` is readable; False after ``timeout`` or when TCP halts."""
        deadline = time.monotonic() + timeout
        while not self._tcp_halted():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([sock], [], [], min(POLL, remaining))
            if readable:
                return True
        return False

    def _pause(self, seconds: float) -> None:
        """Sleep up to ``seconds``, ending early when TCP halts."""
        deadline = time.monotonic() + seconds
        while not self._tcp_halted() and (remaining := deadline - time.monotonic()) > 0:
            self._stopping.wait(min(POLL, remaining))

    def _accept_loop(self, listener: socket.socket) -> None:
        try:
            while not self._tcp_halted():
                if not self._readable(listener, POLL):
                    continue
                try:
                    conn, _peer = listener.accept()
                except OSError:
                    continue
                if self.sequential:
                    self._connection(conn)
                else:
                    self._spawn(self._connection, conn, name=f"conn-{conn.fileno()}")
        finally:
            listener.close()

    def _connection(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(IO_TIMEOUT)
            self._serve_connection(conn)
        except (ConnectionResetError, BrokenPipeError):
            if self.fault == "tcp/survives-client-reset":
                self._tcp_down.set()  # the bug: one client's reset ends the service
        except OSError:
            pass  # this connection only (a stalled send, say); the service goes on
        finally:
            conn.close()

    def _datagram_loop(self, sock: socket.socket) -> None:
        try:
            while not self._stopping.is_set():
                readable, _, _ = select.select([sock], [], [], POLL)
                if not readable:
                    continue
                try:
                    data, peer = sock.recvfrom(self.udp_buffer)
                    self._serve_datagram(sock, data, peer)
                except OSError:
                    continue  # e.g. an ICMP error from an earlier reply
        finally:
            sock.close()

    def _reply(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        (self._reply_from or sock).sendto(data, peer)

    # -- shared TCP steps --------------------------------------------------------

    def _drain(self, conn: socket.socket, seconds: float = LINGER) -> None:
        """Read and discard until the client closes (or ``seconds`` pass)."""
        deadline = time.monotonic() + seconds
        while self._readable(conn, deadline - time.monotonic()):
            if not conn.recv(65536):
                return

    # -- to implement ------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        raise NotImplementedError


class _DirectoryServer(_ThreadedServer):
    """A broken server serving ``TREE`` (relative path -> text) from a temporary
    directory, ``self.root``, made at start and removed at stop."""

    TREE: Mapping[str, str] = {}

    def __init__(self, fault: str | None = None) -> None:
        super().__init__(fault)
        self.root: Path | None = None

    def start(self) -> Self:
        root = Path(tempfile.mkdtemp(prefix=f"{type(self).__name__.lower()}-"))
        for relative, text in self.TREE.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)
        self.root = root
        try:
            return super().start()
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None


def _address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


class DaytimeServer(_ThreadedServer):
    """RFC 867 over TCP and UDP; ``fault`` (see :data:`DAYTIME_FAULTS`) breaks one requirement.

    Correct behaviour: on a TCP connection, the date and time at once, then FIN; input
    is read and thrown away until the client closes (so the kernel never resets the
    connection for unread data). Every UDP datagram gets one datagram with the date.
    """

    FAULTS = DAYTIME_FAULTS

    def text(self) -> bytes:
        """What the TCP service sends."""
        return b"the time is now\r\n" if self.fault == "tcp/syntax" else daytime_text()

    def targets(self, suite: str = "daytime") -> list[str]:
        return super().targets(suite)

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault
        if fault == "tcp/sends-without-input" and (
            # Waits for a request, as if the protocol had one.
            not self._readable(conn, LINGER) or not conn.recv(65536)
        ):
            return
        text = self.text()
        if fault == "tcp/input-ignored:answers" and self._readable(conn, INPUT_WINDOW / 5):
            # As if input were a request it did not understand.
            text = b"ERROR unknown command\r\n"
        if fault == "tcp/printable-ascii":
            text += b"\x00"
        conn.sendall(text)
        if fault == "tcp/closes-after-sending":
            # send(); recv(); close(): closes only once the client says something.
            if self._readable(conn, LINGER):
                conn.recv(65536)
            return
        if fault == "tcp/input-ignored":
            # Echoes whatever the client sends until it pauses for a moment.
            while self._readable(conn, INPUT_WINDOW):
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        self._drain(conn)

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        if self.fault == "udp/any-datagram-answered" and not data:
            return  # "nothing to answer"
        text = daytime_text()
        if self.fault == "udp/printable-ascii":
            text += b"\x00"
        self._reply(sock, text, peer)


class EchoServer(_ThreadedServer):
    """RFC 862 over TCP and UDP; ``fault`` (see :data:`ECHO_FAULTS`) breaks one requirement.

    Correct behaviour: on a TCP connection, everything received goes back, for as long
    as the client keeps the connection; after the client's FIN the server sends what
    it still holds and closes. Every UDP datagram comes back whole, from the port
    it was sent to.
    """

    FAULTS = ECHO_FAULTS

    def __init__(self, fault: str | None = None) -> None:
        super().__init__(fault)
        if fault == "udp/datagram-returned":
            self.udp_buffer = SHORT_UDP_BUFFER

    def targets(self, suite: str = "echo") -> list[str]:
        return super().targets(suite)

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault
        idle = IDLE_CLOSE if fault == "tcp/connection-stays-open" else ECHO_IDLE
        while self._readable(conn, idle):
            data = conn.recv(65536)
            if not data:
                if fault == "tcp/close-after-client-close":
                    self._pause(LINGER)  # forgets to close: a half-open connection
                return
            if fault == "tcp/data-returned":
                data = data.replace(b"\r\r\n", b"\r\n")
            conn.sendall(data)

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        self._reply(sock, data, peer)


# -- running a suite against a server -----------------------------------------------------

#: The repository root (the suites run from here, as a user runs them).
REPO = Path(__file__).resolve().parents[1]
#: Options of every detection run: one second per expected event, few fuzz examples.
FAST = ("--timeout", "1", "--profile", "quick", "-p", "no:cacheprovider")
#: Options of an interop run: the suite's own defaults, as a user runs it.
PLAIN = ("-p", "no:cacheprovider")
#: The verdicts of a conformant target.
GOOD_VERDICTS = ("CONFORMANT", "CONFORMANT_WITH_WARNINGS")
#: The longest one suite run may take before the subprocess is killed (seconds).
RUN_TIMEOUT = 240.0


@dataclass(frozen=True)
class SuiteRun:
    """One run of a suite in a subprocess: exit status, certificate and output."""

    returncode: int
    certificate: dict[str, Any]
    output: str
    seconds: float

    def record(self, rid: str) -> dict[str, Any]:
        for record in self.certificate["requirements"]:
            if record["id"] == rid:
                return dict(record)
        raise KeyError(f"{rid} is not in the certificate")

    def outcomes(self) -> dict[str, str]:
        return {r["id"]: r["outcome"] for r in self.certificate["requirements"]}

    def summary(self) -> str:
        """The outcomes and the end of the output, for assertion messages."""
        lines = [f"exit status {self.returncode}, verdict {self.certificate.get('verdict')}"]
        lines += [f"  {outcome:5} {rid}" for rid, outcome in sorted(self.outcomes().items())]
        return "\n".join(lines) + "\n--- output (end) ---\n" + self.output[-3000:]


class HasTargets(Protocol):
    """What :func:`run_suite` asks of a server: its ``--target`` options for a suite."""

    def targets(self, suite: str) -> list[str]: ...


def run_suite(
    suite: str, server: HasTargets, report_dir: Path, *extra: str, options: Sequence[str] = FAST
) -> SuiteRun:
    """Run ``suites/<suite>`` against ``server`` in a subprocess; read its certificate."""
    return run_suite_against(suite, [], report_dir, *server.targets(suite), *extra, options=options)


def run_suite_against(
    suite: str,
    targets: Sequence[str],
    report_dir: Path,
    *extra: str,
    options: Sequence[str] = FAST,
) -> SuiteRun:
    """Run ``suites/<suite>`` in a subprocess, as a user does; read its certificate.

    Each of ``targets`` (a URL such as ``tcp://127.0.0.1:7``) becomes ``--target
    <suite>=<URL>``; ``options`` (:data:`FAST` or :data:`PLAIN`) and ``extra`` are
    passed on.
    """
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(REPO / "suites" / suite),
        *options,
        "--report-dir",
        str(report_dir),
        *(arg for url in targets for arg in ("--target", f"{suite}={url}")),
        *extra,
    ]
    # Settings from the caller's environment (and the outer run's own) would change
    # what the suite checks.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WIRECERT_", "PYTEST_", "COV_"))
    }
    started = time.monotonic()
    proc = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    path = report_dir / "latest" / "certificate.json"
    if not path.is_file():
        raise AssertionError(
            f"no certificate at {path} (exit status {proc.returncode}):\n{output[-3000:]}"
        )
    certificate = json.loads(path.read_text(encoding="utf-8"))
    return SuiteRun(proc.returncode, certificate, output, seconds)


#: A detection file's cached runner: see :func:`cached_runner`.
Runner = Callable[..., SuiteRun]


def cached_runner(
    suite: str,
    server_class: Callable[[str | None], AbstractContextManager[HasTargets]],
    tmp_path_factory: pytest.TempPathFactory,
    *always: str,
) -> Runner:
    """``run(fault, *extra, strict_rid=None)``: the suite against ``server_class(fault)``.

    ``fault`` None is the unbroken server. Each distinct run happens once, however
    many tests read it (so make the runner in a module-scoped fixture). Every run
    gets the options ``always``, then ``extra``; ``strict_rid`` adds ``--strict-spec
    --spec <strict_rid>``: only that requirement runs, strictly (the default run has
    already shown that nothing else is failed or warned).
    """
    cache: dict[tuple[str | None, tuple[str, ...], str | None], SuiteRun] = {}

    def run(fault: str | None, *extra: str, strict_rid: str | None = None) -> SuiteRun:
        key = (fault, extra, strict_rid)
        if key not in cache:
            report_dir = tmp_path_factory.mktemp(f"{suite}-reports")
            strict = ("--strict-spec", "--spec", strict_rid) if strict_rid else ()
            with server_class(fault) as server:
                cache[key] = run_suite(suite, server, report_dir, *always, *extra, *strict)
        return cache[key]

    return run


def detection_problems(
    run: SuiteRun,
    rid: str,
    *,
    outcome: str,
    returncode: int,
    tolerated: Mapping[str, Collection[str]] | None = None,
) -> list[str]:
    """What is wrong with ``run`` as a detection of a fault in requirement ``rid``.

    ``rid`` must have ``outcome``, with its evidence (a wire log; for fail and warn, the
    expected outcomes and the actual one; for info, the finding), and the run must
    exit with ``returncode``. No other requirement may be fail, warn or error, except
    the outcomes ``tolerated`` names for it.
    """
    problems: list[str] = []
    if run.returncode != returncode:
        problems.append(f"exit status {run.returncode}, expected {returncode}")
    try:
        record = run.record(rid)
    except KeyError as exc:
        return [*problems, str(exc)]
    if record["outcome"] != outcome:
        problems.append(f"{rid}: outcome {record['outcome']}, expected {outcome}")
    wirelog = record.get("wirelog") or {}
    if not wirelog.get("events"):
        problems.append(f"{rid}: the wire log is empty")
    if not record.get("reproduce"):
        problems.append(f"{rid}: no reproduce command")
    if not isinstance(record.get("actual"), str) or not record["actual"].strip():
        problems.append(f"{rid}: 'actual' is empty")
    if outcome in ("fail", "warn"):
        expected = record.get("expected")
        if not expected or not all(isinstance(e, str) and e.strip() for e in expected):
            problems.append(f"{rid}: 'expected' is empty: {expected!r}")
    for other, got in sorted(run.outcomes().items()):
        if other == rid or got not in ("fail", "warn", "error"):
            continue
        if got not in (tolerated or {}).get(other, ()):
            problems.append(f"{other}: outcome {got}, but the fault is in {rid}")
    return problems


def assert_detected(
    run: SuiteRun,
    rid: str,
    *,
    outcome: str,
    returncode: int,
    tolerated: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Fail the test, with the run's summary, unless ``run`` detects the fault in ``rid``
    as :func:`detection_problems` defines it."""
    __tracebackhide__ = True
    problems = detection_problems(
        run, rid, outcome=outcome, returncode=returncode, tolerated=tolerated
    )
    assert not problems, "\n".join(problems) + "\n" + run.summary()

"""The proxy suite's own origin server: it records exactly what the proxy forwarded.

A threaded HTTP/1.1 server (h11) on 127.0.0.1, port 0, started by the suite itself:
every request the proxy forwards (or that arrives through a CONNECT tunnel) is kept
with its method, target, header fields (names as sent) and the raw bytes of its
connection so far, filed under the token in its path (``/wirecert/<token>``), so a
check finds exactly the requests it caused.

Every answer is ``200 OK`` with the body :func:`body_for` ``(token)`` and two fields
that only the next hop may see: ``Connection: X-Origin-Hop`` and ``X-Origin-Hop``.
Threads are daemons that look at a stop event every :data:`POLL` seconds.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import h11

__all__ = ["ORIGIN_HOP", "PATH_PREFIX", "Received", "RecordingOrigin", "body_for"]

POLL = 0.05
#: An idle connection to the origin is closed after this long (seconds).
IDLE = 30.0
PATH_PREFIX = "/wirecert/"
#: The field the origin names in its Connection field: a proxy must drop both.
ORIGIN_HOP = b"X-Origin-Hop"


def body_for(token: str) -> bytes:
    return f"wirecert origin answered {token}\n".encode()


@dataclass(frozen=True)
class Received:
    """One request as it reached the origin."""

    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    raw: bytes  #: every byte of the connection up to the end of this request
    version: bytes

    def values(self, name: str) -> list[bytes]:
        wanted = name.lower().encode()
        return [v for n, v in self.headers if n.lower() == wanted]

    def names(self) -> set[str]:
        return {n.decode("latin-1").lower() for n, _ in self.headers}

    def head(self) -> str:
        """The request line and fields, for evidence."""
        lines = [f"{self.method.decode('latin-1')} {self.target.decode('latin-1')}"]
        lines += [f"{n.decode('latin-1')}: {v.decode('latin-1')}" for n, v in self.headers]
        return " | ".join(lines)


def _token(target: bytes) -> str:
    text = target.decode("latin-1")
    if "://" in text:  # a proxy that forwarded the absolute form
        text = "/" + text.split("://", 1)[1].partition("/")[2]
    if not text.startswith(PATH_PREFIX):
        return ""
    return text[len(PATH_PREFIX) :].split("?", 1)[0].split("/", 1)[0]


@dataclass
class RecordingOrigin:
    host: str = "127.0.0.1"
    port: int = 0
    _requests: dict[str, list[Received]] = field(default_factory=dict)
    _connections: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)
    _threads: list[threading.Thread] = field(default_factory=list)
    _listener: socket.socket | None = None

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(64)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what checks ask -------------------------------------------------------------

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, token: str, suffix: str = "") -> str:
        return f"http://{self.authority}{PATH_PREFIX}{token}{suffix}"

    def seen(self, token: str) -> list[Received]:
        with self._lock:
            return list(self._requests.get(token, []))

    def wait(self, token: str, timeout: float) -> list[Received]:
        """The requests with ``token``, waiting up to ``timeout`` for the first."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not self._requests.get(token):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
            return list(self._requests.get(token, []))

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    # -- threads ---------------------------------------------------------------------

    def _spawn(self, run: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=run, args=args, daemon=True, name="proxy-suite-origin")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        with listener:
            while not self._stop.is_set():
                ready, _, _ = select.select([listener], [], [], POLL)
                if not ready:
                    continue
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                with self._lock:
                    self._connections += 1
                self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError, h11.ProtocolError):
            conn.settimeout(5)
            h = h11.Connection(h11.SERVER)
            raw = bytearray()
            request: h11.Request | None = None
            idle_until = time.monotonic() + IDLE
            for _ in range(100_000):
                event = h.next_event()
                if event is h11.NEED_DATA:
                    if self._stop.is_set() or time.monotonic() > idle_until:
                        return
                    ready, _, _ = select.select([conn], [], [], POLL)
                    if not ready:
                        continue
                    data = conn.recv(65536)
                    raw += data
                    h.receive_data(data)
                    idle_until = time.monotonic() + IDLE
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.EndOfMessage) and request is not None:
                    self._answer(conn, h, request, bytes(raw))
                    if h.our_state is not h11.DONE or h.their_state is not h11.DONE:
                        return
                    h.start_next_cycle()
                    request = None
                elif isinstance(event, h11.ConnectionClosed):
                    return

    def _answer(
        self, conn: socket.socket, h: h11.Connection, request: h11.Request, raw: bytes
    ) -> None:
        token = _token(request.target)
        received = Received(
            request.method,
            request.target,
            [(bytes(n), bytes(v)) for n, v in request.headers.raw_items()],
            raw,
            request.http_version,
        )
        with self._arrived:
            self._requests.setdefault(token, []).append(received)
            self._arrived.notify_all()
        body = body_for(token)
        headers = [
            (b"Content-Type", b"text/plain; charset=utf-8"),
            (b"Content-Length", str(len(body)).encode()),
            (b"Connection", ORIGIN_HOP),
            (ORIGIN_HOP, b"only-for-the-next-hop"),
        ]
        out = h.send(h11.Response(status_code=200, headers=headers, reason=b"OK"))
        if request.method != b"HEAD":
            out += h.send(h11.Data(data=body)) or b""
        out += h.send(h11.EndOfMessage()) or b""
        conn.sendall(out)

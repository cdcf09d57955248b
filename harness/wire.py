"""Recording clients: every byte sent and received, with a timestamp.

Close, reset and silence are *observed events*, not exceptions: a read that meets
the peer's FIN returns what came before it and ends with ``End.FIN``; a reset ends
with ``End.RST``; a peer that says nothing for the per-event timeout ends with
``End.TIMEOUT``. Verifiers (:mod:`harness.verify`) take those observations and a
set of acceptable outcomes.

Sockets are non-blocking behind a selector, so a sender always drains what the peer
sends back: streaming 16 MiB through an echo server cannot deadlock on full buffers.
The timeout is per expected event and restarts whenever bytes move.
"""

from __future__ import annotations

import enum
import errno
import selectors
import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from harness.errors import ConformanceFailure
from harness.targets import Target

__all__ = [
    "TLS_SCHEMES",
    "Datagram",
    "End",
    "Observation",
    "TcpConnection",
    "TlsInfo",
    "UdpEndpoint",
    "Wire",
    "WireEvent",
    "WireLog",
]

_CHUNK = 256 * 1024
#: Plaintext handed to TLS per write: one record's worth at most.
_TLS_PIECE = 16 * 1024

#: Target schemes whose connections speak TLS first.
TLS_SCHEMES = frozenset({"tls", "https", "wss"})


class End(enum.Enum):
    """How an observation of a byte stream ended."""

    FIN = "fin"  #: the peer closed its sending side (orderly close)
    RST = "rst"  #: the peer reset the connection
    TIMEOUT = "timeout"  #: nothing arrived for the per-event timeout
    OPEN = "open"  #: we stopped reading because we had what we waited for

    def describe(self) -> str:
        return {
            End.FIN: "the connection closed (FIN)",
            End.RST: "the connection reset (RST)",
            End.TIMEOUT: "silence until the timeout",
            End.OPEN: "the connection still open",
        }[self]


@dataclass(frozen=True)
class WireEvent:
    t: float  #: seconds since the log started
    conn: int  #: which connection or socket of the check (1, 2, ...)
    kind: str  #: connect, tx, rx, shutdown, fin, rst, timeout, close, abort, refused, note
    data: bytes = b""
    length: int = 0  #: bytes moved; data may hold fewer once the log is cut
    peer: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": round(self.t * 1000, 3), "conn": self.conn, "kind": self.kind}
        if self.kind in ("tx", "rx"):
            out["len"] = self.length
            out["hex"] = self.data.hex()
        if self.peer:
            out["peer"] = self.peer
        if self.note:
            out["note"] = self.note
        return out


class WireLog:
    """An ordered log of what crossed the wire, cut at a stated size.

    The first ``max_bytes`` of payload are kept in full; after that, events keep
    their lengths only, and consecutive transfers on one connection are merged, so a
    16 MiB stream costs a few hundred entries, not millions.
    """

    def __init__(self, *, max_bytes: int = 16 * 1024, max_events: int = 400) -> None:
        self.max_bytes = max_bytes
        self.max_events = max_events
        self.reset()

    def reset(self) -> None:
        self.events: list[WireEvent] = []
        self.start = time.monotonic()
        self.kept_bytes = 0
        self.total = {"tx": 0, "rx": 0}
        self.cut = False
        self.omitted = 0  #: events counted in the totals but not kept

    def record(
        self, conn: int, kind: str, data: bytes = b"", *, peer: str = "", note: str = ""
    ) -> None:
        t = time.monotonic() - self.start
        if kind in self.total:
            self.total[kind] += len(data)
        room = max(0, self.max_bytes - self.kept_bytes)
        kept = data[:room]
        self.kept_bytes += len(kept)
        if len(kept) < len(data):
            self.cut = True
        last = self.events[-1] if self.events else None
        full = len(self.events) >= self.max_events
        if (
            kind in ("tx", "rx")
            and last is not None
            and (last.kind, last.conn, last.peer) == (kind, conn, peer)
            and (full or (not kept and not last.data))
        ):
            # Merge into the previous transfer: keeps the log bounded for long streams.
            self.events[-1] = WireEvent(
                last.t,
                conn,
                kind,
                last.data + kept,
                last.length + len(data),
                peer,
                last.note or "merged",
            )
            return
        if full and (kind in ("tx", "rx") or len(self.events) >= 2 * self.max_events):
            # Past the bound: counted, not kept (an echo stream alternates tx and rx,
            # so merging alone would not bound it). Closes and resets keep their place
            # up to twice the bound.
            self.cut = True
            self.omitted += 1
            return
        self.events.append(WireEvent(t, conn, kind, kept, len(data), peer, note))

    def to_dict(self) -> dict[str, Any]:
        return {
            "cut_at_bytes": self.max_bytes,
            "cut": self.cut,
            "total_tx": self.total["tx"],
            "total_rx": self.total["rx"],
            "omitted_events": self.omitted,
            "events": [e.to_dict() for e in self.events],
        }


@dataclass(frozen=True)
class Observation:
    """What came back on a stream, and how the stream ended."""

    received: bytes
    end: End
    elapsed: float
    detail: str = ""

    def describe(self, *, limit: int = 48) -> str:
        shown = self.received[:limit]
        more = "..." if len(self.received) > limit else ""
        got = f"{len(self.received)} bytes {shown!r}{more}" if self.received else "no bytes"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{got}, then {self.end.describe()} after {self.elapsed:.3f} s{extra}"


@dataclass(frozen=True)
class Datagram:
    data: bytes
    source: tuple[str, int]


def _fmt(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(addr)


@dataclass(frozen=True)
class TlsInfo:
    """What a TLS handshake settled."""

    version: str  #: e.g. "TLSv1.3"
    cipher: str
    peer_certificate: bytes | None  #: DER, as the peer sent it
    server_hostname: str | None
    verified: bool  #: False with --insecure (or a context that does not verify)


class _Tls:
    """Client TLS over memory BIOs: the socket stays ours, non-blocking and recorded."""

    def __init__(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self.verified = context.verify_mode != ssl.CERT_NONE

    def info(self) -> TlsInfo:
        cipher = self.obj.cipher()
        return TlsInfo(
            version=self.obj.version() or "",
            cipher=cipher[0] if cipher else "",
            peer_certificate=self.obj.getpeercert(binary_form=True),
            server_hostname=self.obj.server_hostname,
            verified=self.verified,
        )


class TcpConnection:
    """A recording TCP client connection, TLS when the target's scheme says so.

    Use :meth:`Wire.connect` to make one. Over TLS the log records the plaintext (what
    the protocol under test sent and received), and the peer's close_notify is a FIN.
    """

    def __init__(
        self,
        sock: socket.socket,
        conn_id: int,
        log: WireLog,
        timeout: float,
        *,
        tls: _Tls | None = None,
    ) -> None:
        self.sock = sock
        self.id = conn_id
        self.log = log
        self.timeout = timeout
        self._inbox = bytearray()
        self.end: End | None = None  # set once the peer closed or reset
        self.closed = False
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)
        self._tls = tls
        self._raw_out = bytearray()  # TLS records not yet on the wire
        self._piece = 0  # plaintext bytes whose records are in _raw_out
        #: the peer sent a TLS close_notify (its FIN alone leaves this False)
        self.close_notify = False

    @property
    def tls(self) -> TlsInfo | None:
        """The TLS session, or None on a plain connection."""
        return self._tls.info() if self._tls is not None else None

    def handshake(self, wait: float) -> None:
        """Complete the TLS handshake, or raise ConformanceFailure saying why it failed."""
        assert self._tls is not None
        deadline = time.monotonic() + wait
        while True:
            try:
                self._tls.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLCertVerificationError as exc:
                self._handshake_failed(
                    f"the certificate did not verify: {exc.verify_message} (a certificate "
                    "from a CA of your own needs --ca FILE; --insecure skips verification)"
                )
            except ssl.SSLError as exc:
                self._handshake_failed(f"TLS error: {exc.reason or exc}")
            self._raw_out += self._tls.outgoing.read()
            while self._raw_out and not self._push_raw():
                if time.monotonic() > deadline:
                    self._handshake_failed(f"handshake stalled for {wait:g} s")
                self._selector.modify(self.sock, selectors.EVENT_WRITE)
                self._selector.select(max(0.0, deadline - time.monotonic()))
                self._selector.modify(self.sock, selectors.EVENT_READ)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                self._handshake_failed(f"no handshake reply within {wait:g} s")
            try:
                data = self.sock.recv(_CHUNK)
            except BlockingIOError:
                continue
            except OSError as exc:
                self._handshake_failed(f"the connection broke: {exc.strerror or exc}")
            if not data:
                self._handshake_failed("the peer closed the connection")
            self._tls.incoming.write(data)
        self._raw_out += self._tls.outgoing.read()
        info = self._tls.info()
        self.log.record(
            self.id,
            "note",
            note=f"TLS handshake: {info.version} {info.cipher}"
            + ("" if info.verified else " (certificate not verified)"),
        )

    def _handshake_failed(self, why: str) -> NoReturn:
        self.log.record(self.id, "note", note=f"TLS handshake failed: {why}")
        raise ConformanceFailure("a TLS handshake that completes and verifies", why)

    # -- receiving -------------------------------------------------------------

    def _pull(self) -> int:
        """Read whatever is ready into the inbox; returns the number of bytes read."""
        if self.end is not None:
            return 0
        try:
            data = self.sock.recv(_CHUNK)
        except BlockingIOError:
            return 0
        except ConnectionResetError:
            self.end = End.RST
            self.log.record(self.id, "rst")
            return 0
        except OSError as exc:
            self.end = End.RST
            self.log.record(self.id, "rst", note=f"{errno.errorcode.get(exc.errno or 0, exc)}")
            return 0
        if not data:
            self.end = End.FIN
            note = "without a TLS close_notify" if self._tls is not None else ""
            self.log.record(self.id, "fin", note=note)
            return 0
        if self._tls is not None:
            self._decrypt(data)
            return len(data)
        self._inbox += data
        self.log.record(self.id, "rx", data)
        return len(data)

    def _decrypt(self, data: bytes) -> None:
        assert self._tls is not None
        self._tls.incoming.write(data)
        plain = bytearray()
        try:
            while True:
                piece = self._tls.obj.read(_CHUNK)
                if not piece:
                    # Without SSLWantReadError, an empty read is the peer's close_notify
                    # (CPython returns b"" rather than raising once it has received one).
                    self.end = End.FIN
                    self.close_notify = True
                    break
                plain += piece
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            self.end = End.FIN
            self.close_notify = True
        except ssl.SSLError as exc:
            self.end = End.RST
            if plain:
                self._inbox += plain
                self.log.record(self.id, "rx", bytes(plain))
            self.log.record(self.id, "rst", note=f"TLS error: {exc.reason or exc}")
            return
        if plain:
            self._inbox += plain
            self.log.record(self.id, "rx", bytes(plain))
        if self.end is End.FIN:
            self.log.record(self.id, "fin", note="TLS close_notify")
        self._raw_out += self._tls.outgoing.read()
        if self._raw_out:
            self._push_raw()

    def _push_raw(self) -> bool:
        """Send what TLS has queued without blocking; True once all of it is out."""
        try:
            n = self.sock.send(self._raw_out)
        except BlockingIOError:
            return False
        except (BrokenPipeError, ConnectionResetError):
            if self.end is None:
                self.end = End.RST
                self.log.record(self.id, "rst", note="while sending")
            self._raw_out.clear()
            return True
        del self._raw_out[:n]
        return not self._raw_out

    def receive(
        self,
        size: int | None = None,
        *,
        until: Callable[[bytes], bool] | None = None,
        timeout: float | None = None,
    ) -> Observation:
        """Read until ``size`` bytes, ``until(received)`` holds, the peer closes, or silence.

        With neither ``size`` nor ``until``, reads until the peer closes or falls silent.
        The timeout restarts whenever bytes arrive. What is returned is consumed.
        """
        wait = self.timeout if timeout is None else timeout
        started = time.monotonic()
        deadline = started + wait

        def satisfied() -> bool:
            if size is not None and len(self._inbox) >= size:
                return True
            return until is not None and until(bytes(self._inbox))

        end: End | None = None
        while not satisfied():
            if self.end is not None:
                end = self.end
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                end = End.TIMEOUT
                self.log.record(self.id, "timeout", note=f"nothing for {wait:g} s")
                break
            if self._selector.select(remaining) and self._pull():
                deadline = time.monotonic() + wait
        if end is None:
            end = End.OPEN
        if size is not None and end is End.OPEN:
            received, self._inbox = bytes(self._inbox[:size]), self._inbox[size:]
        else:
            received, self._inbox = bytes(self._inbox), bytearray()
        return Observation(received, end, time.monotonic() - started)

    def events_until_closed(self, *, timeout: float | None = None) -> Observation:
        """Everything the peer sends until it closes, resets, or falls silent."""
        return self.receive(timeout=timeout)

    # -- sending ---------------------------------------------------------------

    def send(self, data: bytes) -> int:
        """Send all of ``data`` while draining what comes back; returns the bytes sent.

        If the peer stops reading for the timeout (our send buffer stays full), the
        stall is logged and the rest is not sent: the check then sees a short echo.
        """
        view = memoryview(data)
        sent = 0
        deadline = time.monotonic() + self.timeout
        self._selector.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        try:
            while sent < len(data) or self._raw_out:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.log.record(
                        self.id,
                        "timeout",
                        note=f"send stalled for {self.timeout:g} s with {len(data) - sent}"
                        " bytes unsent (the peer stopped reading)",
                    )
                    break
                for _key, mask in self._selector.select(remaining):
                    if mask & selectors.EVENT_READ:
                        self._pull()
                    if mask & selectors.EVENT_WRITE and self._tls is not None:
                        sent += self._send_tls(view, sent)
                        if self._piece == 0:
                            deadline = time.monotonic() + self.timeout
                    elif mask & selectors.EVENT_WRITE:
                        try:
                            n = self.sock.send(view[sent : sent + _CHUNK])
                        except BlockingIOError:
                            continue
                        except (BrokenPipeError, ConnectionResetError):
                            if self.end is None:
                                self.end = End.RST
                                self.log.record(self.id, "rst", note="while sending")
                            return sent
                        self.log.record(self.id, "tx", bytes(view[sent : sent + n]))
                        sent += n
                        deadline = time.monotonic() + self.timeout
                if self.end is End.RST:
                    break
        finally:
            self._selector.modify(self.sock, selectors.EVENT_READ)
        return sent

    def _send_tls(self, view: memoryview, sent: int) -> int:
        """Encrypt the next piece if nothing is queued, push records; returns plaintext done."""
        assert self._tls is not None
        if not self._raw_out and sent < len(view) and self.end is not End.RST:
            piece = view[sent : sent + _TLS_PIECE]
            self._tls.obj.write(piece)
            self._raw_out += self._tls.outgoing.read()
            self._piece = len(piece)
        if not self._push_raw() or self._piece == 0:
            return 0
        done, self._piece = self._piece, 0
        if self.end is not End.RST:
            self.log.record(self.id, "tx", bytes(view[sent : sent + done]))
        return done

    def send_chunks(self, chunks: Iterable[bytes], *, pause: float = 0.0) -> int:
        """Send each chunk as its own write (TCP_NODELAY is on), optionally pausing between."""
        total = 0
        for chunk in chunks:
            n = self.send(chunk)
            total += n
            if n < len(chunk) or self.end is not None:
                break
            if pause:
                time.sleep(pause)
        return total

    def exchange(self, data: bytes, *, chunks: Iterable[bytes] | None = None) -> Observation:
        """Send ``data`` (as ``chunks`` when given) and read back as many bytes."""
        if chunks is None:
            self.send(data)
        else:
            self.send_chunks(chunks)
        return self.receive(len(data))

    # -- closing ---------------------------------------------------------------

    def shutdown_write(self) -> None:
        """Half-close: send FIN (over TLS, a close_notify alert), keep reading."""
        if self._tls is not None:
            try:
                self._tls.obj.unwrap()
            except ssl.SSLWantReadError:
                pass  # close_notify is queued; the peer's comes later
            except ssl.SSLError as exc:
                self.log.record(self.id, "note", note=f"TLS close_notify failed: {exc}")
                return
            self._raw_out += self._tls.outgoing.read()
            self.send(b"")
            self.log.record(self.id, "shutdown", note="we sent a TLS close_notify")
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.log.record(self.id, "shutdown", note="we sent FIN")
        except OSError as exc:
            self.log.record(self.id, "note", note=f"shutdown failed: {exc}")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._selector.close()
        self.sock.close()
        self.log.record(self.id, "close")

    def reset(self) -> None:
        """Abort with RST (SO_LINGER 0): what a crashing client looks like to a server."""
        if self.closed:
            return
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.closed = True
        self._selector.close()
        self.sock.close()
        self.log.record(self.id, "abort", note="we reset the connection (SO_LINGER 0)")


class UdpEndpoint:
    """A recording UDP socket, unconnected, so the source of every reply is seen."""

    def __init__(
        self,
        sock: socket.socket,
        conn_id: int,
        log: WireLog,
        timeout: float,
        target: tuple[str, int],
    ) -> None:
        self.sock = sock
        self.id = conn_id
        self.log = log
        self.timeout = timeout
        self.target = target

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)
        self.log.record(self.id, "tx", data, peer=_fmt(self.target))

    def receive(self, *, timeout: float | None = None) -> Datagram | None:
        """The next datagram, or None after the timeout (logged as an event)."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.log.record(self.id, "timeout", note=f"no datagram for {wait:g} s")
                return None
            self.sock.settimeout(remaining)
            try:
                data, source = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            except ConnectionRefusedError:
                # An ICMP port unreachable from an earlier send: an observed event.
                self.log.record(self.id, "refused", note="ICMP port unreachable")
                continue
            self.log.record(self.id, "rx", data, peer=_fmt(source))
            return Datagram(data, (source[0], source[1]))

    def ask(self, data: bytes, *, attempts: int = 3) -> tuple[Datagram | None, int]:
        """Send ``data`` and wait for a reply, sending again after each silence.

        UDP may lose a datagram (and some servers, xinetd among them, throw away
        requests that queue up while they answer one), so one silence is not yet a
        verdict. Returns the first reply, or None after ``attempts`` sends each met by
        silence, and how many sends it took.
        """
        for attempt in range(1, attempts + 1):
            self.send(data)
            got = self.receive()
            if got is not None:
                return got, attempt
        return None, attempts

    def receive_all(self, window: float) -> list[Datagram]:
        """Every datagram that arrives within ``window`` seconds."""
        got: list[Datagram] = []
        deadline = time.monotonic() + window
        while (remaining := deadline - time.monotonic()) > 0:
            datagram = self.receive(timeout=remaining)
            if datagram is None:
                break
            got.append(datagram)
        return got

    def close(self) -> None:
        self.sock.close()


@dataclass
class Wire:
    """The recording clients of one check; everything they do goes to one log."""

    timeout: float = 2.0
    log: WireLog = field(default_factory=WireLog, repr=False)
    #: The client context for a TLS target (the plugin's follows --ca and --insecure);
    #: None: the system's trust store.
    tls_context: Callable[[Target], ssl.SSLContext] | None = field(default=None, repr=False)
    _sockets: list[TcpConnection | UdpEndpoint] = field(default_factory=list, repr=False)
    _next_id: int = field(default=1, repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short in Hypothesis's falsifying examples, which print every argument."""
        printer.text(f"Wire(timeout={self.timeout:g})")

    def _new_id(self) -> int:
        n = self._next_id
        self._next_id += 1
        return n

    def connect(
        self,
        target: Target,
        *,
        timeout: float | None = None,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> TcpConnection:
        """Open a TCP connection to ``target``; for ``tls``, ``https`` and ``wss``, TLS too.

        ``tls`` forces a client context (and TLS whatever the scheme); ``server_hostname``
        replaces the target's host as the name to verify and send in SNI.
        Refusal is the target's doing (it was alive when the check began), so it is a
        :class:`ConformanceFailure`, and so is a TLS handshake that fails; the plugin's
        liveness probe turns an already-dead target into ``error`` before the check starts.
        """
        wait = self.timeout if timeout is None else timeout
        conn_id = self._new_id()
        host, port = target.address
        started = time.monotonic()
        try:
            sock = socket.create_connection((host, port), timeout=wait)
        except OSError as exc:
            kind = (
                "refused"
                if isinstance(exc, ConnectionRefusedError)
                else "timeout"
                if isinstance(exc, TimeoutError)
                else "rst"
                if isinstance(exc, ConnectionResetError)
                else "error"
            )
            self.log.record(conn_id, kind, peer=_fmt((host, port)), note=str(exc))
            raise ConformanceFailure(
                "the connection accepted",
                f"connect to {target.url} failed after {time.monotonic() - started:.3f} s: {exc}",
            ) from None
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.log.record(
            conn_id,
            "connect",
            peer=_fmt(sock.getpeername()),
            note=f"from {_fmt(sock.getsockname())}",
        )
        if tls is None and target.scheme in TLS_SCHEMES:
            tls = self.tls_context(target) if self.tls_context else ssl.create_default_context()
        session = None
        if tls is not None:
            session = _Tls(tls, server_hostname or target.host)
        conn = TcpConnection(sock, conn_id, self.log, self.timeout, tls=session)
        self._sockets.append(conn)
        if session is not None:
            conn.handshake(wait)
        return conn

    def udp(self, target: Target) -> UdpEndpoint:
        """An unconnected UDP socket that sends to ``target``."""
        host, port = target.address
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        endpoint = UdpEndpoint(
            sock, self._new_id(), self.log, self.timeout, (str(sockaddr[0]), int(sockaddr[1]))
        )
        self._sockets.append(endpoint)
        return endpoint

    def close_all(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    def __iter__(self) -> Iterator[TcpConnection | UdpEndpoint]:
        return iter(self._sockets)

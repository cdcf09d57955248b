"""An ICMP echo responder: a raw socket and :class:`~reference_impls.icmp.protocol.EchoResponder`.

``python -m reference_impls.icmp.responder --address ADDR`` answers echo requests to
ADDR itself, and prints ``listening icmp ADDR 0`` once its socket is open. The
kernel answers echo requests too unless told not to (``sysctl -w
net.ipv4.icmp_echo_ignore_all=1``), which is why wirecert runs it in a network
namespace of its own (see :mod:`harness.faults.netns`). Needs root or CAP_NET_RAW.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from typing import NoReturn

from reference_impls.icmp.protocol import EchoResponder, Reply

__all__ = ["IP_PKTINFO", "IP_RECVFRAGSIZE", "EchoServer", "main", "serve"]

#: Linux socket options the socket module does not name.
IP_PKTINFO = 8
IP_RETOPTS = 7
IP_RECVFRAGSIZE = 25
#: The largest IPv4 datagram, so a reassembled request is never cut.
RECEIVE_SIZE = 65535
#: Datagrams read per wake-up, so one busy sender cannot starve the loop.
BATCH = 64
PROG = "python -m reference_impls.icmp.responder"


def open_raw_socket(address: str) -> socket.socket:
    """A non-blocking raw ICMP socket that receives datagrams sent to ``address``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        sock.bind((address, 0))
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVFRAGSIZE, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class EchoServer:
    """Reads datagrams from a raw socket, sends what the core answers."""

    def __init__(self, sock: socket.socket, core: EchoResponder) -> None:
        self.sock = sock
        self.core = core
        self.address = str(sock.getsockname()[0])
        self.send_errors = 0

    def readable(self) -> None:
        for _ in range(BATCH):
            try:
                datagram, ancdata, _, _ = self.sock.recvmsg(RECEIVE_SIZE, 256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # e.g. a queued ICMP error on the socket: nothing to answer
            fragment_size = None
            for level, kind, value in ancdata:
                if level == socket.IPPROTO_IP and kind == IP_RECVFRAGSIZE and len(value) >= 4:
                    fragment_size = struct.unpack("i", value[:4])[0]
            self.handle(datagram, fragment_size)

    def handle(self, datagram: bytes, fragment_size: int | None) -> None:
        """Answer one datagram; ``fragment_size`` is the largest fragment the kernel
        reassembled it from (None: it arrived whole)."""
        reply = self.core.receive(datagram)
        if reply is not None:
            self.send(reply)

    def send(self, reply: Reply) -> None:
        # IP_PKTINFO's spec_dst sets the reply's source address, so it is the address
        # the request was sent to even when the socket is bound to 0.0.0.0.
        info = struct.pack("=i4s4s", 0, socket.inet_aton(reply.source), bytes(4))
        ancillary = [(socket.IPPROTO_IP, IP_PKTINFO, info)]
        if reply.options:
            # IP_RETOPTS: options for this datagram only; Linux records this host in a
            # Record Route option as the reply leaves.
            ancillary.append((socket.IPPROTO_IP, IP_RETOPTS, reply.options))
        try:
            self.sock.sendmsg([reply.message], ancillary, 0, (reply.destination, 0))
        except OSError:
            self.send_errors += 1  # a full buffer or an unreachable sender: ICMP may drop

    def close(self) -> None:
        self.sock.close()


async def serve(
    address: str, make: type[EchoServer] = EchoServer, core: EchoResponder | None = None
) -> None:
    """Serve until SIGINT or SIGTERM, after printing the ready line."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = make(open_raw_socket(address), core or EchoResponder())
    loop.add_reader(server.sock, server.readable)
    try:
        with contextlib.suppress(BrokenPipeError):
            print(f"listening icmp {server.address} 0", flush=True)
        await stop.wait()
    finally:
        loop.remove_reader(server.sock)
        server.close()


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an IPv4 address, got {text!r}") from None


class _Parser(argparse.ArgumentParser):
    # A usage error is one line and status 2, as for ``python -m reference_impls``.
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Answer ICMP echo requests.")
    parser.add_argument(
        "--address",
        type=_ipv4,
        default="0.0.0.0",
        help="the local address whose echo requests to answer (default: every address)",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    make: type[EchoServer] = EchoServer,
    core: EchoResponder | None = None,
    prog: str = PROG,
) -> int:
    args = parser(prog).parse_args(argv)
    try:
        asyncio.run(serve(args.address, make, core))
    except PermissionError:
        print(
            f"{prog}: error: a raw ICMP socket needs root or CAP_NET_RAW "
            "(e.g. sudo setcap cap_net_raw+ep $(readlink -f $(which python3)))",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(
            f"{prog}: error: cannot answer on {args.address}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""ICMP echo responders with one switch per requirement that breaks it, each in a
network namespace of its own.

A fault is named by its requirement id without ``icmp/``. The responder is the
reference's shell and core (:mod:`reference_impls.icmp.responder`) with one method
overridden; :class:`BrokenResponder` runs this file inside a fresh namespace
(:func:`harness.faults.netns.create_namespace`, kernel echo replies off) and its
``targets`` aim the suite at it::

    with BrokenResponder("rfc792/echo/reply-checksum") as responder:
        run = run_suite("icmp", responder, tmp_path)

Run as a script (``python tests/brokenicmp.py --fault F --address A --other B``) it
is the responder itself.
"""

from __future__ import annotations

import argparse
import os
import selectors
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from reference_impls.icmp.checksum import verifies
from reference_impls.icmp.packet import Echo, IcmpType, build_echo
from reference_impls.icmp.protocol import EchoResponder, Reply
from reference_impls.icmp.responder import RECEIVE_SIZE, EchoServer, serve

__all__ = ["ICMP_FAULTS", "BrokenResponder"]

#: The faults; each breaks the requirement ``icmp/<fault>``.
ICMP_FAULTS: tuple[str, ...] = (
    "rfc792/echo/reply-type-code",  # replies with code 1
    "rfc792/echo/reply-checksum",  # the checksum leaves out an odd final octet (no pad)
    "rfc792/echo/identifier-sequence-returned",  # the identifier goes back byte-swapped
    "rfc792/echo/book-packet",  # requests with an identifier below 256 are ignored
    "rfc792/echo/bad-checksum-discarded",  # answers without verifying the checksum
    "rfc1122/3.2.2/unknown-type-discarded",  # answers every ICMP type with an echo reply
    "rfc1122/3.2.2.6/data-returned",  # copies data in 16-bit words: an odd last octet is lost
    "rfc1122/3.2.2.6/reply-source-address",  # replies from the namespace's other address
    "rfc1122/3.2.2.6/every-request-answered",  # of the requests waiting, answers the last
    "rfc1122/3.2.2.6/record-route-returned",  # the reply carries no IP options
    "rfc1122/3.3.2/reassembly-576",  # ignores requests reassembled into 576 octets or more
    "rfc1122/3.3.2/reassembly-mtu",  # ignores requests reassembled into more than 1000 octets
)

READY_TIMEOUT = 15.0


class BrokenCore(EchoResponder):
    """The reference core, with ``fault`` breaking one rule."""

    def __init__(self, fault: str | None, other_address: str) -> None:
        super().__init__()
        self.fault = fault
        self.other_address = other_address

    def receive(self, datagram: bytes) -> Reply | None:
        if self.fault == "rfc792/echo/bad-checksum-discarded":
            datagram = _with_valid_checksum(datagram)
        ihl = (datagram[0] & 0x0F) * 4 if datagram else 0
        if (
            self.fault == "rfc1122/3.2.2/unknown-type-discarded"
            and len(datagram) >= ihl + 8
            and datagram[ihl] != IcmpType.ECHO_REPLY
            and verifies(datagram[ihl:])
        ):
            request = bytes([IcmpType.ECHO_REQUEST]) + datagram[ihl + 1 :]
            datagram = _with_valid_checksum(datagram[:ihl] + request)
        return super().receive(datagram)

    def answer(self, source: str, destination: str, request: Echo, options: bytes = b"") -> Reply:
        fault = self.fault
        if fault == "rfc1122/3.2.2.6/record-route-returned":
            options = b""
        reply = super().answer(source, destination, request, options)
        if fault == "rfc792/echo/reply-type-code":
            message = build_echo(0, request.identifier, request.sequence, request.data, code=1)
        elif fault == "rfc792/echo/reply-checksum":
            even = reply.message[: len(reply.message) // 2 * 2]
            zeroed = even[:2] + b"\0\0" + even[4:]
            checksum = _plain_checksum(zeroed)
            message = reply.message[:2] + checksum.to_bytes(2, "big") + reply.message[4:]
        elif fault == "rfc792/echo/identifier-sequence-returned":
            swapped = int.from_bytes(request.identifier.to_bytes(2, "little"), "big")
            message = build_echo(0, swapped, request.sequence, request.data)
        elif fault == "rfc1122/3.2.2.6/data-returned":
            data = request.data[: len(request.data) // 2 * 2]
            message = build_echo(0, request.identifier, request.sequence, data)
        elif fault == "rfc1122/3.2.2.6/reply-source-address":
            return Reply(reply.destination, self.other_address, reply.message, request, options)
        else:
            return reply
        return Reply(reply.destination, reply.source, message, request, options)


def _plain_checksum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _with_valid_checksum(datagram: bytes) -> bytes:
    """The datagram with its ICMP checksum made right, so the core never sees it wrong."""
    ihl = (datagram[0] & 0x0F) * 4
    message = bytearray(datagram[ihl:])
    if len(message) < 8:
        return datagram
    message[2:4] = b"\0\0"
    padded = bytes(message) + (b"\0" if len(message) % 2 else b"")
    message[2:4] = _plain_checksum(padded).to_bytes(2, "big")
    return datagram[:ihl] + bytes(message)


class BrokenServer(EchoServer):
    """The reference shell, with the faults that need what only the socket knows."""

    core: BrokenCore

    def handle(self, datagram: bytes, fragment_size: int | None) -> None:
        fault = self.core.fault
        reassembled = fragment_size is not None
        if fault == "rfc1122/3.3.2/reassembly-576" and reassembled and len(datagram) >= 576:
            return
        if fault == "rfc1122/3.3.2/reassembly-mtu" and reassembled and len(datagram) > 1000:
            return
        if fault == "rfc792/echo/book-packet" and len(datagram) >= 28:
            ihl = (datagram[0] & 0x0F) * 4
            if int.from_bytes(datagram[ihl + 4 : ihl + 6], "big") < 256:
                return
        super().handle(datagram, fragment_size)

    def readable(self) -> None:
        if self.core.fault != "rfc1122/3.2.2.6/every-request-answered":
            super().readable()
            return
        # Everything waiting is read, and only the last one is answered.
        last: bytes | None = None
        for _ in range(1024):
            try:
                last = self.sock.recv(RECEIVE_SIZE)
            except (BlockingIOError, InterruptedError):
                break
        if last is not None:
            self.handle(last, None)


class BrokenResponder:
    """A broken responder (``fault`` None: unbroken) in a namespace of its own."""

    #: (namespace, host link) of every one made in this process, to check they are gone
    made: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, fault: str | None = None) -> None:
        if fault is not None and fault not in ICMP_FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.fault = fault

    def __enter__(self) -> Self:
        from harness.faults.netns import create_namespace

        self.namespace = create_namespace(echo_ignore_all=True, extra_addresses=1)
        self.made.append((self.namespace.name, self.namespace.host_link))
        try:
            args = [sys.executable, str(Path(__file__).resolve()), "--address", self.address]
            args += ["--other", self.namespace.extra_addresses[0]]
            if self.fault:
                args += ["--fault", self.fault]
            self.process = self.namespace.popen(
                args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
            )
            self._wait_ready()
        except BaseException:
            self.namespace.close()
            raise
        return self

    @property
    def address(self) -> str:
        return self.namespace.address

    def _wait_ready(self) -> None:
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.process.stdout, selectors.EVENT_READ)
            if not sel.select(READY_TIMEOUT):
                raise RuntimeError("the broken responder did not start")
        line = self.process.stdout.readline().decode()
        if not line.startswith("listening icmp"):
            err = self.process.stderr.read().decode() if self.process.stderr else ""
            raise RuntimeError(f"the broken responder did not start: {line!r} {err[-500:]}")

    def targets(self, suite: str = "icmp") -> list[str]:
        """The ``--target`` option, labelled for ``suite``."""
        return ["--target", f"{suite}=icmp://{self.address}"]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.namespace.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="A broken ICMP echo responder.")
    parser.add_argument("--address", required=True)
    parser.add_argument("--other", required=True)
    parser.add_argument("--fault", choices=ICMP_FAULTS, default=None)
    args = parser.parse_args()
    core = BrokenCore(args.fault, args.other)
    import asyncio

    asyncio.run(serve(args.address, BrokenServer, core))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

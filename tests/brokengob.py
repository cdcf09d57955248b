"""A small threaded gob echo server of the book's Person, with one switch per requirement.

Correct by default: one gob.Decoder and one gob.Encoder per connection (the
reference codec, :mod:`reference_impls.gob`, byte for byte Go's); each Person decoded
goes back until the client closes; malformed input gets the replies before it, then
FIN. The suite certifies it CONFORMANT. Each fault breaks one requirement of
``suites/gob`` and is named by that requirement's id without ``gob/``::

    with GobEchoServer(fault="go-encoding-gob/encoding-details/types-defined-once") as server:
        run = run_suite("gob", server, tmp_path)  # see GOB_FAULTS

The faults rewrite the correct reply stream message by message (see :func:`messages`).
It reuses the thread and socket handling of :mod:`brokenservers` (its UDP socket is
bound but unused: the gob suite is TCP only).
"""

from __future__ import annotations

import dataclasses
import socket

from brokenservers import ECHO_IDLE, _ThreadedServer

from reference_impls.errors import RemoteProtocolError
from reference_impls.gob import NEED_DATA, Decoder, Encoder
from reference_impls.gob.models import Person
from reference_impls.gob.primitives import Reader, encode_string, put_int, put_uint
from reference_impls.gob.wire import decode_wire_type, encode_wire_type

__all__ = ["GOB_FAULTS", "GobEchoServer", "frame", "messages", "person_body_with_zeros", "renumber"]

#: Each fault breaks the requirement ``gob/<fault>`` (text after ":" tells two faults
#: of one requirement apart).
GOB_FAULTS: tuple[str, ...] = (
    "go-encoding-gob/basics/book-person-echoed",  # every reply's last byte is never sent
    "go-encoding-gob/basics/generated-persons-echoed",  # strings cut to 1024 bytes
    "go-encoding-gob/basics/values-on-one-connection",  # closes after the first reply
    "go-encoding-gob/basics/values-on-one-connection:pipelined",  # one value per read
    "go-encoding-gob/basics/any-write-pattern",  # decodes each read alone (no buffering)
    "go-encoding-gob/basics/malformed-input-survived",  # the whole service dies on garbage
    "go-encoding-gob/encoding-details/types-defined-once",  # a new Encoder per reply
    "go-encoding-gob/encoding-details/types-defined-before-use",  # the value, then its types
    "go-encoding-gob/encoding-details/user-type-ids-64-and-up",  # ids from 40, not 65
    "go-encoding-gob/encoding-details/message-lengths-exact",  # every count one too many
    "go-encoding-gob/encoding-details/message-lengths-exact:short",  # one too few
    "go-encoding-gob/types-and-values/zero-fields-omitted",  # empty strings and lists sent
)

#: The largest message a connection takes (as the reference's bound).
MAX_MESSAGE_SIZE = 1024 * 1024
#: The low-ids fault hands out ids from here (below 64, above Go's own 16-23).
LOW_FIRST_ID = 40
#: The generated-persons fault keeps this many bytes of each string.
CUT = 1024


def messages(data: bytes) -> list[bytes]:
    """The bodies of the messages in ``data`` (each without its byte count)."""
    out, r = [], Reader(data)
    while r.remaining:
        n = r.read_uint()
        out.append(r.take(n))
    return out


def frame(body: bytes, *, off_by: int = 0) -> bytes:
    """``body`` with its byte count in front (``off_by`` added to the count)."""
    out = bytearray()
    put_uint(out, len(body) + off_by)
    return bytes(out + body)


def _type_id(body: bytes) -> tuple[int, int]:
    """(the message's type id, where the rest begins)."""
    r = Reader(body)
    return r.read_int(), r.pos


def renumber(body: bytes, shift: int) -> bytes:
    """A message with every user type id (65 and up) moved down by ``shift``."""

    def new(tid: int) -> int:
        return tid - shift if tid >= 64 else tid

    tid, rest = _type_id(body)
    out = bytearray()
    if tid >= 0:
        put_int(out, new(tid))
        return bytes(out + body[rest:])
    wire = decode_wire_type(Reader(body, rest))
    wire = dataclasses.replace(
        wire,
        id=new(wire.id),
        elem=new(wire.elem),
        key=new(wire.key),
        fields=tuple((name, new(fid)) for name, fid in wire.fields),
    )
    put_int(out, -new(-tid))
    return bytes(out + encode_wire_type(wire))


def person_body_with_zeros(tid: int, person: Person) -> bytes:
    """The value message of ``person`` with zero fields sent (the zero-fields fault)."""
    out = bytearray()
    put_int(out, tid)
    out += b"\x01\x01" + encode_string(person.Name.Family)
    out += b"\x01" + encode_string(person.Name.Personal) + b"\x00"
    out += b"\x01"
    put_uint(out, len(person.Email))
    for email in person.Email:
        out += b"\x01" + encode_string(email.Kind) + b"\x01" + encode_string(email.Address)
        out += b"\x00"
    return bytes(out + b"\x00")


def _cut(person: Person) -> Person:
    def cut(text: str) -> str:
        return text.encode()[:CUT].decode(errors="ignore")

    return Person(
        type(person.Name)(cut(person.Name.Family), cut(person.Name.Personal)),
        [type(e)(cut(e.Kind), cut(e.Address)) for e in person.Email],
    )


def _forgetful(decoder: Decoder) -> Decoder:
    """A new Decoder that knows ``decoder``'s types but not the bytes it holds."""
    fresh = Decoder(Person, max_message_size=MAX_MESSAGE_SIZE)
    for tid, wire in decoder.wire_types.items():
        body = bytearray()
        put_int(body, -tid)
        fresh.receive_data(frame(bytes(body) + encode_wire_type(wire)))
    return fresh


class GobEchoServer(_ThreadedServer):
    """The book's gob echo over TCP; ``fault`` (see :data:`GOB_FAULTS`) breaks one requirement."""

    FAULTS = GOB_FAULTS

    def targets(self, suite: str = "gob") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tcp://{host}:{port}"]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # no UDP service

    def _answer(self, encoder: Encoder, person: Person) -> tuple[Encoder, bytes]:
        """The reply to ``person`` (and the Encoder the next reply uses)."""
        fault = self.fault or ""
        if fault.endswith("generated-persons-echoed"):
            person = _cut(person)
        if fault.endswith("types-defined-once"):
            encoder = Encoder()  # the bug: a new Encoder, so the types go out again
        bodies = messages(encoder.encode(person))
        if fault.endswith("types-defined-before-use"):
            bodies = bodies[-1:] + bodies[:-1]
        if fault.endswith("user-type-ids-64-and-up"):
            bodies = [renumber(body, 65 - LOW_FIRST_ID) for body in bodies]
        if fault.endswith("zero-fields-omitted"):
            bodies[-1] = person_body_with_zeros(_type_id(bodies[-1])[0], person)
        off_by = 0
        if fault.endswith("message-lengths-exact"):
            off_by = 1
        elif fault.endswith("message-lengths-exact:short"):
            off_by = -1
        out = b"".join(frame(body, off_by=off_by) for body in bodies)
        if fault.endswith("book-person-echoed"):
            out = out[:-1]
        return encoder, out

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault or ""
        decoder = Decoder(Person, max_message_size=MAX_MESSAGE_SIZE)
        encoder = Encoder()
        while True:
            if not self._readable(conn, ECHO_IDLE):
                return
            data = conn.recv(65536)
            if fault.endswith("any-write-pattern"):
                decoder = _forgetful(decoder)  # the bug: drops what the last read left
            replies: list[bytes] = []
            try:
                if not data:
                    decoder.end_of_data()
                    return
                decoder.receive_data(data)
                while (person := decoder.next_value()) is not NEED_DATA:
                    encoder, reply = self._answer(encoder, person)
                    replies.append(reply)
            except RemoteProtocolError:
                if fault.endswith("malformed-input-survived"):
                    self._tcp_down.set()  # the bug: one client's garbage ends the service
                    return
                conn.sendall(b"".join(replies))
                conn.shutdown(socket.SHUT_WR)
                self._drain(conn)
                return
            if fault.endswith(":pipelined"):
                replies = replies[:1]  # the bug: one value per read, the rest dropped
            conn.sendall(b"".join(replies))
            if replies and fault.endswith("values-on-one-connection"):
                return  # the bug: one value per connection

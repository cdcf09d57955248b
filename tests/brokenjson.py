"""A small threaded JSON echo server of the book's Person, with one switch per requirement.

Correct by default: each Person decoded from the stream (Go's rules, via
:mod:`reference_impls.jsoncodec`) goes back as ``json.Marshal`` bytes and a newline,
until the client closes; malformed input gets the replies before it, then FIN. The
suite certifies it CONFORMANT. Each fault breaks one requirement of ``suites/json``
and is named by that requirement's id without ``json/``::

    with JSONEchoServer(fault="marshal/html-escaped") as server:  # see JSON_FAULTS
        run = run_suite("json", server, tmp_path)

It reuses the thread and socket handling of :mod:`brokenservers` (its UDP socket is
bound but unused: the JSON suite is TCP only).
"""

from __future__ import annotations

import codecs
import re
import socket
from typing import Any

from brokenservers import ECHO_IDLE, _ThreadedServer

from reference_impls.errors import RemoteProtocolError
from reference_impls.jsoncodec import (
    END_OF_STREAM,
    NEED_DATA,
    JSONStreamDecoder,
    Person,
    marshal,
    marshal_model,
    model_from_value,
    parse,
)

__all__ = ["JSON_FAULTS", "JSONEchoServer"]

#: Each fault breaks the requirement ``json/<fault>`` (text after ":" tells two
#: faults of one requirement apart).
JSON_FAULTS: tuple[str, ...] = (
    "go-encoding-json/stream/book-person-echoed",  # every reply lacks its closing brace
    "go-encoding-json/stream/generated-persons-echoed",  # an empty email list comes back null
    "go-encoding-json/stream/values-on-one-connection",  # closes after the first reply
    "go-encoding-json/stream/values-on-one-connection:pipelined",  # one value per read
    "go-encoding-json/stream/any-write-pattern",  # decodes each read alone (no buffering)
    "go-encoding-json/marshal/field-names-exact",  # lower-cased keys
    "go-encoding-json/marshal/html-escaped",  # no HTML escaping
    "go-encoding-json/unmarshal/keys-case-insensitive",  # exact-case keys only
    "go-encoding-json/unmarshal/unknown-keys-dropped",  # unknown keys sent back
    "rfc8259/2/replies-are-json-text",  # raw control characters in strings
    "rfc8259/8.1/invalid-utf8-replaced",  # invalid UTF-8 passed through
    "rfc8259/9/malformed-input-survived",  # the whole service dies on malformed input
)

_FIELDS = {
    "Person": ("Name", "Email"),
    "Name": ("Family", "Personal"),
    "Email": ("Kind", "Address"),
}
_CONTROL_ESCAPE = re.compile(rb"\\u00([01][0-9a-f])")
#: The invalid-UTF-8 fault carries each invalid byte b through decoding as U+F0000+b.
_SMUGGLE = 0xF0000


def _smuggle(text: str) -> bytes:
    """surrogateescape'd text -> UTF-8, each escaped byte as a private-use character."""
    return re.sub(
        "[\udc80-\udcff]", lambda m: chr(_SMUGGLE + ord(m.group()) - 0xDC00), text
    ).encode("utf-8")


def _unsmuggle(data: bytes) -> bytes:
    for b in range(0x80, 0x100):
        data = data.replace(chr(_SMUGGLE + b).encode("utf-8"), bytes([b]))
    return data


def _exact_keys(value: Any, struct: str = "Person") -> Any:
    """Only the keys spelled exactly as the fields (the case-sensitive fault)."""
    if not isinstance(value, dict):
        return value
    out = {k: v for k, v in value.items() if k in _FIELDS[struct]}
    if isinstance(out.get("Name"), dict):
        out["Name"] = _exact_keys(out["Name"], "Name")
    if isinstance(out.get("Email"), list):
        out["Email"] = [_exact_keys(e, "Email") for e in out["Email"]]
    return out


def _lowered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): _lowered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lowered(v) for v in value]
    return value


class JSONEchoServer(_ThreadedServer):
    """The book's JSON echo over TCP; ``fault`` (see :data:`JSON_FAULTS`) breaks one requirement."""

    FAULTS = JSON_FAULTS

    def targets(self, suite: str = "json") -> list[str]:
        host, port = self.tcp_address
        return ["--target", f"{suite}=tcp://{host}:{port}"]

    def _serve_datagram(self, sock: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        return  # no UDP service

    def _answer(self, value: Any) -> bytes:
        fault = self.fault or ""
        if fault.endswith("keys-case-insensitive"):
            value = _exact_keys(value)
        person = model_from_value(Person, value)
        if fault.endswith("generated-persons-echoed") and person.Email == []:
            person.Email = None
        if fault.endswith("field-names-exact"):
            out = marshal(_lowered(parse(marshal_model(person))))
        elif fault.endswith("html-escaped"):
            out = marshal(person, escape_html=False)
        elif fault.endswith("unknown-keys-dropped") and isinstance(value, dict):
            known = {k.lower() for k in _FIELDS["Person"]}
            extra = {k: v for k, v in value.items() if k.lower() not in known}
            out = marshal({**parse(marshal_model(person)), **extra})
        else:
            out = marshal_model(person)
        if fault.endswith("book-person-echoed"):
            out = out[:-1]
        if fault.endswith("replies-are-json-text"):
            out = _CONTROL_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), out)
        if fault.endswith("invalid-utf8-replaced"):
            out = _unsmuggle(out)
        return out + b"\n"

    def _serve_connection(self, conn: socket.socket) -> None:
        fault = self.fault or ""
        decoder = JSONStreamDecoder()
        utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        eof = False
        while not eof:
            if not self._readable(conn, ECHO_IDLE):
                return
            data = conn.recv(65536)
            if fault.endswith("any-write-pattern"):
                decoder = JSONStreamDecoder()  # the bug: forgets what the last read left
            if not data:
                eof = True
                decoder.receive_eof()
            elif fault.endswith("invalid-utf8-replaced"):
                decoder.receive_data(_smuggle(utf8.decode(data)))
            else:
                decoder.receive_data(data)
            replies: list[bytes] = []
            try:
                while (value := decoder.next_value()) not in (NEED_DATA, END_OF_STREAM):
                    replies.append(self._answer(value))
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

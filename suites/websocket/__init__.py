"""WebSocket (RFC 6455), over ws:// and wss://, at the depth of Autobahn|Testsuite.

Target: ``ws://host[:80][/path]`` or ``wss://host[:443][/path]``; give both to assess
both. The target must echo every message it receives, text as text and binary as
binary, as Autobahn's fuzzing server requires. Checks are organised by the RFC's
sections and by Autobahn's categories (1 framing, 2 ping/pong, 3 reserved bits,
4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 limits, 10 miscellaneous),
plus what Autobahn leaves out: the opening handshake, masking, the top bit of a 64-bit
length, and a stated message-size limit.

Verdicts are split as Autobahn splits them: each failure case is judged once for the
message behaviour (the connection must be failed: a MUST) and once for the close
behaviour (a Close frame with the right code first: RFC 6455 §7.1.7's SHOULD, so a
wrong code is a warning, Autobahn's NON-STRICT). MAY checks report what the target
did (INFORMATIONAL). permessage-deflate (RFC 7692) is offered once: a target that does
not agree to it gets an informational "UNIMPLEMENTED" record, never a failure.

Large and many-message cases (Autobahn 9) run with ``--profile thorough``;
``--websocket-max-message N`` states the target's message-size limit, checked at N
and N+1 bytes (and larger cases are not sent).
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption


def _max_message(text: str) -> int | None:
    if text.strip().lower() in ("", "none"):
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2**40:
        raise ValueError("a message size in bytes, from 1 to 2**40")
    return int(text)


SUITE = Suite(
    name="websocket",
    title="The WebSocket Protocol (RFC 6455)",
    schemes={"ws": 80, "wss": 443},
    reference="websocket",
    options=(
        SuiteOption(
            "max-message",
            "the largest message (bytes) the target states it accepts; it must echo a "
            "message of that size and fail the connection (1009) on a larger one. "
            "Default: no stated limit (those checks are not assessed); the embedded "
            "reference states 16 MiB",
            _max_message,
            None,
        ),
    ),
)

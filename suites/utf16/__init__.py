"""UTF-16 text services (RFC 2781): a sender, or an echo, of UTF-16 documents.

The model is the UTF-16 server of Newmarch, "Network Programming with Go", ch. 6 (TCP
port 1210): a byte order mark, the text, then close. Target: ``tcp://host[:1210]``.

Which kind of service the target is, is chosen explicitly with ``--utf16-service``:

* ``sender`` (default): on each connection the server sends U+FEFF and a text in
  UTF-16, then closes. The embedded reference is ``utf16text``.
* ``echo``: the client sends a UTF-16 document and shuts down its sending side; the
  server replies with a BOM and the same text, then closes; invalid input gets a close
  and no reply. The embedded reference is ``utf16echo``.

Only the checks of the chosen kind run; the others are deselected (see ``conftest.py``).
``--utf16-expect-text TEXT`` (sender) also checks that the text is TEXT, and, when TEXT
has characters above U+FFFF, that they arrive as surrogate pairs; without it those
two checks are deselected, as there is nothing to compare with.
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption

SERVICES = ("sender", "echo")
#: The embedded reference (``python -m reference_impls serve NAME``) for each service.
REFERENCES = {"sender": "utf16text", "echo": "utf16echo"}


def _service(text: str) -> str:
    if text not in SERVICES:
        raise ValueError(f"one of {', '.join(SERVICES)}")
    return text


def _expect_text(text: str) -> str:
    if not text:
        raise ValueError("a non-empty text")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ValueError("text without lone surrogates")
    return text


SUITE = Suite(
    name="utf16",
    title="UTF-16 text services (RFC 2781)",
    schemes={"tcp": 1210},
    reference=lambda options: REFERENCES[options["service"]],
    options=(
        SuiteOption(
            "service",
            "which kind of service the target is: sender (sends BOM and text, then closes; the "
            "default) or echo (replies to a UTF-16 document with the same text)",
            _service,
            "sender",
        ),
        SuiteOption(
            "expect-text",
            "sender: the text the target is expected to send (default: not checked)",
            _expect_text,
            None,
        ),
    ),
)

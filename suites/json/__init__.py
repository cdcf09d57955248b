"""JSON echo of the book's Person (RFC 8259, Go encoding/json).

The service of the book's JSONEchoServer (Newmarch, "Network Programming with Go",
ch. 4): over TCP, each ``Person{Name Name; Email []Email}`` the client sends is
decoded (Go's json.Decoder) and sent back (json.Encoder). Checks use at most ten
values per connection, since the book's server closes after ten rounds.

Target: ``tcp://host[:1200]`` (the book's port).
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="json",
    title="JSON echo of the book's Person (RFC 8259, Go encoding/json)",
    schemes={"tcp": 1200},
    reference="jsonecho",
)

"""gob echo of the book's Person (Go encoding/gob).

The service of the book's GobEchoServer (Newmarch, "Network Programming with Go",
ch. 4): over TCP, each ``Person{Name Name; Email []Email}`` the client sends is
decoded (Go's gob.Decoder) and sent back (gob.Encoder, one per connection). There is
no RFC: requirements quote Go's encoding/gob package documentation (``doc.go``).
Checks use at most ten values per connection, since the book's server closes after
ten rounds.

Target: ``tcp://host[:1200]`` (the book's port).
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="gob",
    title="gob echo of the book's Person (Go encoding/gob)",
    schemes={"tcp": 1200},
    reference="gobecho",
)

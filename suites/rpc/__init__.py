"""Go net/rpc with its gob codec, serving the Arith example (the book's chapter 13).

Go's ``net/rpc`` package (Go 1.19): requests are a gob ``Request{ServiceMethod, Seq}``
then the arguments, responses a gob ``Response{ServiceMethod, Seq, Error}`` then the
reply, one gob Encoder and Decoder per connection direction. There is no RFC:
requirements quote Go's net/rpc package documentation (``server.go``).

The target must register the Arith service of that documentation (as h2spec asks
for ``GET /``): ``Arith.Multiply(Args{A, B int}) int`` and ``Arith.Divide(Args)
Quotient{Quo, Rem int}``, with the error ``divide by zero`` when B is 0. The book's
server names its argument struct ``Values``; gob matches fields by name, so it
serves the same calls.

Targets: ``tcp://host[:1234]`` (``rpc.Accept`` / ``ServeConn``) and
``http://host[:1234][/path]`` (``rpc.HandleHTTP``; the path defaults to
``/_goRPC_``): checks run on each target given, the HTTP handshake first.
"""

from __future__ import annotations

from harness.suite import Suite

SUITE = Suite(
    name="rpc",
    title="Go net/rpc with gob, serving the Arith example",
    schemes={"tcp": 1234, "http": 1234},
    reference="rpc",
)

"""JSON-RPC of the book's Arith service: Go's net/rpc/jsonrpc (1.0 style) or JSON-RPC 2.0.

The model is the book's JSONArithServer (Newmarch, "Network Programming with Go",
ch. 13): ``Arith.Multiply(Args{A, B int}) int`` and ``Arith.Divide(Args)
Quotient{Quo, Rem int}`` (error ``divide by zero``) over a TCP stream of JSON values
(the book's port 1234). Target: ``tcp://host[:1234]``.

Which protocol the target speaks is chosen explicitly with ``--jsonrpc-profile``:

* ``1.0`` (default): Go's net/rpc/jsonrpc, as ``jsonrpc.ServeConn`` serves it:
  ``{"method", "params": [ARGS], "id"}`` in, ``{"id", "result", "error"}`` out. The
  embedded reference is ``jsonrpc``.
* ``2.0``: the JSON-RPC 2.0 specification (jsonrpc.org): the ``"jsonrpc": "2.0"``
  member, batches, notifications, error objects. Arith's argument is sent by position
  (``"params": [ARGS]``). The embedded reference is ``jsonrpc2``.

Only the checks of the chosen profile run; the others are deselected (see
``conftest.py``). The checks of the stream (pipelining, write patterns) run in both.
The book's server serves one client at a time: no check opens two connections at once.
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption

PROFILES = ("1.0", "2.0")
#: The embedded reference (``python -m reference_impls serve NAME``) for each profile.
REFERENCES = {"1.0": "jsonrpc", "2.0": "jsonrpc2"}


def _profile(text: str) -> str:
    if text not in PROFILES:
        raise ValueError(f"one of {', '.join(PROFILES)}")
    return text


SUITE = Suite(
    name="jsonrpc",
    title="JSON-RPC of the book's Arith (Go net/rpc/jsonrpc 1.0 style, or JSON-RPC 2.0)",
    schemes={"tcp": 1234},
    reference=lambda options: REFERENCES[options["profile"]],
    options=(
        SuiteOption(
            "profile",
            "which JSON-RPC the target speaks: 1.0 (Go's net/rpc/jsonrpc; the default) or 2.0",
            _profile,
            "1.0",
        ),
    ),
)

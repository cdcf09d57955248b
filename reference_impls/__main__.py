"""``python -m reference_impls serve PROTOCOL``: run a reference implementation.

Prints ``listening <scheme> <host> <port>`` per listener once all are bound, then
serves until SIGINT or SIGTERM and exits 0. Usage errors exit 2, bind failures 1,
each as one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn

from reference_impls._shell import (
    TLS_SCHEMES,
    Listen,
    ListenError,
    Server,
    parse_listen,
    serve_until_signal,
)
from reference_impls._tls import DemoCertificates, server_context
from reference_impls.daytime import server as daytime
from reference_impls.echo import server as echo
from reference_impls.gobecho import server as gobecho
from reference_impls.http import proxy as httpproxy
from reference_impls.http import server as http
from reference_impls.jsonecho import server as jsonecho
from reference_impls.jsonrpc import server as jsonrpc
from reference_impls.rpc import server as rpc
from reference_impls.simpleftp import server as simpleftp
from reference_impls.text import server as texts
from reference_impls.websocket import server as websocket

__all__ = ["PROTOCOLS", "ServeOptions", "main"]

PROG = "python -m reference_impls"
DEFAULT_HOST_PORT = "127.0.0.1:0"


@dataclass(frozen=True)
class ServeOptions:
    """Options of ``serve`` that a protocol's start function may use."""

    idle_timeout: float | None = None
    #: simpleftp: the directory to serve (None: a demo tree in a temporary directory)
    root: str | None = None
    #: jsonecho, gobecho: close after this many replies (the book's servers: 10)
    rounds: int | None = None
    #: TLS listeners (tls, https, wss): the server's certificate chain and key (PEM)
    certfile: str | None = None
    keyfile: str | None = None
    #: httpproxy: the Basic credentials clients must give, USER:PASSWORD (None: the demo ones)
    credentials: str | None = None
    #: websocket: the largest message accepted, in bytes (None: the server's default)
    max_message: int | None = None

    def ssl_for(self, listen: Listen) -> ssl.SSLContext | None:
        """The server context for a TLS listener; None for the others."""
        if listen.scheme not in TLS_SCHEMES:
            return None
        if self.certfile is None:
            raise ValueError(f"a {listen.scheme}:// listener needs --certfile")
        return server_context(self.certfile, self.keyfile)


Start = Callable[[Listen, ServeOptions], Awaitable[Server]]

#: Every protocol ``serve`` knows: name -> start. A new protocol is one more line.
PROTOCOLS: dict[str, Start] = {
    "daytime": lambda listen, o: daytime.start(listen, linger=o.idle_timeout or daytime.LINGER),
    "echo": lambda listen, o: echo.start(
        listen, idle_timeout=o.idle_timeout, ssl=o.ssl_for(listen)
    ),
    "jsonecho": lambda listen, o: jsonecho.start(
        listen, idle_timeout=o.idle_timeout, rounds=o.rounds
    ),
    "gobecho": lambda listen, o: gobecho.start(
        listen, idle_timeout=o.idle_timeout, rounds=o.rounds
    ),
    "utf8text": lambda listen, o: texts.start_utf8(listen),
    "utf16text": lambda listen, o: texts.start_utf16_sender(listen),
    "utf16echo": lambda listen, o: texts.start_utf16_echo(listen, idle_timeout=o.idle_timeout),
    "simpleftp": lambda listen, o: simpleftp.start(listen, root=o.root),
    "rpc": lambda listen, o: rpc.start(listen),
    "jsonrpc": lambda listen, o: jsonrpc.start(listen, profile="1.0", idle_timeout=o.idle_timeout),
    "jsonrpc2": lambda listen, o: jsonrpc.start(listen, profile="2.0", idle_timeout=o.idle_timeout),
    "http": lambda listen, o: http.start(
        listen, root=o.root, ssl=o.ssl_for(listen), idle_timeout=o.idle_timeout
    ),
    "httpproxy": lambda listen, o: httpproxy.start_serving(
        listen, o.credentials, o.idle_timeout, ssl=o.ssl_for(listen)
    ),
    "websocket": lambda listen, o: websocket.start(
        listen,
        ssl=o.ssl_for(listen),
        idle_timeout=o.idle_timeout,
        max_message=o.max_message or websocket.DEFAULT_MAX_MESSAGE,
    ),
}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus the error and exits; the contract is one line, status 2.
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected positive seconds, e.g. 30, got {text!r}")
    return value


def _directory(text: str) -> str:
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"no such directory: {text!r}")
    return os.path.abspath(text)


def _size(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes, got {text!r}")
    return int(text)


def _rounds(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of replies, got {text!r}")
    return int(text)


def _credentials(text: str) -> str:
    try:
        httpproxy.parse_credentials(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Run a reference implementation.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve a protocol until SIGINT or SIGTERM",
        description="Serve a protocol until SIGINT or SIGTERM. Prints "
        "'listening <scheme> <host> <port>' per listener once all are bound.",
    )
    serve.add_argument("protocol", choices=sorted(PROTOCOLS), help="the protocol to serve")
    serve.add_argument(
        "--listen",
        action="append",
        default=[],
        metavar="[SCHEME://]HOST:PORT",
        help=f"address to listen on; repeat for several (default {DEFAULT_HOST_PORT}, TCP)",
    )
    serve.add_argument(
        "--udp", action="store_true", help="--listen values without a scheme are UDP"
    )
    serve.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="echo: close a TCP connection idle this long (default: never); daytime: wait "
        f"this long after the quote for the client to close (default {daytime.LINGER:g}); "
        "websocket: send Close 1001 on a connection idle this long (default: never)",
    )
    serve.add_argument(
        "--root",
        type=_directory,
        default=None,
        metavar="DIR",
        help="simpleftp, http: the directory to serve (default: a small demo tree, removed "
        "on exit)",
    )
    serve.add_argument(
        "--rounds",
        type=_rounds,
        default=None,
        metavar="N",
        help="jsonecho, gobecho: close a connection after N replies, as the book's servers "
        "do after 10 (default: answer until the client closes)",
    )
    serve.add_argument(
        "--certfile",
        default=None,
        metavar="PEM",
        help="tls://, https://, wss:// listeners: the server certificate chain (PEM), with "
        "the key unless --keyfile is given (default: a certificate made at start for "
        "127.0.0.1, ::1 and localhost, whose CA is announced as 'ca <path>')",
    )
    serve.add_argument(
        "--keyfile", default=None, metavar="PEM", help="the private key for --certfile (PEM)"
    )
    serve.add_argument(
        "--credentials",
        type=_credentials,
        default=None,
        metavar="USER:PASSWORD",
        help="httpproxy: the Basic credentials clients must send in Proxy-Authorization "
        "(default: the demo credentials wirecert:proxy-demo, printed at start)",
    )
    serve.add_argument(
        "--max-message",
        type=_size,
        default=None,
        metavar="BYTES",
        help="websocket: the largest message accepted; a larger one fails the connection "
        "with close code 1009 (default 16 MiB)",
    )
    return parser


async def _serve(protocol: str, listens: list[Listen], options: ServeOptions) -> None:
    start = PROTOCOLS[protocol]
    await serve_until_signal(listens, lambda listen: start(listen, options))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        default_scheme = "udp" if args.udp else "tcp"
        listens = [
            parse_listen(text, default_scheme=default_scheme)
            for text in (args.listen or [DEFAULT_HOST_PORT])
        ]
    except (_UsageError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    options = ServeOptions(args.idle_timeout, args.root, args.rounds, args.certfile, args.keyfile)
    options = dataclasses.replace(options, credentials=args.credentials)
    options = dataclasses.replace(options, max_message=args.max_message)
    demo: DemoCertificates | None = None
    try:
        if args.keyfile is not None and args.certfile is None:
            raise ValueError("--keyfile needs --certfile")
        if any(listen.scheme in TLS_SCHEMES for listen in listens):
            if args.certfile is None:
                demo = DemoCertificates.make()
                options = dataclasses.replace(
                    options, certfile=str(demo.certfile), keyfile=str(demo.keyfile)
                )
                print(f"ca {demo.cafile}", flush=True)
            else:
                server_context(args.certfile, args.keyfile)  # a bad file: one line, now
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args.protocol, listens, options))
    except ListenError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a transport the protocol does not run over
        print(f"{PROG}: error: {args.protocol}: {exc}", file=sys.stderr)
        return 2
    finally:
        if demo is not None:
            demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

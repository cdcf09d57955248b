"""The Arith JSON-RPC server over asyncio, around :mod:`reference_impls.jsonrpc.protocol`.

Each connection is served by the value echo shell (:mod:`reference_impls._valueecho`):
requests are answered as they arrive; malformed input ends the connection with FIN
after the responses before it (and, in the 2.0 profile, the -32700 error). Unlike the
book's server, which calls ``jsonrpc.ServeConn`` without ``go``, clients are served
concurrently.
"""

from __future__ import annotations

from reference_impls._shell import Listen, Server
from reference_impls._valueecho import WRITE_BUFFER_HIGH, ValueEchoStats, start_value_echo
from reference_impls.jsonrpc.protocol import MAX_VALUE_SIZE, PROFILES, Profile, ServerConnection

__all__ = ["start"]


async def start(
    listen: Listen,
    *,
    profile: Profile = "1.0",
    idle_timeout: float | None = None,
    max_value_size: int = MAX_VALUE_SIZE,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: ValueEchoStats | None = None,
) -> Server:
    """Serve Arith over JSON-RPC ``profile`` ("1.0": Go's net/rpc/jsonrpc; "2.0") on
    ``listen`` (TCP only). ``idle_timeout``: abort a connection with no input for that
    many seconds (None: never)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    return await start_value_echo(
        listen,
        lambda: ServerConnection(profile, max_value_size=max_value_size),
        name=f"JSON-RPC {profile}",
        idle_timeout=idle_timeout,
        write_buffer_high=write_buffer_high,
        stats=stats,
    )

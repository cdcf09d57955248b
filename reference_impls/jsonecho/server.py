"""JSON echo asyncio shell over :mod:`reference_impls.jsonecho.protocol`.

See :mod:`reference_impls._valueecho` for how a connection is served and closed.
"""

from __future__ import annotations

from reference_impls._shell import Listen, Server
from reference_impls._valueecho import (
    LINGER,
    WRITE_BUFFER_HIGH,
    ValueEchoStats,
    start_value_echo,
)
from reference_impls.jsonecho.protocol import MAX_VALUE_SIZE, JSONEchoConnection

__all__ = ["LINGER", "WRITE_BUFFER_HIGH", "JSONEchoStats", "start"]

#: Counters of one listener (values answered, malformed inputs, errors, idle closes).
JSONEchoStats = ValueEchoStats


async def start(
    listen: Listen,
    *,
    rounds: int | None = None,
    idle_timeout: float | None = None,
    max_value_size: int = MAX_VALUE_SIZE,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: JSONEchoStats | None = None,
) -> Server:
    """Serve the JSON echo on ``listen`` (TCP only).

    ``rounds``: close after that many replies on a connection (the book's server: 10);
    None answers until the client closes. ``idle_timeout``: abort a connection with no
    input for that many seconds (None: never). ``max_value_size`` bounds one value.
    """
    if rounds is not None and rounds < 1:
        raise ValueError(f"rounds must be at least 1 (or None), not {rounds}")
    return await start_value_echo(
        listen,
        lambda: JSONEchoConnection(rounds=rounds, max_value_size=max_value_size),
        name="JSON echo",
        idle_timeout=idle_timeout,
        write_buffer_high=write_buffer_high,
        stats=stats,
    )

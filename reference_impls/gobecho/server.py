"""gob echo asyncio shell over :mod:`reference_impls.gobecho.protocol`.

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
from reference_impls.gobecho.protocol import MAX_MESSAGE_SIZE, GobEchoConnection

__all__ = ["LINGER", "WRITE_BUFFER_HIGH", "GobEchoStats", "start"]

#: Counters of one listener (values answered, malformed inputs, errors, idle closes).
GobEchoStats = ValueEchoStats


async def start(
    listen: Listen,
    *,
    rounds: int | None = None,
    idle_timeout: float | None = None,
    max_message_size: int = MAX_MESSAGE_SIZE,
    write_buffer_high: int = WRITE_BUFFER_HIGH,
    stats: GobEchoStats | None = None,
) -> Server:
    """Serve the gob echo on ``listen`` (TCP only).

    ``rounds``: close after that many replies on a connection (the book's server: 10);
    None answers until the client closes. ``idle_timeout``: abort a connection with no
    input for that many seconds (None: never). ``max_message_size`` bounds one gob
    message.
    """
    if rounds is not None and rounds < 1:
        raise ValueError(f"rounds must be at least 1 (or None), not {rounds}")
    return await start_value_echo(
        listen,
        lambda: GobEchoConnection(rounds=rounds, max_message_size=max_message_size),
        name="gob echo",
        idle_timeout=idle_timeout,
        write_buffer_high=write_buffer_high,
        stats=stats,
    )

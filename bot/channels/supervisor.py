"""Each chat channel runs supervised: its failure pauses and restarts it, never the process.

A channel that cannot work until a person acts (a revoked bot token, a refused Matrix
login) raises `ChannelFatal`; that one stops `gepeto run` with a clear log line and a
non-zero exit, since restarting would only hide it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.router import Router

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 300.0
HEALTHY_AFTER_S = 300.0
"""A channel that ran this long before failing counts as recovered: its pause starts over."""


class ChannelFatal(Exception):
    """A channel cannot work until someone fixes its setup; `gepeto run` stops and says why."""


def restart_pause(failures: int) -> float:
    """Seconds to wait before the restart that follows the `failures`-th failure in a row."""
    return min(MAX_PAUSE_S, FIRST_PAUSE_S * 2.0 ** min(failures - 1, 30))


async def supervise(
    channel: Channel,
    router: Router,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Runs the channel until it ends on purpose, restarting it after each failure."""
    failures = 0
    while True:
        started = monotonic()
        try:
            await channel.run(router)
            return
        except ChannelFatal as fatal:
            log.critical("the %s channel cannot work: %s; Gepeto is stopping", channel.name, fatal)
            raise
        except Exception:
            failures = 1 if monotonic() - started >= HEALTHY_AFTER_S else failures + 1
            pause = restart_pause(failures)
            log.exception(
                "the %s channel failed (%d in a row); restarting it in %.0f s, the other "
                "channels keep serving",
                channel.name,
                failures,
                pause,
            )
            await sleep(pause)

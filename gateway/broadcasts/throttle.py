"""The per-channel sending rate of broadcasts, counted by the `limits` library.

A moving window per channel ("1/second" for SMS): `wait` returns once one more message may
go. The storage decides who shares the count: memory for the threads of one consumer process
(the embedded profile), Redis for every consumer of a deployment (the production profile),
where the check and the count are one Lua script, so two consumers cannot both take the last
place.
"""

import asyncio
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "broadcast"
MAX_WAIT = 60.0  # seconds; one wait is never longer, then the window is asked again


def storage_for(redis_url: str | None, prefix: str) -> Storage:
    """Redis when the deployment has one, else this process's memory."""
    if redis_url:
        return RedisStorage(redis_url, key_prefix=f"{prefix}:broadcast-rate")
    return MemoryStorage()


class Throttle:
    """At most `rates[channel]` messages per channel (limits notation, e.g. "1/second")."""

    def __init__(self, storage: Storage, rates: dict[str, str]) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {name: parse(rate) for name, rate in rates.items()}

    async def wait(self, channel: str) -> None:
        """Return when one more message may be sent on `channel` (and count it). Raises
        KeyError for a channel without a rate."""
        item = self._items[channel]
        while not await asyncio.to_thread(self._limiter.hit, item, NAMESPACE, channel):
            stats = await asyncio.to_thread(
                self._limiter.get_window_stats, item, NAMESPACE, channel
            )
            await asyncio.sleep(min(max(stats.reset_time - time.time(), 0.005), MAX_WAIT))

"""Rate limits and sign-in failure windows, counted by the `limits` library.

A moving window: at most `amount` events in any `seconds`-long stretch. The storage decides
who shares the count: `limits`' memory storage counts for this process only, its Redis storage
for every gateway process pointed at the same Redis (the check and the increment are one Lua
script there, so two processes cannot both take the last place).
"""

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from redis import ConnectionPool

from gateway.shared.base import SharedStateError

GLOBAL_KEY = "*"


def memory_storage() -> MemoryStorage:
    return MemoryStorage(wrap_exceptions=True)


def redis_storage(url: str, pool: ConnectionPool, prefix: str) -> RedisStorage:
    return RedisStorage(
        url, connection_pool=pool, key_prefix=f"{prefix}:limits", wrap_exceptions=True
    )


def _unavailable(error: StorageError) -> SharedStateError:
    # The type only: a connection error's message names the host.
    return SharedStateError(f"rate limit storage: {type(error.storage_error).__name__}")


class RateLimit:
    """At most `amount` events per `seconds` for each key of one kind (`name`)."""

    def __init__(self, storage: Storage, name: str, amount: int, seconds: int) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerSecond(amount, seconds)
        self._name = name

    def hit(self, key: str) -> bool:
        """Count one event; False (and nothing counted) when the limit is already reached."""
        try:
            return self._limiter.hit(self._item, self._name, key)
        except StorageError as error:
            raise _unavailable(error) from error

    def reached(self, key: str) -> bool:
        """Whether the next event would be refused, without counting one."""
        try:
            return not self._limiter.test(self._item, self._name, key)
        except StorageError as error:
            raise _unavailable(error) from error


class MessageLimits:
    """Messages per sender and through the whole gateway."""

    def __init__(self, per_sender: RateLimit, overall: RateLimit) -> None:
        self.per_sender = per_sender
        self.overall = overall

    def allow(self, sender_key: str) -> bool:
        # Per sender first: one noisy sender must not use up everyone's overall budget.
        return self.per_sender.hit(sender_key) and self.overall.hit(GLOBAL_KEY)


class FailureWindow:
    """At most `amount` failures per `seconds` per key (sign-in attempts by IP, by username)."""

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit

    def blocked(self, key: str) -> bool:
        return self._limit.reached(key)

    def record(self, key: str) -> None:
        self._limit.hit(key)

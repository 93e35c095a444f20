"""What the gateway's processes share: sender memory, rate limits, sign-in failure windows and
a reply cache, behind small interfaces (`base.py`).

In this process when HEALTHAID_REDIS_URL is unset (`make run`, the tests, one gateway
process); in Redis when it is set, so that a reply of "2" or 「更多」 means the same on every
gateway process and a limit counts once however many processes there are. Redis holds nothing
that must survive: losing it means a resident types a choice in words, or a limit restarts.
"""

from collections.abc import Callable
from dataclasses import dataclass

import redis
from limits.storage import Storage

from gateway.settings import Settings
from gateway.shared.base import ReplyCache, SenderMemory, SharedStateError
from gateway.shared.in_process import InProcessReplyCache, InProcessSenderMemory
from gateway.shared.in_redis import RedisReplyCache, RedisSenderMemory, connection_pool
from gateway.shared.ratelimits import (
    FailureWindow,
    MessageLimits,
    RateLimit,
    memory_storage,
    redis_storage,
)

MINUTE = 60
LOGIN_WINDOW_SECONDS = 15 * MINUTE

__all__ = [
    "FailureWindow",
    "MessageLimits",
    "ReplyCache",
    "SenderMemory",
    "SharedState",
    "SharedStateError",
    "open_shared_state",
]


@dataclass
class SharedState:
    memory: SenderMemory
    limits: MessageLimits
    login_failures_by_ip: FailureWindow
    login_failures_by_user: FailureWindow
    replies: ReplyCache
    close: Callable[[], None]


def _nothing_to_close() -> None:
    pass


def open_shared_state(settings: Settings, clock: Callable[[], float]) -> SharedState:
    """The implementations the settings choose; nothing connects until first used."""
    if settings.redis_url is None:
        storage: Storage = memory_storage()
        memory: SenderMemory = InProcessSenderMemory(clock)
        replies: ReplyCache = InProcessReplyCache(clock)
        close = _nothing_to_close
    else:
        pool = connection_pool(settings.redis_url)
        client = redis.Redis(connection_pool=pool)
        prefix = settings.redis_prefix
        storage = redis_storage(settings.redis_url, pool, prefix)
        memory, replies = RedisSenderMemory(client, prefix), RedisReplyCache(client, prefix)
        close = pool.disconnect

    def limit(name: str, amount: int, seconds: int) -> RateLimit:
        return RateLimit(storage, name, amount, seconds)

    return SharedState(
        memory=memory,
        limits=MessageLimits(
            limit("sender", settings.rate_limit_per_sender, MINUTE),
            limit("overall", settings.rate_limit_global, MINUTE),
        ),
        login_failures_by_ip=FailureWindow(
            limit("login-ip", settings.login_attempts, LOGIN_WINDOW_SECONDS)
        ),
        login_failures_by_user=FailureWindow(
            limit("login-user", settings.login_attempts, LOGIN_WINDOW_SECONDS)
        ),
        replies=replies,
        close=close,
    )

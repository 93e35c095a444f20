"""The gateway's shared state in this process and in a real Redis, behind the same fixtures.

Redis tests need $HEALTHAID_TEST_REDIS_URL: `scripts/redis.sh with .venv/bin/pytest` sets it
for one run (that is what `make test` does), or `scripts/redis.sh start` then
`export HEALTHAID_TEST_REDIS_URL=$(scripts/redis.sh url)`. Without it they fail rather than
skip, because CI always provides it and a skipped backend would pass unnoticed. Deselect them
on purpose with `-m "not redis"`. Each test writes under a prefix of its own and deletes it.
"""

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from limits.storage import Storage

from gateway.shared.base import MEMORY_SECONDS, REPLY_SECONDS, ReplyCache, SenderMemory
from gateway.shared.in_process import InProcessReplyCache, InProcessSenderMemory
from gateway.shared.in_redis import RedisReplyCache, RedisSenderMemory, connection_pool
from gateway.shared.ratelimits import RateLimit, memory_storage, redis_storage

REDIS_URL_VARIABLE = "HEALTHAID_TEST_REDIS_URL"

BACKENDS = ["in_process", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_URL_VARIABLE)
    if not url:
        pytest.fail(
            f"{REDIS_URL_VARIABLE} is not set. Run `scripts/redis.sh start` and "
            f"`export {REDIS_URL_VARIABLE}=$(scripts/redis.sh url)`, "
            'or deselect these tests with -m "not redis".',
            pytrace=False,
        )
    return url


@pytest.fixture
def redis_prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    """A key prefix for one test, and its keys deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    url = os.environ.get(REDIS_URL_VARIABLE)
    if url:
        with redis.Redis.from_url(url) as client:
            for key in client.scan_iter(match=f"{prefix}:*"):
                client.delete(key)


@dataclass
class Backend:
    """Builds each piece of shared state on one backend, as `open_shared_state` does."""

    name: str
    storage: Storage
    client: redis.Redis | None = None
    prefix: str = ""

    def memory(self, seconds: float = MEMORY_SECONDS) -> SenderMemory:
        if self.client is None:
            return InProcessSenderMemory(time.monotonic, seconds)
        return RedisSenderMemory(self.client, self.prefix, seconds)

    def replies(self, seconds: float = REPLY_SECONDS) -> ReplyCache:
        if self.client is None:
            return InProcessReplyCache(time.monotonic, seconds)
        return RedisReplyCache(self.client, self.prefix, seconds)

    def limit(self, amount: int, seconds: int, name: str = "sender") -> RateLimit:
        return RateLimit(self.storage, name, amount, seconds)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "in_process":
        yield Backend("in_process", memory_storage())
        return
    url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("redis_prefix")
    pool = connection_pool(url)
    try:
        yield Backend(
            "redis", redis_storage(url, pool, prefix), redis.Redis(connection_pool=pool), prefix
        )
    finally:
        pool.disconnect()

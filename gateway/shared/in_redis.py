"""The shared state in Redis, so every gateway process sees the same sender memory and replies.

Keys (`prefix` is HEALTHAID_REDIS_PREFIX):

    {prefix}:buttons:{sender}   string, JSON [[title, payload], ...]   expires MEMORY_SECONDS
    {prefix}:pages:{sender}     list of the pages not yet sent (LPOP)  expires MEMORY_SECONDS
    {prefix}:reply:{channel}:{message id}   string                     expires REPLY_SECONDS

Redis holds nothing that must survive a restart. Every Redis failure is raised as
SharedStateError, never as a redis exception.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import redis

from gateway.rasa_client import Button
from gateway.shared.base import MEMORY_SECONDS, REPLY_SECONDS, SharedStateError

# Redis is on loopback or the local network: a second without an answer means it is down,
# and the resident is better served by 「系统繁忙」 now than by Twilio's 15-s timeout.
TIMEOUT_SECONDS = 1.0


def connection_pool(url: str) -> redis.ConnectionPool:
    """One pool per process, shared by the memory, the reply cache and the rate limits."""
    return redis.ConnectionPool.from_url(
        url,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        health_check_interval=30,
    )


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as error:
        raise SharedStateError(f"Redis: {type(error).__name__}") from error


def _text(value: object) -> str:
    return cast("bytes", value).decode("utf-8")


class RedisSenderMemory:
    def __init__(self, client: redis.Redis, prefix: str, seconds: float = MEMORY_SECONDS) -> None:
        self._redis = client
        self._prefix = prefix
        self._milliseconds = int(seconds * 1000)

    def _keys(self, key: str) -> tuple[str, str]:
        return f"{self._prefix}:buttons:{key}", f"{self._prefix}:pages:{key}"

    def buttons(self, key: str) -> list[Button]:
        with _reported():
            raw = self._redis.get(self._keys(key)[0])
        if raw is None:
            return []
        return [Button(title, payload) for title, payload in json.loads(_text(raw))]

    def remember(self, key: str, buttons: list[Button], pages: list[str]) -> None:
        buttons_key, pages_key = self._keys(key)
        # MULTI/EXEC: another process never sees the new buttons with the old pages.
        with _reported(), self._redis.pipeline(transaction=True) as step:
            step.delete(buttons_key, pages_key)
            if buttons:
                payload = json.dumps([[b.title, b.payload] for b in buttons], ensure_ascii=False)
                step.set(buttons_key, payload, px=self._milliseconds)
            if pages:
                step.rpush(pages_key, *pages)
                step.pexpire(pages_key, self._milliseconds)
            step.execute()

    def next_page(self, key: str) -> str | None:
        with _reported():
            page = self._redis.lpop(self._keys(key)[1])
        return None if page is None else _text(page)


class RedisReplyCache:
    def __init__(self, client: redis.Redis, prefix: str, seconds: float = REPLY_SECONDS) -> None:
        self._redis = client
        self._prefix = prefix
        self._milliseconds = int(seconds * 1000)

    def _key(self, channel: str, message_id: str) -> str:
        return f"{self._prefix}:reply:{channel}:{message_id}"

    def get(self, channel: str, message_id: str) -> str | None:
        with _reported():
            reply = self._redis.get(self._key(channel, message_id))
        return None if reply is None else _text(reply)

    def put(self, channel: str, message_id: str, reply: str) -> None:
        with _reported():
            self._redis.set(self._key(channel, message_id), reply, px=self._milliseconds)

"""Redis down: every piece says so with SharedStateError, and a resident gets 「系统繁忙」
rather than an error page."""

import socket
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy.orm import Session

from gateway import replies
from gateway.shared import SharedStateError
from gateway.shared.in_redis import RedisReplyCache, RedisSenderMemory, connection_pool
from gateway.shared.ratelimits import RateLimit, redis_storage
from tests.gateway.conftest import BASE, add_cadre, post_sms, sign_in, sms_form
from tests.gateway.fake_rasa import FakeRasa


@pytest.fixture
def nobody_listening() -> str:
    """A loopback port that was free a moment ago, so connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def pool(nobody_listening: str) -> Iterator[redis.ConnectionPool]:
    pool = connection_pool(nobody_listening)
    yield pool
    pool.disconnect()


@pytest.mark.parametrize(
    "use",
    [
        lambda pool, url: RedisSenderMemory(redis.Redis(connection_pool=pool), "t").buttons("u"),
        lambda pool, url: RedisSenderMemory(redis.Redis(connection_pool=pool), "t").remember(
            "u", [], ["第二页"]
        ),
        lambda pool, url: RedisSenderMemory(redis.Redis(connection_pool=pool), "t").next_page("u"),
        lambda pool, url: RedisReplyCache(redis.Redis(connection_pool=pool), "t").get("sms", "1"),
        lambda pool, url: RateLimit(redis_storage(url, pool, "t"), "sender", 3, 60).hit("u"),
        lambda pool, url: RateLimit(redis_storage(url, pool, "t"), "sender", 3, 60).reached("u"),
    ],
)
def test_every_piece_reports_redis_down_as_shared_state_error(
    pool: redis.ConnectionPool,
    nobody_listening: str,
    use: Callable[[redis.ConnectionPool, str], object],
) -> None:
    with pytest.raises(SharedStateError):
        use(pool, nobody_listening)


@pytest.mark.anyio
async def test_a_resident_gets_busy_and_the_message_is_not_taken_as_seen(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa, nobody_listening: str
) -> None:
    app = app_factory(redis_url=nobody_listening)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await post_sms(client, sms_form("你好", sid="SM1"))

    assert response.status_code == 200
    assert replies.BUSY in response.text
    assert rasa.received == []


@pytest.mark.anyio
async def test_sign_in_waits_for_redis_rather_than_going_unlimited(
    app_factory: Callable[..., FastAPI], nobody_listening: str, db: Session
) -> None:
    add_cadre(db)
    app = app_factory(redis_url=nobody_listening)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await sign_in(client)

    assert response.status_code == 503
    assert replies.BUSY in response.text

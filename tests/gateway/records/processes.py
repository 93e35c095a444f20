"""Gateway "processes" for tests: several apps on one database, sharing state as processes do.

`stack` is SQLite with the in-process shared state handed to every app (one process's worth
of state, as `make run` has), or a fresh PostgreSQL database with Redis, where every app opens
its own Redis connections as separate gateway processes would. One fake Rasa and one fake
WeChat API serve them all.
"""

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from gateway.app import create_app
from gateway.channels.wechat.api import WeChatAPI
from gateway.shared import SharedState, open_shared_state
from gateway.state import GatewayState
from registry.db import upgrade
from tests.gateway.conftest import APP_ID, APP_SECRET, BASE, actions_up, make_settings
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.shared.conftest import REDIS_URL_VARIABLE
from tests.registry.conftest import _fresh_postgres_database


@dataclass
class Stack:
    database_url: str
    redis_url: str | None = None
    redis_prefix: str = ""
    rasa: FakeRasa = field(default_factory=FakeRasa)
    wechat: FakeWeChat = field(
        default_factory=lambda: FakeWeChat(APP_ID, APP_SECRET, clock=time.monotonic)
    )
    _shared: SharedState | None = None

    def app(self, **overrides: Any) -> FastAPI:
        """One gateway process; `overrides` as for `make_settings`."""
        if self.redis_url:
            overrides = {
                "redis_url": self.redis_url,
                "redis_prefix": self.redis_prefix,
                **overrides,
            }
        settings = make_settings(self.database_url, **overrides)
        if self.redis_url is None and self._shared is None:
            self._shared = open_shared_state(settings, time.time)
        api = WeChatAPI(
            APP_ID, APP_SECRET, "http://fake-wechat", httpx.ASGITransport(app=self.wechat.app())
        )
        return create_app(
            settings,
            rasa=self.rasa.client(settings.rasa_timeout_seconds),
            wechat_api=api,
            probe_transport=httpx.MockTransport(actions_up),
            shared=self._shared,
        )

    @asynccontextmanager
    async def clients(self, *apps: FastAPI) -> AsyncIterator[list[httpx.AsyncClient]]:
        """A client per app; afterwards each app's background work is drained and its
        database engine closed."""
        async with AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
                )
                for app in apps
            ]
            try:
                yield clients
            finally:
                for app in apps:
                    state: GatewayState = app.state.gateway
                    await state.pipeline.drain()
                    if state.wechat_api is not None:
                        await state.wechat_api.aclose()
                    state.engine.dispose()


STACKS = [
    "sqlite",
    pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis]),
]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gateway.db'}"
        upgrade(url)
        yield Stack(url)
        return
    redis_url = os.environ.get(REDIS_URL_VARIABLE)
    if not redis_url:
        pytest.fail(f"{REDIS_URL_VARIABLE} is not set (scripts/redis.sh)", pytrace=False)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    for url in _fresh_postgres_database():
        upgrade(url)
        yield Stack(url, redis_url, prefix)
    with redis.Redis.from_url(redis_url) as client:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)

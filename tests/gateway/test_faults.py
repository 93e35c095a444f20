"""Rasa down, the action server down, Rasa slow (the WeChat 5-second rule), the database
locked: each gets a polite answer, the message is kept, nothing crashes."""

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gateway.channels.wechat.safexml import read_xml
from registry.channel_models import MessageLog
from tests.gateway.conftest import BASE, OPENID, post_sms, sms_form, text_xml, wechat_query
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio
BUSY = "系统繁忙，请稍后再试。"


def statuses(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(MessageLog.status).order_by(MessageLog.id)))


@pytest.mark.parametrize(
    ("case", "fault"),
    [
        ("Rasa refuses connections", {"down": True}),
        ("Rasa answers HTTP 500", {"status": 500}),
        # Rasa swallows a failed custom action and answers nothing at all.
        ("action server down", {"answer": lambda text: []}),
    ],
)
async def test_sms_when_rasa_fails_gets_busy_and_the_message_is_kept(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, case: str, fault: dict[str, Any]
) -> None:
    for name, value in fault.items():
        setattr(rasa, name, value)

    response = await post_sms(client, sms_form("住院能报多少"))

    assert response.status_code == 200, case
    assert messages(response) == [BUSY]
    assert statuses(db) == ["failed"]
    assert [m.text for m in db.scalars(select(MessageLog))] == ["住院能报多少"]


async def test_sms_when_rasa_is_slow_gets_busy_within_the_deadline(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa, db: Session
) -> None:
    rasa.delay = 10.0
    app = app_factory(rasa_timeout_seconds=0.3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        started = time.monotonic()
        response = await post_sms(client, sms_form("住院能报多少"))
        elapsed = time.monotonic() - started

    assert messages(response) == [BUSY]
    assert elapsed < 2.0
    assert statuses(db) == ["failed"]


async def test_sms_when_the_action_server_fails_its_health_check_gets_busy(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa, db: Session
) -> None:
    # Rasa would still answer (its default fallback) without its actions: the gateway must not
    # pass that off as an answer, so it checks the action server itself.
    app = app_factory(probe=lambda request: httpx.Response(503))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await post_sms(client, sms_form("住院能报多少"))

    assert messages(response) == [BUSY]
    assert rasa.received  # Rasa was asked (alongside the health check) but its answer dropped
    assert statuses(db) == ["failed"]


async def test_widget_when_rasa_is_down_gets_busy(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.down = True

    response = await client.post("/api/chat", json={"message": "住院能报多少"})

    assert response.json()["replies"] == [{"text": BUSY, "buttons": []}]


async def test_wechat_when_rasa_is_down_answers_busy_passively(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.down = True

    response = await client.post("/wechat", params=wechat_query(), content=text_xml("你好"))

    assert read_xml(response.content)["Content"] == BUSY


@pytest.mark.parametrize(
    ("passive", "delay"),
    [
        (0.3, 1.0),  # the rule at a tenth of the real scale, fast enough for every run
        (4.0, 10.0),  # the real figures: 4 s passive deadline, a 10-second Rasa
    ],
)
async def test_wechat_slow_rasa_acknowledges_in_time_and_delivers_exactly_once(
    app_factory: Callable[..., FastAPI],
    rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    db: Session,
    passive: float,
    delay: float,
) -> None:
    rasa.delay = delay
    app = app_factory(wechat_passive_seconds=passive)
    xml = text_xml("住院花了两万能报多少")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        started = time.monotonic()
        first = await client.post("/wechat", params=wechat_query(), content=xml)
        acknowledged = time.monotonic() - started
        # WeChat retries the same MsgId while the answer is still being worked out.
        retries = [
            await client.post("/wechat", params=wechat_query(), content=xml) for _ in range(2)
        ]
        assert fake_wechat.delivered == []
        await app.state.gateway.pipeline.drain(timeout=delay + 5)

    assert first.text == "success" and acknowledged < passive + 0.5 < 5.0
    assert [r.text for r in retries] == ["success", "success"]
    assert len(rasa.received) == 1
    assert fake_wechat.delivered == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "您问的是：住院花了两万能报多少"}}
    ]
    assert statuses(db) == ["answered"]


async def test_wechat_answer_in_time_is_passive_and_nothing_is_sent_later(
    client: httpx.AsyncClient, rasa: FakeRasa, fake_wechat: FakeWeChat, app: FastAPI
) -> None:
    rasa.delay = 0.05

    response = await client.post("/wechat", params=wechat_query(), content=text_xml("你好"))
    await app.state.gateway.pipeline.drain()

    assert read_xml(response.content)["Content"] == "您问的是：你好"
    assert fake_wechat.delivered == []


def _lock(database_url: str) -> sqlite3.Connection:
    """Another writer holding SQLite's write lock, as a CLI import would."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


async def test_a_locked_database_gets_a_polite_reply_and_nothing_crashes(
    app: FastAPI, client: httpx.AsyncClient, rasa: FakeRasa, gateway_db: str
) -> None:
    # Wait 50 ms instead of the configured 10 s before SQLite gives up with "locked".
    def short_wait(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA busy_timeout = 50")

    event.listen(app.state.gateway.engine, "connect", short_wait)
    holder = _lock(gateway_db)
    try:
        sms = await post_sms(client, sms_form("住院能报多少"))
        web = await client.post("/api/chat", json={"message": "住院能报多少"})
        wechat = await client.post("/wechat", params=wechat_query(), content=text_xml("你好"))
        ready = await client.get("/readyz")
    finally:
        holder.rollback() if holder.in_transaction else None
        holder.close()

    assert messages(sms) == [BUSY]
    assert web.json()["replies"][0]["text"] == BUSY
    assert read_xml(wechat.content)["Content"] == BUSY
    assert rasa.received == []
    assert ready.status_code in (200, 503)  # a read may pass a write lock; it must answer
    # Once the lock is gone, the same message goes through.
    later = await post_sms(client, sms_form("住院能报多少"))
    assert messages(later) == ["您问的是：住院能报多少"]


async def test_concurrent_retries_reach_rasa_once(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.delay = 0.1
    form = sms_form("医保要交钱吗")

    await asyncio.gather(*(post_sms(client, form) for _ in range(3)))

    assert len(rasa.received) == 1

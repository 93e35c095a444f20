"""The first two messages of a new sender, at the same moment, through the real gateway on
SQLite and PostgreSQL: both answered, one conversation (raw Twilio and WeChat requests)."""

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.app import create_app
from registry import traffic
from registry.channel_models import Conversation, MessageLog
from tests.gateway.conftest import (
    BASE,
    actions_up,
    make_settings,
    post_sms,
    sms_form,
    text_xml,
    wechat_query,
)
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio
BUSY = "系统繁忙，请稍后再试。"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def slow_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each turn's transaction stays open a little after the conversation is found, as on a
    busy server, so the two turns overlap in the database every time."""
    original = traffic.log_message

    def log_message(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.2)
        return original(*args, **kwargs)

    monkeypatch.setattr(traffic, "log_message", log_message)


@pytest.mark.usefixtures("slow_log")
async def test_two_first_messages_at_once_are_both_answered(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    rasa = FakeRasa()
    settings = make_settings(database_url)
    app = create_app(
        settings,
        rasa=rasa.client(settings.rasa_timeout_seconds),
        probe_transport=httpx.MockTransport(actions_up),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        sms = await asyncio.gather(
            post_sms(client, sms_form("住院能报多少", sid="SMfirst")),
            post_sms(client, sms_form("门诊能报多少", sid="SMsecond")),
        )
        wechat = await asyncio.gather(
            *(
                client.post("/wechat", params=wechat_query(), content=text_xml(text, msg_id=i))
                for text, i in (("慢病怎么报", "501"), ("大病保险呢", "502"))
            )
        )
        await app.state.gateway.pipeline.drain()
    app.state.gateway.engine.dispose()

    assert sorted(m for r in sms for m in messages(r)) == [
        "您问的是：住院能报多少",
        "您问的是：门诊能报多少",
    ]
    assert all(BUSY not in r.text for r in wechat) and len(rasa.received) == 4
    with session_factory() as session:
        per_channel = select(Conversation.channel, func.count()).group_by(Conversation.channel)
        counts = {channel: n for channel, n in session.execute(per_channel)}
        assert counts == {"sms": 1, "wechat": 1}
        assert session.scalar(select(func.count()).select_from(MessageLog)) == 4

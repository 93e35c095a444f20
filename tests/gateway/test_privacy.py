"""No full ID number reaches Rasa, a log line, the database's message log or a reply; rate
limits answer politely."""

import logging
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import tokens
from registry.channel_models import MessageLog
from registry.idnumber import mask
from settlement.identifiers import Region
from tests.gateway.conftest import BASE, PHONE, post_sms, sms_form, text_xml, wechat_query
from tests.gateway.fake_rasa import FakeRasa
from tests.registry.factories import make_id_number

pytestmark = pytest.mark.anyio

ID18 = make_id_number(Region("guyang"), "19580301", 123)
ID15 = "150222580301123"


async def test_no_full_id_number_reaches_rasa_logs_the_log_table_or_replies(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A careless action echoing the message back, ID number included.
    rasa.answer = lambda text: [{"text": f"收到：{text}，身份证{ID18}"}]
    full_width = ID18.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    caplog.set_level(logging.DEBUG)

    sms = await post_sms(client, sms_form(f"查一下{ID18}的待遇", sid="SM1"))
    web = await client.post("/api/chat", json={"message": f"查询居民 {ID15}"})
    wechat = await client.post(
        "/wechat", params=wechat_query(), content=text_xml(f"我的身份证号是{full_width}")
    )

    seen = [
        *(str(body) for body in rasa.received),
        caplog.text,
        sms.text,
        web.text,
        wechat.text,
        *db.scalars(select(MessageLog.text)),
    ]
    for text in seen:
        assert ID18 not in text and ID15 not in text
        assert PHONE.removeprefix("+") not in text
    sent = rasa.messages
    assert all("idtk" in message for message in sent)
    token = sent[0].split("查一下")[1].split("的")[0]
    assert tokens.resolve(db, token) == ("id_number", ID18)
    assert mask(ID18) in sms.text  # the reply shows it masked: 150222********1234


async def test_info_logs_carry_hashed_senders_and_no_message_bodies(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="healthaid.gateway")

    await post_sms(client, sms_form("我家住在东河村三组"))

    records = [r for r in caplog.records if r.name == "healthaid.gateway"]
    assert records, "the gateway logs each message"
    assert "东河村" not in caplog.text
    assert all(getattr(r, "sender", "u_").startswith("u_") for r in records)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


async def test_a_sender_over_the_limit_gets_a_polite_reply(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa
) -> None:
    # That the window moves on (a minute later the sender is served again) is the limits
    # library's clock, tested with a short window in tests/gateway/shared/.
    app = app_factory(rate_limit_per_sender=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        answers = [(await post_sms(client, sms_form("你好", sid=f"SM{i}"))).text for i in range(5)]
        other = await post_sms(client, sms_form("你好", sid="SMx", From="+8613900139000"))

    assert sum("发送得太快" in a for a in answers) == 2
    assert len(rasa.received) == 4
    assert "您问的是" in other.text


async def test_the_overall_limit_protects_rasa_from_a_flood(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa
) -> None:
    app = app_factory(rate_limit_global=2, clock=lambda: 5.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        answers = [
            (await post_sms(client, sms_form("你好", sid=f"SM{i}", From=f"+86139{i:08d}"))).text
            for i in range(4)
        ]

    assert len(rasa.received) == 2
    assert sum("发送得太快" in a for a in answers) == 2

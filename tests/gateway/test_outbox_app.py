"""The outbox inside the gateway (SQLite): a slow WeChat answer is written to the outbox before
"success" goes back and sent from there; a process that dies after acknowledging still gets
its resident an answer from another process's loop; the lifespan runs that loop; failures
show on the admin page, masked."""

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.replies import BUSY
from registry.channel_models import SecretToken
from registry.idnumber import mask
from registry.outbox_models import OutboxMessage
from settlement.identifiers import Region
from tests.gateway.conftest import (
    BASE,
    OPENID,
    add_cadre,
    queue_wechat_reply,
    sign_in,
    text_xml,
    wechat_query,
)
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.registry.factories import make_id_number

pytestmark = pytest.mark.anyio
ID_NUMBER = make_id_number(Region("guyang"), "19580301", 123)


def rows(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_slow_answer_is_queued_before_success_and_sent_from_the_outbox(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa, fake_wechat: FakeWeChat, db: Session
) -> None:
    rasa.delay = 0.6
    app = app_factory(wechat_passive_seconds=0.2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.post("/wechat", params=wechat_query(), content=text_xml("你好"))
        [queued] = rows(db)  # written before "success" went back
        await app.state.gateway.pipeline.drain()

    assert response.text == "success"
    assert (queued.status, json.loads(queued.payload)) == ("queued", {"text": BUSY})
    [sent] = rows(db)
    assert (sent.status, sent.attempts, sent.recipient_token) == ("sent", 1, None)
    assert json.loads(sent.payload) == {"text": "您问的是：你好"}
    assert OPENID not in sent.payload + sent.recipient_key
    assert [m["text"]["content"] for m in fake_wechat.delivered] == ["您问的是：你好"]
    # The outbox's token for the OpenID went with the sent row; the one Rasa got remains.
    openid_tokens = (
        select(func.count()).select_from(SecretToken).where(SecretToken.kind == "openid")
    )
    assert db.scalar(openid_tokens) == 1


async def test_after_a_process_dies_having_acknowledged_another_one_sends_busy(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa, fake_wechat: FakeWeChat, db: Session
) -> None:
    rasa.delay = 30.0
    options = {
        "wechat_passive_seconds": 0.2,
        "wechat_async_timeout_seconds": 0.3,
        "outbox_lease_seconds": 0.2,
    }  # the row falls due 0.5 s after the acknowledgement
    dying, other = app_factory(**options), app_factory(**options)
    transport = httpx.ASGITransport(app=dying)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        response = await client.post("/wechat", params=wechat_query(), content=text_xml("你好"))
    for task in list(dying.state.gateway.pipeline._tasks):  # the process is killed
        task.cancel()

    early = await other.state.gateway.outbox.send_due()
    await asyncio.sleep(0.6)
    late = await other.state.gateway.outbox.send_due()

    assert response.text == "success" and (early, late) == (0, 1)
    assert [m["text"]["content"] for m in fake_wechat.delivered] == [BUSY]
    assert [row.status for row in rows(db)] == ["sent"]


async def test_the_lifespan_runs_the_sender_loop(
    app_factory: Callable[..., FastAPI], fake_wechat: FakeWeChat, db: Session
) -> None:
    app = app_factory(outbox_poll_seconds=0.05)
    async with app.router.lifespan_context(app):
        queue_wechat_reply(db, "您的慢病申请已受理", "lifespan")
        db.commit()
        for _ in range(100):
            if fake_wechat.delivered:
                break
            await asyncio.sleep(0.02)

    assert [m["text"]["content"] for m in fake_wechat.delivered] == ["您的慢病申请已受理"]


async def test_the_admin_page_lists_undelivered_messages_masked(
    app: FastAPI, client: httpx.AsyncClient, fake_wechat: FakeWeChat, db: Session
) -> None:
    fake_wechat.enforce_window = True  # nobody wrote within 48 hours: 45015
    text = f"身份证{ID_NUMBER}已结算，电话13800138000"
    queue_wechat_reply(db, text, "admin", recipient_key="u_3f1c" + "0" * 60)
    db.commit()
    await app.state.gateway.outbox.send_due()
    add_cadre(db, "wang", admin=True)
    await sign_in(client, "wang")

    html = (await client.get("/admin")).text.split("未能送达的消息")[1]

    assert "无法送达" in html and "45015 response out of time limit" in html
    assert "<td>微信</td>" in html and "不能主动发送" in html  # in Chinese, then WeChat's words
    assert "u_3f1c" in html and OPENID not in html
    assert ID_NUMBER not in html and mask(ID_NUMBER) in html
    assert "13800138000" not in html and "138****8000" in html

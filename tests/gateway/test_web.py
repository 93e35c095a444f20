"""The widget, sign-in, CSRF, cookies, the admin page and campaign links."""

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import traffic
from registry.channel_models import Conversation, Handoff, MessageLog
from tests.gateway.conftest import (
    PASSWORD,
    add_cadre,
    add_campaign,
    csrf_of,
    post_sms,
    sign_in,
    sms_form,
)
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio


async def test_the_widget_page_is_accessible_and_self_contained(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/chat")

    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<label for="message">' in html
    assert "未登录" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from a CDN
    assert (await client.get("/static/chat.js")).status_code == 200
    assert (await client.get("/static/chat.css")).status_code == 200
    assert "healthaid_sid" in page.cookies


async def test_anonymous_chat_carries_no_cadre_and_keeps_one_sender(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    await client.get("/chat")
    first = await client.post("/api/chat", json={"message": "先诊疗后付费咋弄"})
    await client.post("/api/chat", json={"message": "住院要交押金吗"})

    assert first.json() == {
        "replies": [{"text": "您问的是：先诊疗后付费咋弄", "buttons": []}],
        "handoff": {"open": False, "after": 0},  # no person is answering this widget
    }
    assert [b["metadata"]["cadre_id"] for b in rasa.received] == [None, None]
    assert rasa.received[0]["sender"] == rasa.received[1]["sender"]
    assert rasa.received[0]["input_channel"] == "web"


async def test_quick_reply_buttons_come_back_and_their_payload_is_accepted(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    payload = '/inform{"setting": "inpatient"}'
    rasa.answer = lambda text: [
        {"text": "住院还是门诊？", "buttons": [{"title": "住院", "payload": payload}]}
    ]
    answer = await client.post("/api/chat", json={"message": "能报多少"})

    await client.post("/api/chat", json={"message": payload})
    await client.post("/api/chat", json={"message": '/lookup_resident{"x": 1}'})

    assert answer.json()["replies"][0]["buttons"] == [{"title": "住院", "payload": payload}]
    assert rasa.messages[1] == payload
    assert rasa.messages[2] == 'lookup_resident{"x": 1}'  # not offered: no intent syntax


async def test_a_signed_in_cadre_is_shown_and_passed_to_rasa(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    cadre_id = add_cadre(db)
    signed = await sign_in(client)
    page = await client.get("/chat")

    response = await client.post(
        "/api/chat", json={"message": "查一下"}, headers={"X-CSRF-Token": csrf_of(page)}
    )

    assert signed.status_code == 303
    assert "已登录：李村医" in page.text
    assert response.status_code == 200
    assert rasa.received[0]["metadata"]["cadre_id"] == cadre_id
    assert rasa.received[0]["metadata"]["region"] == "guyang"


async def test_a_signed_in_chat_without_csrf_is_refused(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    add_cadre(db)
    await sign_in(client)

    response = await client.post("/api/chat", json={"message": "查一下"})

    assert response.status_code == 403
    assert rasa.received == []


async def test_the_session_cookie_flags(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)

    response = await sign_in(client)

    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("healthaid_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags


async def test_a_wrong_password_is_refused_politely(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)

    response = await sign_in(client, password="wrong password")

    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text
    assert "已登录" not in (await client.get("/chat")).text


async def test_login_without_csrf_is_refused(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)
    await client.get("/login")

    response = await client.post("/login", data={"username": "li", "password": PASSWORD})

    assert response.status_code == 403


async def test_logout_without_csrf_is_refused(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)
    await sign_in(client)

    assert (await client.post("/logout")).status_code == 403
    assert "已登录" in (await client.get("/chat")).text


async def test_logout_signs_out(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)
    await sign_in(client)
    token = csrf_of(await client.get("/chat"))

    response = await client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert "未登录" in (await client.get("/chat")).text


async def test_five_failures_lock_the_username_even_with_the_right_password(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db)

    failures = [await sign_in(client, password=f"wrong {i}") for i in range(5)]
    locked = await sign_in(client)

    assert [r.status_code for r in failures] == [401] * 5
    assert locked.status_code == 429
    assert "15分钟" in locked.text


async def test_an_open_redirect_after_login_is_not_followed(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db)
    token = csrf_of(await client.get("/login"))

    response = await client.post(
        "/login",
        data={
            "username": "li",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example",
        },
    )

    assert response.headers["location"] == "/chat"


async def test_admin_page_anonymous_is_redirected_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/admin")


async def test_admin_page_is_forbidden_to_cadres(client: httpx.AsyncClient, db: Session) -> None:
    add_cadre(db)
    await sign_in(client)

    response = await client.get("/admin", headers={"Accept": "text/html"})

    assert response.status_code == 403
    assert "只有管理员可以查看此页面" in response.text
    # The header still knows who is signed in (it said 「未登录」 on error pages).
    assert "已登录：李村医" in response.text and "未登录" not in response.text


async def test_a_missing_page_keeps_the_signed_in_header(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db)
    await sign_in(client)

    unknown_path = await client.get("/no-such-page", headers={"Accept": "text/html"})
    unknown_campaign = await client.get("/c/no-such-campaign")

    for response in (unknown_path, unknown_campaign):
        assert response.status_code == 404
        assert "没有找到这个页面" in response.text
        assert "已登录：李村医" in response.text and "未登录" not in response.text


async def test_admin_page_shows_each_campaigns_figures(
    app: FastAPI, client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    add_cadre(db, "wang", admin=True)
    add_campaign(db)
    # Two residents text the campaign keyword; one question the assistant could not answer.
    await post_sms(client, sms_form("GY", sid="SM1"))
    await post_sms(client, sms_form("GY", sid="SM2", From="+8613900139000"))
    rasa.intent = "nlu_fallback"
    await post_sms(client, sms_form("我家的牛病了怎么办", sid="SM3"))
    await app.state.gateway.pipeline.drain()  # the topic is read from Rasa's tracker after
    db.add(Handoff(region="guyang", channel="sms", sender_key="u_x", campaign="gy2024"))
    db.commit()
    await sign_in(client, "wang")

    page = await client.get("/admin")

    assert page.status_code == 200
    html = page.text
    assert "固阳县先诊疗后付费宣传" in html
    assert re.search(r'class="conversations">2<', html)
    assert re.search(r'class="messages">3<', html)
    assert re.search(r'class="handoffs">1<', html)
    # Topics by their Chinese name (policies/answers/national.yaml), never the raw key.
    assert "先诊疗后付费：2次" in html and "treat_first" not in html
    assert "<svg" in html and "近14天每日消息数" in html
    assert "我家的牛病了怎么办" in html.split("没能回答的问题")[1]
    assert db.scalar(select(MessageLog.status).where(MessageLog.text.contains("牛"))) == (
        "unanswered"
    )


async def test_admin_page_names_topics_in_chinese_and_shows_an_unknown_key_as_it_is(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db, "wang", admin=True)
    campaign_id = add_campaign(db)
    conversation = traffic.conversation_for(db, "sms", "u_a", campaign_id)
    for topic in ("one_stop", "one_stop", "retired_topic"):  # the last: no such topic today
        traffic.log_message(db, conversation, "问题", topic=topic)
    db.commit()
    await sign_in(client, "wang")

    page = await client.get("/admin")

    assert page.status_code == 200
    topics = re.findall(r"<li>([^<]*)</li>", page.text.split('class="topics"')[1].split("</ol>")[0])
    assert topics == ["一站式结算：2次", "retired_topic：1次"]


async def test_a_campaign_link_opens_the_widget_and_starts_its_topic(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    campaign_id = add_campaign(db)

    page = await client.get("/c/gy2024")
    response = await client.post("/api/chat", json={"campaign": "gy2024", "start": True})

    assert page.status_code == 200 and 'data-campaign="gy2024"' in page.text
    assert response.status_code == 200
    assert rasa.received[0]["message"] == "/ask_treat_first"
    assert rasa.received[0]["metadata"]["region"] == "guyang"
    assert db.scalar(select(Conversation.campaign_id)) == campaign_id


async def test_an_unknown_campaign_is_a_friendly_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/c/nope")

    assert response.status_code == 404
    assert "没有找到" in response.text


async def test_the_campaign_qr_code_is_a_png(client: httpx.AsyncClient, db: Session) -> None:
    add_campaign(db)

    response = await client.get("/c/gy2024/qr.png")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(response.content[16:20], "big")
    height = int.from_bytes(response.content[20:24], "big")
    assert width == height >= 200  # large enough to print
    assert (await client.get("/c/nope/qr.png")).status_code == 404

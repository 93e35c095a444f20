"""The cadres' inbox: masked transcripts (page and JSON), their region only, every view, reply
and close audited; replies reach WeChat inside its 48-hour window (and not after, when the
registered phone is offered), the widget, and the outbox's "sms" channel."""

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.handoff import CADRE_PREFIX, CLOSED_BY_CADRE
from gateway.handoff_inbox import WECHAT_CLOSED
from registry import tokens
from registry.channel_models import Handoff
from registry.models import AuditLog
from registry.outbox_models import OutboxMessage
from registry.residents import bind_openid
from registry.sqltypes import utcnow
from tests.gateway.conftest import (
    OPENID,
    PHONE,
    post_sms,
    sms_form,
    text_xml,
    wechat_query,
)
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.handoff_helpers import (
    SignedInCadre,
    lines,
    open_handoffs_on_request,
    the_handoff,
)
from tests.registry.factories import add_resident, make_id_number

pytestmark = pytest.mark.anyio
ID_NUMBER = make_id_number("guyang", "19580301", 321)


def audits(db: Session, action: str) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditLog.detail).where(AuditLog.action == action)))


def outbox_rows(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_the_inbox_shows_the_masked_transcript_and_audits_each_new_view(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    gateway_db: str,
    cadre: SignedInCadre,
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await post_sms(client, sms_form(f"查一下{ID_NUMBER}", sid="SM" + "1" * 32))
    await post_sms(client, sms_form("人工", sid="SM" + "2" * 32))
    await post_sms(client, sms_form("回电13912345678", sid="SM" + "3" * 32))
    handoff_id = the_handoff(db).id

    page = await cadre.browser.get("/handoffs")
    listed = await cadre.inbox()
    again = await cadre.inbox(seen=listed["fingerprint"])

    [shown] = listed["handoffs"]
    texts = [line["text"] for line in shown["lines"]]
    assert texts == ["查一下（身份证号）", "人工", "回电139****5678", "已转给工作人员，请稍候。"]
    assert [line["direction"] for line in shown["lines"]][:2] == ["earlier", "earlier"]
    assert (shown["channel_name"], shown["can_reply"], shown["waited_minutes"]) == ("短信", True, 0)
    assert "回电139****5678" in page.text and 'id="handoff-' in page.text
    for secret in (ID_NUMBER, "13912345678", PHONE, PHONE[3:]):
        assert secret not in page.text + json.dumps(listed, ensure_ascii=False)
    assert again == {"fingerprint": listed["fingerprint"], "changed": False}
    # The page and the first poll sent the transcript; the unchanged poll sent nothing.
    assert audits(db, "handoff_viewed") == [f"handoffs={handoff_id}"] * 2
    assert db.scalar(select(AuditLog.actor).where(AuditLog.action == "handoff_viewed")) == (
        f"cadre:{cadre.id}"
    )


async def test_another_regions_request_is_not_found(db: Session, cadre: SignedInCadre) -> None:
    other = Handoff(region="nantong", channel="web", sender_key="u_other", summary="南通")
    db.add(other)
    db.commit()

    one = await cadre.browser.get(f"/api/handoffs/{other.id}")
    replied = await cadre.reply(other.id, "您好")
    closed = await cadre.close(other.id)
    listed = await cadre.inbox()

    assert (one.status_code, replied.status_code, closed.status_code) == (404, 404, 404)
    assert listed["handoffs"] == []
    assert lines(db, other.id) == [] and the_handoff(db).status == "open"


async def test_a_wechat_reply_inside_48_hours_is_sent_by_the_customer_service_api(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    gateway_db: str,
    fake_wechat: FakeWeChat,
    cadre: SignedInCadre,
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await client.post("/wechat", params=wechat_query(), content=text_xml("人工", "2001"))
    handoff_id = the_handoff(db).id

    forged = await cadre.browser.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "您好"})
    sent = await cadre.reply(handoff_id, "您好，我是村医小李")

    assert forged.status_code == 403
    assert sent.status_code == 201 and sent.json()["delivery"] == "sent"
    assert [(m["touser"], m["text"]["content"]) for m in fake_wechat.delivered] == [
        (OPENID, CADRE_PREFIX + "您好，我是村医小李")
    ]
    [row] = outbox_rows(db)
    assert (row.channel, row.kind, row.status) == ("wechat", "handoff", "sent")
    message_id = sent.json()["message_id"]
    assert audits(db, "handoff_replied") == [
        f"handoff={handoff_id} message={message_id} channel=wechat"
    ]
    assert db.scalar(select(AuditLog.actor).where(AuditLog.action == "handoff_replied")) == (
        f"cadre:{cadre.id}"
    )


async def test_after_48_hours_wechat_is_refused_and_the_registered_phone_offered(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    gateway_db: str,
    fake_wechat: FakeWeChat,
    cadre: SignedInCadre,
) -> None:
    resident = add_resident(db, phones=["13700001111"])
    bind_openid(db, OPENID, resident)  # a cadre checked who the follower is
    db.commit()
    open_handoffs_on_request(rasa, gateway_db)
    await client.post("/wechat", params=wechat_query(), content=text_xml("人工", "3001"))
    handoff_id = the_handoff(db).id
    long_ago = utcnow() - timedelta(hours=49)
    db.execute(update(Handoff).values(at=long_ago, last_resident_at=long_ago))
    db.commit()

    shown = (await cadre.browser.get(f"/api/handoffs/{handoff_id}")).json()
    refused = await cadre.reply(handoff_id, "您好")
    by_sms = await cadre.reply(handoff_id, "您好", via_phone=True)

    assert (shown["can_reply"], shown["phone_offer"]) == (False, "137****1111")
    assert shown["note"].startswith(WECHAT_CLOSED) and "13700001111" not in shown["note"]
    assert refused.status_code == 409 and refused.json()["detail"].startswith(WECHAT_CLOSED)
    assert fake_wechat.delivered == []
    assert by_sms.status_code == 201
    [row] = outbox_rows(db)
    assert (row.channel, json.loads(row.payload)) == ("sms", {"text": CADRE_PREFIX + "您好"})
    assert tokens.resolve(db, row.recipient_token or "") == ("phone", "13700001111")


async def test_after_48_hours_without_a_registered_phone_nothing_is_offered(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    gateway_db: str,
    cadre: SignedInCadre,
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await client.post("/wechat", params=wechat_query(), content=text_xml("人工", "4001"))
    long_ago = utcnow() - timedelta(hours=48, minutes=1)
    db.execute(update(Handoff).values(last_resident_at=long_ago))
    db.commit()

    [shown] = (await cadre.inbox())["handoffs"]

    assert (shown["can_reply"], shown["phone_offer"], shown["note"]) == (
        False,
        None,
        WECHAT_CLOSED,
    )


async def test_an_sms_reply_is_queued_on_the_sms_channel_for_the_residents_phone(
    db: Session, cadre: SignedInCadre, sms_handoff: int
) -> None:
    sent = await cadre.reply(sms_handoff, "明天上午到村卫生室找我")

    # No "sms" sender on this branch: the row waits, queued, for the channel's sender.
    assert sent.status_code == 201 and sent.json()["delivery"] == "queued"
    [row] = outbox_rows(db)
    assert (row.channel, row.kind, row.status) == ("sms", "handoff", "queued")
    assert json.loads(row.payload) == {"text": CADRE_PREFIX + "明天上午到村卫生室找我"}
    assert row.idempotency_key == f"handoff:{sms_handoff}:m{sent.json()['message_id']}"
    assert row.recipient_key == the_handoff(db).sender_key
    assert tokens.resolve(db, row.recipient_token or "") == ("phone", PHONE)
    assert PHONE not in row.payload + row.recipient_key


async def test_a_widget_reply_and_the_cadres_close_reach_the_open_widget(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    gateway_db: str,
    cadre: SignedInCadre,
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await client.get("/chat")
    asked = (await client.post("/api/chat", json={"message": "人工"})).json()
    handoff_id = the_handoff(db).id

    sent = await cadre.reply(handoff_id, "您好，请讲")
    fetched = await client.get("/api/chat/handoff", params={"after": asked["handoff"]["after"]})
    stranger = await cadre.browser.get("/api/chat/handoff", params={"after": 0})  # another browser
    closed = await cadre.close(handoff_id)
    after_close = await client.get("/api/chat/handoff", params={"after": fetched.json()["after"]})

    assert sent.status_code == 201 and sent.json() == {
        "message_id": sent.json()["message_id"],
        "outbox_id": None,
        "delivery": "widget",
    }
    assert [(m["by"], m["text"]) for m in fetched.json()["messages"]] == [("cadre", "您好，请讲")]
    assert fetched.json()["open"] is True
    assert stranger.json()["messages"] == []
    assert closed.json() == {"closed": True}
    assert [m["text"] for m in after_close.json()["messages"]] == [CLOSED_BY_CADRE]
    assert after_close.json()["open"] is False
    assert the_handoff(db).closed_by == f"cadre:{cadre.id}"
    assert audits(db, "handoff_closed") == [f"handoff={handoff_id}"]
    assert outbox_rows(db) == []  # the widget needs no provider
    # The resident's next message reaches the assistant again.
    again = (await client.post("/api/chat", json={"message": "住院能报多少"})).json()
    assert [r["text"] for r in again["replies"]] == ["您问的是：住院能报多少"]


async def test_a_cadre_closing_an_sms_request_tells_the_resident(
    db: Session, cadre: SignedInCadre, sms_handoff: int
) -> None:
    contact = the_handoff(db).contact_token  # read before the close clears it
    assert contact is not None and tokens.resolve(db, contact) == ("phone", PHONE)

    closed = await cadre.browser.post(
        f"/handoffs/{sms_handoff}/close", data={"csrf_token": cadre.csrf}
    )

    assert closed.status_code == 303
    [row] = outbox_rows(db)
    assert (row.channel, json.loads(row.payload)) == ("sms", {"text": CLOSED_BY_CADRE})
    assert tokens.resolve(db, row.recipient_token or "") == ("phone", PHONE)
    assert the_handoff(db).contact_token is None
    assert tokens.resolve(db, contact) is None  # the handoff's own token is gone


async def test_a_request_without_a_region_reaches_every_regions_cadres(
    db: Session, cadre: SignedInCadre
) -> None:
    # A resident who asked for a person before naming a place: nobody knows whose it is, so
    # every region's cadres see it (and it says so) rather than none.
    unknown = Handoff(region=None, channel="web", sender_key="u_x", summary="地区：未知")
    other = Handoff(region="nantong", channel="web", sender_key="u_y", summary="地区：南通市")
    db.add_all([unknown, other])
    db.commit()

    listed = await cadre.inbox()

    assert [h["id"] for h in listed["handoffs"]] == [unknown.id]
    assert "地区：未知" in listed["handoffs"][0]["summary"]
    assert (await cadre.browser.get(f"/api/handoffs/{unknown.id}")).status_code == 200
    assert (await cadre.browser.get(f"/api/handoffs/{other.id}")).status_code == 404

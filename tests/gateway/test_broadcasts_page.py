"""The broadcasts pages: the form, the preview (as the resident sees it, SMS segments, how
many it reaches), sending only after confirmation with the CSRF token, audited; and one
broadcast's figures with its chart. The engine runs in Huey's immediate mode here: these tests
are about the pages (tests/gateway/broadcasts/ run a real consumer)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from huey import MemoryHuey
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.broadcasts.engine import build_engine
from registry.channel_models import Conversation
from registry.db import get_engine, make_sessionmaker
from registry.models import AuditLog
from registry.outbox_models import OutboxMessage
from registry.people_models import Campaign
from tests.gateway.broadcasts.helpers import opt_out, resident
from tests.gateway.broadcasts.test_engine import Recorder
from tests.gateway.conftest import (
    BASE,
    add_cadre,
    add_campaign,
    csrf_of,
    make_settings,
    post_sms,
    sign_in,
    sms_form,
)

pytestmark = pytest.mark.anyio
TEXT = "【固阳县卫健委】" + "免费体检本月开始，请带身份证到村卫生室。" * 4  # 88 characters


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def admin(
    app_factory: Callable[..., FastAPI], gateway_db: str, db: Session, recorder: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(gateway_db)
    engine = get_engine(gateway_db)
    broadcasts = build_engine(
        settings, make_sessionmaker(engine), recorder.channels, huey=MemoryHuey(immediate=True)
    )
    app = app_factory(broadcasts=broadcasts)
    add_cadre(db, "wang", admin=True)
    add_campaign(db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        await sign_in(c, "wang")
        yield c
    engine.dispose()


def form(token: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": token, "campaign": "gy2024", "text": TEXT, "channel": "sms"} | extra


async def test_the_preview_shows_the_text_its_segments_and_the_residents_it_reaches(
    admin: httpx.AsyncClient, db: Session, gateway_db: str
) -> None:
    settings = make_settings(gateway_db)
    resident(db)
    opt_out(db, settings, resident(db))
    resident(db, consent=False)
    db.commit()
    token = csrf_of(await admin.get("/broadcasts"))

    page = await admin.post("/broadcasts/preview", data=form(token))

    assert page.status_code == 200
    assert TEXT in page.text
    assert "共88个字，按2条短信计费" in page.text  # 70 alone; 67 a part: 88 → 2
    assert (
        '将发给 <strong id="reach">1</strong> 位居民（同意接收 2 位，其中已退订 1 位不发）'
        in page.text
    )
    with db.begin():
        assert db.scalars(select(OutboxMessage)).all() == []  # a preview sends nothing


async def test_sending_needs_confirmation_and_the_token_then_is_audited_and_sent(
    admin: httpx.AsyncClient, db: Session, recorder: Recorder
) -> None:
    person = resident(db)
    db.commit()
    token = csrf_of(await admin.get("/broadcasts"))

    forged = await admin.post("/broadcasts", data=form("forged", confirm="yes"))
    unconfirmed = await admin.post("/broadcasts", data=form(token))
    sent = await admin.post("/broadcasts", data=form(token, confirm="yes"))

    assert forged.status_code == 403
    assert unconfirmed.status_code == 422 and "请先预览，再确认发送" in unconfirmed.text
    assert sent.status_code == 303 and sent.headers["location"].startswith("/broadcasts/")
    assert recorder.sent == [("+86" + person.phone_numbers[0], TEXT)]
    actions = db.scalars(select(AuditLog.action)).all()
    assert actions.count("broadcasts.create") == 1


async def test_the_statistics_page_counts_and_charts_a_broadcast(
    admin: httpx.AsyncClient, db: Session, gateway_db: str
) -> None:
    settings = make_settings(gateway_db)
    resident(db)
    resident(db)
    opt_out(db, settings, resident(db))
    db.commit()
    token = csrf_of(await admin.get("/broadcasts"))
    location = (await admin.post("/broadcasts", data=form(token, confirm="yes"))).headers[
        "location"
    ]

    page = await admin.get(location)

    assert page.status_code == 200
    assert '<dd id="count-sent">2</dd>' in page.text
    assert '<dd id="count-opted_out">1</dd>' in page.text
    assert '<dd id="count-failed">0</dd>' in page.text
    assert '<span id="status">已完成</span>' in page.text
    assert 'aria-label="每小时发送条数"' in page.text and "2条</title>" in page.text
    assert "+86" not in page.text  # no phone number on the page


async def test_another_regions_broadcast_is_not_found(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    page = await admin.get("/broadcasts/999")

    assert page.status_code == 404


async def test_a_reply_to_a_broadcast_is_counted_and_tagged_with_its_campaign(
    admin: httpx.AsyncClient, db: Session
) -> None:
    person = resident(db)
    db.commit()
    token = csrf_of(await admin.get("/broadcasts"))
    location = (await admin.post("/broadcasts", data=form(token, confirm="yes"))).headers[
        "location"
    ]

    answer = await post_sms(admin, sms_form("体检要带什么", From="+86" + person.phone_numbers[0]))

    assert answer.status_code == 200
    conversation = db.scalars(select(Conversation)).one()
    campaign = db.scalars(select(Campaign)).one()
    assert (conversation.channel, conversation.campaign_id) == ("sms", campaign.id)
    assert '<dd id="replies">1</dd>' in (await admin.get(location)).text


async def test_delivery_reports_move_a_broadcasts_messages_to_delivered_or_failed(
    admin: httpx.AsyncClient, db: Session
) -> None:
    for _ in range(3):
        resident(db)
    db.commit()
    token = csrf_of(await admin.get("/broadcasts"))
    location = (await admin.post("/broadcasts", data=form(token, confirm="yes"))).headers[
        "location"
    ]
    rows = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [row.status for row in rows] == ["sent"] * 3
    # what Twilio's status callbacks record (registry/delivery.py)
    rows[0].delivery_status, rows[1].delivery_status = "delivered", "undelivered"
    db.commit()

    page = (await admin.get(location)).text

    assert '<dd id="count-delivered">1</dd>' in page
    assert '<dd id="count-failed">1</dd>' in page
    assert '<dd id="count-sent">1</dd>' in page  # no report yet

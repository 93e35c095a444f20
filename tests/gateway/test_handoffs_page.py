"""The cadres' list of 转人工 requests: their region only, closed with a CSRF-checked form."""

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.channel_models import Handoff
from registry.models import AuditLog
from tests.gateway.conftest import add_cadre, add_campaign, csrf_of, sign_in

pytestmark = pytest.mark.anyio


def _handoff(
    db: Session, region: str, summary: str, channel: str = "sms", campaign: str | None = None
) -> int:
    handoff = Handoff(
        region=region, channel=channel, sender_key="u_x", summary=summary, campaign=campaign
    )
    db.add(handoff)
    db.commit()
    return handoff.id


async def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/handoffs")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/handoffs")


async def test_a_cadre_sees_the_open_requests_of_their_region_only(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db)  # region guyang
    _handoff(db, "guyang", "想问慢性病鉴定")
    _handoff(db, "nantong", "南通的请求")
    await sign_in(client)

    page = await client.get("/handoffs")

    assert page.status_code == 200
    assert "想问慢性病鉴定" in page.text
    assert "南通的请求" not in page.text


async def test_closing_needs_the_csrf_token_and_is_audited(
    client: httpx.AsyncClient, db: Session
) -> None:
    cadre_id = add_cadre(db)
    handoff_id = _handoff(db, "guyang", "请回电")
    other_region = _handoff(db, "rongchang", "荣昌的请求")
    await sign_in(client)
    token = csrf_of(await client.get("/handoffs"))

    forged = await client.post(f"/handoffs/{handoff_id}/close", data={})
    closed = await client.post(f"/handoffs/{handoff_id}/close", data={"csrf_token": token})
    foreign = await client.post(f"/handoffs/{other_region}/close", data={"csrf_token": token})

    db.expire_all()
    statuses = dict(db.execute(select(Handoff.id, Handoff.status)).all())
    assert forged.status_code == 403
    assert closed.status_code == 303
    assert foreign.status_code == 404  # another region's request is not found
    assert statuses == {handoff_id: "closed", other_region: "open"}
    actions = list(db.scalars(select(AuditLog.action).where(AuditLog.actor == f"cadre:{cadre_id}")))
    assert actions.count("handoff_closed") == 1
    assert not re.search(r'id="handoff-', (await client.get("/handoffs")).text)


async def test_channels_and_campaigns_are_shown_by_their_chinese_names(
    client: httpx.AsyncClient, db: Session
) -> None:
    add_cadre(db)
    add_campaign(db)  # gy2024, 固阳县先诊疗后付费宣传
    wechat = _handoff(db, "guyang", "想问体检", channel="wechat", campaign="gy2024")
    web = _handoff(db, "guyang", "网页上问的", channel="web", campaign="gone2023")
    await sign_in(client)

    page = (await client.get("/handoffs")).text

    first = page.split(f'id="handoff-{wechat}"')[1].split("</li>")[0]
    second = page.split(f'id="handoff-{web}"')[1].split("</li>")[0]
    assert "微信" in first and "活动：固阳县先诊疗后付费宣传" in first
    assert "wechat" not in first and "gy2024" not in first
    # A campaign deleted since: its code is all there is to show.
    assert "网页" in second and "活动：gone2023" in second

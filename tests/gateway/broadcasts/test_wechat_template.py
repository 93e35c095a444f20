"""A WeChat broadcast, sent by the broadcast job through the outbox to the fake WeChat API:
a customer-service message to residents who wrote within 48 hours, the configured template
message to the others, and what is recorded when there is no template or WeChat refuses it."""

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from limits.storage import MemoryStorage
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.channels import ChannelsOf
from gateway.broadcasts.job import BroadcastJob
from gateway.broadcasts.throttle import Throttle
from gateway.names import error_reason
from gateway.settings import Settings
from gateway.text import sender_key
from registry import broadcast_stats, residents, traffic
from registry.broadcast_models import Broadcast
from registry.broadcasts import Audience
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow
from tests.gateway.broadcasts.helpers import GUYANG, TEXT, broadcast_to, resident, settings_for
from tests.gateway.conftest import APP_ID, APP_SECRET
from tests.gateway.fake_wechat import FakeWeChat

pytestmark = pytest.mark.anyio
TEMPLATE_ID = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
LAYOUT = {"first": "健康帮扶通知", "keyword1": "{text}", "remark": "回复“人工”可咨询工作人员"}
RECENT, OLD, NEVER = (
    "oWroteAnHourAgo000000000001",
    "oWroteThreeDaysAgo00000001",
    "oNeverWrote0000000000000001",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def followers(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Three bound followers, in resident order: one wrote an hour ago, one three days ago,
    one never; and a WeChat broadcast to them. The broadcast's id."""
    now = utcnow()
    with sessions.begin() as session:
        for openid, wrote in (
            (RECENT, timedelta(hours=1)),
            (OLD, timedelta(days=3)),
            (NEVER, None),
        ):
            residents.bind_openid(session, openid, resident(session))
            if wrote is not None:
                key = sender_key(openid, settings.sender_secret)
                traffic.conversation_for(session, "wechat", key, None, now=now - wrote)
        return broadcast_to(session, Audience(GUYANG, "wechat")).id


async def send(
    sessions: sessionmaker[Session], settings: Settings, fake: FakeWeChat, broadcast_id: int
) -> None:
    job = BroadcastJob(
        sessions,
        ChannelsOf(settings, wechat_transport=httpx.ASGITransport(app=fake.app())),
        Throttle(MemoryStorage(), {"wechat": "100/second"}),
        lambda raw: sender_key(raw, settings.sender_secret),
    )
    assert (await job.run(broadcast_id)).finished


def outcome(sessions: sessionmaker[Session], broadcast_id: int) -> tuple[list[Any], dict[str, int]]:
    """Each row's (status, last error, provider id) in resident order, and the counts."""
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        counts = broadcast_stats.stats(session, broadcast).counts
        return [(r.status, r.last_error, r.provider_id) for r in rows], counts


def fake_wechat(**options: Any) -> FakeWeChat:
    return FakeWeChat(
        APP_ID, APP_SECRET, clock=time.monotonic, templates=frozenset({TEMPLATE_ID}), **options
    )


async def test_inside_the_window_a_customer_service_message_outside_it_the_template(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    settings = settings_for(
        database_url, wechat_template_id=TEMPLATE_ID, wechat_template_data=LAYOUT
    )
    broadcast_id = followers(session_factory, settings)
    fake = fake_wechat()

    await send(session_factory, settings, fake, broadcast_id)

    assert fake.delivered == [{"touser": RECENT, "msgtype": "text", "text": {"content": TEXT}}]
    expected = {
        "first": {"value": "健康帮扶通知"},
        "keyword1": {"value": TEXT},
        "remark": {"value": LAYOUT["remark"]},
    }
    assert fake.templates_sent == [
        {"touser": OLD, "template_id": TEMPLATE_ID, "data": expected},
        {"touser": NEVER, "template_id": TEMPLATE_ID, "data": expected},
    ]
    rows, counts = outcome(session_factory, broadcast_id)
    assert rows == [("sent", None, None), ("sent", None, "200000001"), ("sent", None, "200000002")]
    assert counts["sent"] == 3 and counts["failed"] == 0


async def test_without_a_template_those_outside_the_window_are_undeliverable_with_the_reason(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    settings = settings_for(database_url)  # no HEALTHAID_WECHAT__TEMPLATE_ID
    broadcast_id = followers(session_factory, settings)
    fake = fake_wechat()

    await send(session_factory, settings, fake, broadcast_id)

    assert [m["touser"] for m in fake.delivered] == [RECENT]
    assert fake.template_requests == 0 and fake.send_requests == 1
    rows, counts = outcome(session_factory, broadcast_id)
    assert [status for status, _, _ in rows] == ["sent", "undeliverable", "undeliverable"]
    reasons = {error_reason(error) for _, error, _ in rows if error}
    assert reasons == {"居民48小时内没有发过消息，又未设置模板消息，微信无法送达"}
    assert (counts["sent"], counts["failed"]) == (1, 2)


@pytest.mark.parametrize(
    ("options", "template_id", "statuses", "reason"),
    [
        # OLD refuses the account's template messages: that resident only
        ({"template_refused": frozenset({OLD})}, TEMPLATE_ID, ["undeliverable", "sent"], "拒收"),
        # a template id the account does not have: every template message fails alike
        ({}, "a-template-id-with-a-typo", ["failed", "failed"], "模板ID无效"),
    ],
)
async def test_a_refused_template_message_is_recorded_never_retried(
    session_factory: sessionmaker[Session],
    database_url: str,
    options: dict[str, Any],
    template_id: str,
    statuses: list[str],
    reason: str,
) -> None:
    settings = settings_for(
        database_url, wechat_template_id=template_id, wechat_template_data=LAYOUT
    )
    broadcast_id = followers(session_factory, settings)
    fake = fake_wechat(**options)

    await send(session_factory, settings, fake, broadcast_id)

    rows, _ = outcome(session_factory, broadcast_id)
    assert rows[0][0] == "sent"  # the customer-service message inside the window
    assert [status for status, _, _ in rows[1:]] == statuses  # OLD, NEVER: template messages
    assert reason in error_reason(rows[1][1])
    assert fake.template_requests == 2  # one each, no retry


async def test_when_wechat_says_the_window_closed_the_template_goes_instead(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    # The registry saw a message an hour ago, but WeChat counts no open window (45015): the
    # template message reaches the resident all the same.
    settings = settings_for(
        database_url, wechat_template_id=TEMPLATE_ID, wechat_template_data=LAYOUT
    )
    broadcast_id = followers(session_factory, settings)
    fake = fake_wechat(enforce_window=True)

    await send(session_factory, settings, fake, broadcast_id)

    assert fake.send_requests == 1 and fake.delivered == []
    assert [m["touser"] for m in fake.templates_sent] == [RECENT, OLD, NEVER]
    rows, _ = outcome(session_factory, broadcast_id)
    assert [status for status, _, _ in rows] == ["sent"] * 3

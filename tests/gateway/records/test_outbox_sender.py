"""The outbox sender against the fake WeChat API, on SQLite and PostgreSQL: a row left
`sending` by a sender that died is sent once after its lease, never twice, by two senders
polling at once; refusals are recorded once and never retried in a loop; a refused token is
refreshed once; transient errors are retried a bounded number of times."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import outbox as sending
from gateway.channels.wechat.api import WeChatAPI
from gateway.channels.wechat.delivery import wechat_delivery
from gateway.metrics import Metrics
from gateway.outbox import OutboxSender, Outcome
from registry import outbox
from registry.channel_models import SecretToken
from registry.db import get_engine, make_sessionmaker
from registry.outbox_models import OutboxMessage
from tests.gateway.conftest import APP_ID, APP_SECRET, OPENID, queue_wechat_reply
from tests.gateway.fake_wechat import FakeWeChat

pytestmark = pytest.mark.anyio
LEASE = 0.5
Processes = Callable[..., Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat(APP_ID, APP_SECRET, clock=time.monotonic)


@pytest.fixture
def senders(database_url: str, wechat: FakeWeChat) -> Processes:
    """`async with senders(n) as [...]`: n senders, each with its own engine and WeChat client,
    as in n gateway processes."""

    @asynccontextmanager
    async def start(count: int = 1, **options: Any) -> AsyncIterator[list[OutboxSender]]:
        async with AsyncExitStack() as stack:
            started = []
            for _ in range(count):
                engine = get_engine(database_url)
                stack.callback(engine.dispose)
                transport = httpx.ASGITransport(app=wechat.app())
                api = WeChatAPI(APP_ID, APP_SECRET, "http://fake-wechat", transport)
                await stack.enter_async_context(api)
                channels = {"wechat": wechat_delivery(api)}
                options = {"lease_seconds": LEASE, **options}
                started.append(
                    OutboxSender(make_sessionmaker(engine), channels, Metrics(), **options)
                )
            yield started

    return start


def queue(sessions: sessionmaker[Session], text: str = "您的报销结果", key: str = "r1") -> int:
    with sessions.begin() as session:
        return queue_wechat_reply(session, text, key)


def row(sessions: sessionmaker[Session], row_id: int) -> OutboxMessage:
    with sessions() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def test_a_row_stuck_sending_is_sent_once_after_its_lease_never_twice(
    session_factory: sessionmaker[Session], senders: Processes, wechat: FakeWeChat
) -> None:
    row_id = queue(session_factory)
    with session_factory.begin() as session:  # a sender claims it, then its process dies
        outbox.claim_due(session, timedelta(seconds=LEASE))

    async with senders(2) as (first, second):
        early = await asyncio.gather(first.send_due(), second.send_due())
        await asyncio.sleep(LEASE)
        after = await asyncio.gather(first.send_due(), second.send_due())
        later = await asyncio.gather(first.send_due(), second.send_due())

    assert early == [0, 0] and sorted(after) == [0, 1] and later == [0, 0]
    assert [m["text"]["content"] for m in wechat.delivered] == ["您的报销结果"]
    done = row(session_factory, row_id)
    assert (done.status, done.attempts, done.recipient_token) == ("sent", 2, None)


@pytest.mark.parametrize(
    ("window", "errcode"),
    [
        ("closed", 45015),  # more than 48 hours since the resident's last message
        ("used", 45047),  # the 5 customer-service messages of the window are used
    ],
)
async def test_a_refusal_is_undeliverable_at_once_and_never_retried(
    session_factory: sessionmaker[Session],
    senders: Processes,
    wechat: FakeWeChat,
    window: str,
    errcode: int,
) -> None:
    wechat.enforce_window = True
    async with senders(1) as (sender,):
        if window == "used":
            wechat.user_message(OPENID)
            for index in range(5):
                queue(session_factory, f"第{index + 1}条", key=f"used{index}")
            await sender.send_due()
        row_id = queue(session_factory, "第六条", key="refused")
        for _ in range(3):
            await sender.send_due()
            await asyncio.sleep(LEASE)

    refused = row(session_factory, row_id)
    assert (refused.status, refused.attempts) == ("undeliverable", 1)
    assert refused.last_error is not None and refused.last_error.startswith(f"{errcode} ")
    assert wechat.send_requests == len(wechat.delivered) + 1  # one request for the refusal


async def test_a_refused_token_is_refreshed_once_and_the_message_sent(
    session_factory: sessionmaker[Session], senders: Processes, wechat: FakeWeChat
) -> None:
    async with senders(1) as (sender,):
        queue(session_factory, "第一条", key="a")
        await sender.send_due()
        wechat.revoke_all()  # an AppSecret reset: the cached token is dead
        second = queue(session_factory, "第二条", key="b")
        await sender.send_due()

    assert row(session_factory, second).status == "sent"
    assert wechat.token_requests == 2 and len(wechat.delivered) == 2


async def test_a_token_refused_after_its_refresh_fails_the_row_once(
    session_factory: sessionmaker[Session], senders: Processes, wechat: FakeWeChat
) -> None:
    async with senders(1) as (sender,):
        queue(session_factory, "第一条", key="a")
        await sender.send_due()
        wechat.revoke_all()
        wechat.faults = [40001]  # the new token is refused as well
        failed = queue(session_factory, "第二条", key="b")
        for _ in range(3):
            await sender.send_due()
            await asyncio.sleep(LEASE)

    recorded = row(session_factory, failed)
    assert (recorded.status, recorded.attempts) == ("failed", 1)
    assert recorded.last_error is not None and recorded.last_error.startswith("40001 invalid")
    assert wechat.token_requests == 2  # the first token and one refresh
    assert wechat.send_requests == 3  # the first message, and the second twice


async def test_transient_errors_are_retried_then_given_up(
    session_factory: sessionmaker[Session],
    senders: Processes,
    wechat: FakeWeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sending, "RETRY_AFTER_SECONDS", (0.05,))
    wechat.faults = [-1, -1, -1, -1]  # 「系统繁忙」 every time
    row_id = queue(session_factory)

    async with senders(1, max_attempts=3) as (sender,):
        for _ in range(6):
            await sender.send_due()
            await asyncio.sleep(0.06)

    recorded = row(session_factory, row_id)
    assert (recorded.status, recorded.attempts) == ("failed", 3)
    assert recorded.last_error is not None
    assert recorded.last_error.startswith("gave up after 3 attempts: -1 system error")
    assert wechat.send_requests == 3


async def test_a_busy_answer_is_retried_and_then_sent(
    session_factory: sessionmaker[Session],
    senders: Processes,
    wechat: FakeWeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sending, "RETRY_AFTER_SECONDS", (0.05,))
    wechat.faults = [-1]
    row_id = queue(session_factory)

    async with senders(1) as (sender,):
        await sender.send_due()
        assert row(session_factory, row_id).status == "queued"
        await asyncio.sleep(0.06)
        await sender.send_due()

    assert (row(session_factory, row_id).status, len(wechat.delivered)) == ("sent", 1)


async def test_a_row_whose_recipient_token_was_purged_is_undeliverable_without_a_request(
    session_factory: sessionmaker[Session], senders: Processes, wechat: FakeWeChat
) -> None:
    row_id = queue(session_factory)
    with session_factory.begin() as session:
        session.execute(delete(SecretToken))

    async with senders(1) as (sender,):
        assert await sender.send_now(row_id) is Outcome.UNDELIVERABLE

    assert row(session_factory, row_id).last_error == "recipient token expired"
    assert wechat.send_requests == 0


async def test_a_channel_that_is_not_configured_fails_its_rows(
    session_factory: sessionmaker[Session],
) -> None:
    row_id = queue(session_factory)
    sender = OutboxSender(session_factory, {}, Metrics(), lease_seconds=LEASE)

    assert await sender.send_due() == 1

    recorded = row(session_factory, row_id)
    assert (recorded.status, recorded.last_error) == ("failed", "wechat is not configured")
    with session_factory() as session:
        assert session.scalar(select(SecretToken)) is None  # the raw OpenID is gone with it

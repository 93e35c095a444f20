"""Copies of one provider message at once, on two gateway processes sharing the database and
the shared state (SQLite with in-process state; PostgreSQL with Redis): exactly one Rasa call
and the same answer for every copy; a copy that comes after the first copy's worker died is
answered, not dropped. Raw Twilio and WeChat requests, with real concurrency."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from gateway.channels.wechat.safexml import read_xml
from gateway.replies import BUSY
from registry.channel_models import MessageLog, Receipt
from registry.db import get_engine, make_sessionmaker
from tests.gateway.conftest import OPENID, post_sms, sms_form, text_xml, wechat_query
from tests.gateway.records.processes import Stack, stack
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio
__all__ = ["stack"]  # the fixture, found by pytest by name


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def recorded(stack: Stack) -> tuple[list[str], int]:
    """The logged messages' statuses, and how many receipts."""
    engine = get_engine(stack.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            statuses = list(session.scalars(select(MessageLog.status).order_by(MessageLog.id)))
            return statuses, session.scalar(select(func.count()).select_from(Receipt)) or 0
    finally:
        engine.dispose()


def wechat_post(
    client: httpx.AsyncClient, text: str, msg_id: str
) -> "asyncio.Future[httpx.Response]":
    return asyncio.ensure_future(
        client.post("/wechat", params=wechat_query(), content=text_xml(text, msg_id=msg_id))
    )


async def test_three_sms_copies_at_once_on_two_processes_get_one_answer(stack: Stack) -> None:
    stack.rasa.delay = 0.3  # the first copy is still being answered when the others come
    form = sms_form("住院花了两万能报多少", sid="SMcopies")
    async with stack.clients(stack.app(), stack.app()) as (first, second):
        responses = await asyncio.gather(
            post_sms(first, form), post_sms(second, form), post_sms(first, form)
        )

    assert len(stack.rasa.received) == 1
    assert [messages(r) for r in responses] == [["您问的是：住院花了两万能报多少"]] * 3
    assert recorded(stack) == (["answered"], 1)


async def test_three_wechat_copies_at_once_get_the_same_passive_answer(stack: Stack) -> None:
    stack.rasa.delay = 0.3
    async with stack.clients(stack.app(), stack.app()) as (first, second):
        responses = await asyncio.gather(
            *(wechat_post(c, "慢病门诊怎么报", "7001") for c in (first, second, second))
        )

    assert len(stack.rasa.received) == 1
    assert [read_xml(r.content)["Content"] for r in responses] == ["您问的是：慢病门诊怎么报"] * 3
    assert stack.wechat.delivered == []  # nothing went through the customer-service API


async def test_three_slow_wechat_copies_are_acknowledged_and_answered_once_by_the_outbox(
    stack: Stack,
) -> None:
    stack.rasa.delay = 1.0  # longer than the passive deadline below
    apps = [stack.app(wechat_passive_seconds=0.3) for _ in range(2)]
    async with stack.clients(*apps) as (first, second):
        responses = await asyncio.gather(
            *(wechat_post(c, "大病保险怎么报", "7002") for c in (first, second, first))
        )

    assert [r.text for r in responses] == ["success"] * 3
    assert len(stack.rasa.received) == 1
    assert stack.wechat.delivered == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "您问的是：大病保险怎么报"}}
    ]


async def test_a_copy_after_the_first_worker_died_is_answered(stack: Stack) -> None:
    # The first process takes the message, asks Rasa and dies before answering; Twilio's
    # retry reaches the other process, which waits out the dead claim and answers.
    stack.rasa.delay = 30.0
    settings = {"rasa_timeout_seconds": 0.5, "claim_margin_seconds": 0.3}  # claims of 0.8 s
    form = sms_form("门诊能报多少", sid="SMdied")
    async with stack.clients(stack.app(**settings), stack.app(**settings)) as (dying, other):
        killed = asyncio.ensure_future(post_sms(dying, form))
        while not stack.rasa.received:
            await asyncio.sleep(0.01)
        killed.cancel()
        stack.rasa.delay = 0.0

        retry = await post_sms(other, form)

    assert messages(retry) == ["您问的是：门诊能报多少"]
    assert len(stack.rasa.received) == 2
    assert recorded(stack) == (["failed", "answered"], 1)  # the abandoned turn, then the answer


async def test_a_copy_after_the_first_worker_died_gets_the_answer_rasa_already_gave(
    stack: Stack,
) -> None:
    # The first process posts the message to Rasa and dies; Rasa finishes the turn anyway
    # (the proxy does not abort it). The retry finds the message in the sender's tracker and
    # answers with what Rasa said then: Rasa runs it once, the form does not advance twice.
    stack.rasa.delay, stack.rasa.finishes_abandoned = 0.3, True
    settings = {"rasa_timeout_seconds": 0.5, "claim_margin_seconds": 0.3}  # claims of 0.8 s
    form = sms_form("住院花了两万能报多少", sid="SMheard")
    async with stack.clients(stack.app(**settings), stack.app(**settings)) as (dying, other):
        killed = asyncio.ensure_future(post_sms(dying, form))
        while not stack.rasa.received:
            await asyncio.sleep(0.01)
        killed.cancel()

        retry = await post_sms(other, form)

    [tracker] = stack.rasa.trackers.values()
    assert messages(retry) == ["您问的是：住院花了两万能报多少"]
    assert len(stack.rasa.received) == 1
    assert [e["metadata"]["message_key"] for e in tracker if e["event"] == "user"] == ["SMheard"]
    assert recorded(stack) == (["failed", "answered"], 1)


async def test_a_copy_waits_while_the_first_worker_retries_on_the_surviving_rasa(
    stack: Stack,
) -> None:
    # The first post dies with its Rasa instance; the worker retries, which takes longer than
    # its claim was for. It holds the claim meanwhile, and the copy waits for its answer
    # instead of answering nothing or running the message a third time.
    stack.rasa.dies, stack.rasa.delay = 1, 1.5
    settings = {
        "rasa_timeout_seconds": 0.5,
        "claim_margin_seconds": 0.3,  # claims of 0.8 s
        "rasa_failover_seconds": 3.0,
    }
    form = sms_form("大病保险怎么报", sid="SMfailover")
    async with stack.clients(stack.app(**settings), stack.app(**settings)) as (first, second):
        original = asyncio.ensure_future(post_sms(first, form))
        while not stack.rasa.received:
            await asyncio.sleep(0.01)

        copy = await post_sms(second, form)
        await original

    assert messages(copy) == messages(original.result()) == ["您问的是：大病保险怎么报"]
    assert len(stack.rasa.received) == 2  # the post that died, and the retry
    assert recorded(stack) == (["answered"], 1)


async def test_a_copy_while_the_answer_is_still_coming_waits_for_it_not_an_empty_reply(
    stack: Stack,
) -> None:
    stack.rasa.delay = 0.5
    form = sms_form("先诊疗后付费是什么", sid="SMwait")
    async with stack.clients(stack.app(), stack.app()) as (first, second):
        original = asyncio.ensure_future(post_sms(first, form))
        while not stack.rasa.received:
            await asyncio.sleep(0.01)

        copy = await post_sms(second, form)
        await original

    assert messages(copy) == messages(original.result()) == ["您问的是：先诊疗后付费是什么"]
    assert BUSY not in copy.text and len(stack.rasa.received) == 1


async def test_a_wechat_retry_after_the_first_worker_died_is_answered_passively(
    stack: Stack,
) -> None:
    stack.rasa.delay = 30.0
    settings = {"wechat_passive_seconds": 0.3, "claim_margin_seconds": 0.3}  # claims of 0.6 s
    apps = stack.app(**settings), stack.app(**settings)
    async with stack.clients(*apps) as (dying, other):
        killed = wechat_post(dying, "住院押金要交吗", "7003")
        while not stack.rasa.received:
            await asyncio.sleep(0.01)
        killed.cancel()
        for task in list(apps[0].state.gateway.pipeline._tasks):
            task.cancel()  # the process is gone, with the Rasa call it had under way
        stack.rasa.delay = 0.0
        await asyncio.sleep(0.7)  # WeChat's next try comes about 5 s after the first

        retry = await wechat_post(other, "住院押金要交吗", "7003")

    assert read_xml(retry.content)["Content"] == "您问的是：住院押金要交吗"
    assert recorded(stack) == (["failed", "answered"], 1)

"""Two gateway apps on one Redis (what two uvicorn workers or two processes behind HAProxy
are): a sender's next message may reach either, and must mean the same on both."""

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from gateway import replies
from tests.gateway.conftest import BASE, add_cadre, post_sms, sign_in, sms_form
from tests.gateway.fake_rasa import FakeRasa

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
Clients = tuple[httpx.AsyncClient, httpx.AsyncClient]


def texts(response: httpx.Response) -> list[str]:
    return [element.text or "" for element in ET.fromstring(response.content).findall("Message")]


@pytest.fixture
def two_apps(
    app_factory: Callable[..., FastAPI], redis_url: str, redis_prefix: str
) -> Callable[..., tuple[FastAPI, FastAPI]]:
    def build(**overrides: object) -> tuple[FastAPI, FastAPI]:
        settings = {"redis_url": redis_url, "redis_prefix": redis_prefix, **overrides}
        return app_factory(**settings), app_factory(**settings)

    return build


@pytest.fixture
async def clients(two_apps: Callable[..., tuple[FastAPI, FastAPI]]) -> AsyncIterator[Clients]:
    async with AsyncExitStack() as stack:
        first, second = [
            await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
            )
            for app in two_apps()
        ]
        yield first, second


async def test_a_digit_reply_to_the_other_process_picks_the_button(
    clients: Clients, rasa: FakeRasa
) -> None:
    first, second = clients
    rasa.answer = lambda text: [
        {
            "text": "您是住院还是门诊？",
            "buttons": [
                {"title": "住院", "payload": '/inform{"setting": "inpatient"}'},
                {"title": "门诊", "payload": '/inform{"setting": "outpatient"}'},
            ],
        }
    ]

    await post_sms(first, sms_form("花了两万能报多少", sid="SM1"))
    await post_sms(second, sms_form("2", sid="SM2"))

    assert rasa.messages[1] == '/inform{"setting": "outpatient"}'


async def test_more_on_the_other_process_gets_the_next_page(
    clients: Clients, rasa: FakeRasa
) -> None:
    first, second = clients
    long_answer = "。".join(f"第{i}条：建档立卡贫困人口住院费用按规定报销" for i in range(1, 15))
    rasa.answer = lambda text: [{"text": long_answer}]

    [page_one] = texts(await post_sms(first, sms_form("住院怎么报", sid="SM1")))
    [page_two] = texts(await post_sms(second, sms_form("更多", sid="SM2")))
    [after] = texts(await post_sms(first, sms_form("更多", sid="SM3")))

    assert len(rasa.received) == 1
    assert page_one.removesuffix("\n回复“更多”看下一页") + page_two == long_answer
    assert after == replies.NO_MORE_PAGES  # the first process knows the page went out


async def test_a_sender_limit_counts_once_across_processes(
    two_apps: Callable[..., tuple[FastAPI, FastAPI]], rasa: FakeRasa
) -> None:
    apps = two_apps(rate_limit_per_sender=3)
    answers = []
    async with AsyncExitStack() as stack:
        first, second = [
            await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
            )
            for app in apps
        ]
        for number in range(4):
            client = (first, second)[number % 2]  # alternating, as a balancer would
            answers.append((await post_sms(client, sms_form("你好", sid=f"SM{number}"))).text)

    assert len(rasa.received) == 3
    assert "发送得太快" in answers[3]


async def test_sign_in_failures_count_across_processes(clients: Clients, db: Session) -> None:
    first, second = clients
    add_cadre(db)

    failures = [
        await sign_in((first, second)[attempt % 2], password=f"wrong {attempt}")
        for attempt in range(5)
    ]
    locked = await sign_in(second)

    assert [r.status_code for r in failures] == [401] * 5
    assert locked.status_code == 429

"""The Rasa client's protocol, deadline and errors."""

import asyncio
import json

import httpx
import pytest

from gateway.rasa_client import (
    SENDER_HEADER,
    Button,
    RasaClient,
    RasaTimeout,
    RasaUnavailable,
    Reply,
)
from tests.gateway.fake_rasa import FakeRasa


async def _send(client: RasaClient, **kwargs: float) -> list[Reply]:
    async with client:
        return await client.send("u_1", "你好", "sms", {"channel": "sms"}, **kwargs)


def test_the_request_follows_the_rest_channel_contract() -> None:
    rasa = FakeRasa(
        answer=lambda text: [
            {"text": "住院还是门诊？", "buttons": [{"title": "住院", "payload": "/inform"}]},
            {"image": "https://x/1.png"},  # no text: SMS and WeChat cannot show it
        ]
    )

    replies = asyncio.run(_send(rasa.client()))

    assert rasa.received == [
        {"sender": "u_1", "message": "你好", "input_channel": "sms", "metadata": {"channel": "sms"}}
    ]
    assert replies == [Reply("住院还是门诊？", [Button("住院", "/inform")])]


def test_every_call_about_a_sender_names_it_in_a_header_for_the_proxy() -> None:
    # HAProxy hashes on this header to keep a conversation on one Rasa instance.
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get(SENDER_HEADER)))
        if request.method == "POST":
            return httpx.Response(200, json=[])
        return httpx.Response(200, json={"latest_message": {}})

    async def talk(client: RasaClient) -> None:
        async with client:
            await client.send("u_7f3a", "你好", "sms", {})
            await client.latest_intent("u_7f3a")

    asyncio.run(talk(RasaClient("http://rasa.test", transport=httpx.MockTransport(handler))))

    assert seen == [
        ("/webhooks/rest/webhook", "u_7f3a"),
        ("/conversations/u_7f3a/tracker", "u_7f3a"),
    ]


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (lambda r: httpx.Response(500), RasaUnavailable),
        (lambda r: httpx.Response(200, content=b"<html>"), RasaUnavailable),
        (lambda r: httpx.Response(200, json={"text": "not a list"}), RasaUnavailable),
    ],
)
def test_bad_answers_raise_typed_errors(handler: object, error: type[Exception]) -> None:
    client = RasaClient("http://rasa.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]

    with pytest.raises(error):
        asyncio.run(_send(client))


def test_a_refused_connection_is_unavailable() -> None:
    with pytest.raises(RasaUnavailable):
        asyncio.run(_send(FakeRasa(down=True).client()))


def test_the_deadline_is_ours_not_rasas() -> None:
    with pytest.raises(RasaTimeout):
        asyncio.run(_send(FakeRasa(delay=5).client(), timeout=0.1))


def test_the_body_is_utf8_json() -> None:
    rasa = FakeRasa()
    asyncio.run(_send(rasa.client()))
    assert json.dumps(rasa.received[0], ensure_ascii=False)

"""The Rasa client's protocol, deadline and errors."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from gateway.rasa_client import (
    SENDER_HEADER,
    Button,
    RasaClient,
    RasaLost,
    RasaTimeout,
    RasaUnavailable,
    Reply,
    answered_in,
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


# A tracker as Rasa 3.6.21 returned it (`GET /conversations/{id}/tracker?include_events=ALL`)
# after two turns posted with `message_key` SMcapture0001 and SMcapture0002 in their metadata,
# captured from the benchmark's Rasa instance with the trained model.
TRACKER = json.loads((Path(__file__).parents[1] / "fixtures" / "rasa_tracker.json").read_text())
REGIONS = [("南通", "nantong"), ("荣昌", "rongchang"), ("固阳", "guyang"), ("盐城", "yancheng")]


def test_the_replies_to_a_message_are_read_back_from_rasas_tracker() -> None:
    first = answered_in(TRACKER, "SMcapture0001")
    second = answered_in(TRACKER, "SMcapture0002")

    assert first == [
        Reply("您是哪个地方的？", [Button(t, f'/inform{{"region":"{r}"}}') for t, r in REGIONS])
    ]
    assert second is not None
    [level] = second
    assert level.text == "在哪一级医院看的？（医院级别不同，报销比例不一样）"
    assert [b.title for b in level.buttons][:2] == ["村卫生室", "乡镇卫生院"]


def test_a_message_rasa_never_heard_is_not_in_its_tracker() -> None:
    # The first message's metadata is also in the session_started_metadata slot: only user
    # events count.
    without_users = {"events": [e for e in TRACKER["events"] if e["event"] != "user"]}

    assert answered_in(TRACKER, "SMcapture0003") is None
    assert answered_in(without_users, "SMcapture0001") is None
    assert answered_in({"events": []}, "SMcapture0001") is None


def test_a_tracker_without_events_is_refused() -> None:
    with pytest.raises(RasaUnavailable):
        answered_in({"sender_id": "u_1"}, "SMcapture0001")


def test_recall_reads_the_whole_tracker_of_the_sender_through_the_proxy() -> None:
    seen: list[tuple[str, str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.url.path, request.url.params["include_events"], request.headers[SENDER_HEADER])
        )
        return httpx.Response(200, json=TRACKER)

    async def recall() -> list[Reply] | None:
        transport = httpx.MockTransport(handler)
        async with RasaClient("http://rasa.test", transport=transport) as client:
            return await client.recall("u_7f3a", "SMcapture0002", timeout=2.0)

    replies = asyncio.run(recall())

    assert replies is not None and replies[0].text.startswith("在哪一级医院看的")
    assert seen == [("/conversations/u_7f3a/tracker", "ALL", "u_7f3a")]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(500, text="internal error"), RasaUnavailable),  # Rasa failed on it
        (httpx.Response(200, text="<html>"), RasaUnavailable),  # not Rasa's JSON
        (httpx.ConnectError("connection refused"), RasaLost),  # no instance reachable
    ],
)
def test_a_tracker_that_cannot_be_read_is_an_error_not_a_miss(
    answer: httpx.Response | Exception, error: type[Exception]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def recall() -> list[Reply] | None:
        transport = httpx.MockTransport(handler)
        async with RasaClient("http://rasa.test", transport=transport) as client:
            return await client.recall("u_1", "SMx", timeout=2.0)

    with pytest.raises(error):
        asyncio.run(recall())


@pytest.mark.parametrize(
    ("answer", "lost"),
    [
        (httpx.Response(502, text="Bad Gateway"), True),  # HAProxy: the instance died mid-turn
        (httpx.Response(503, text="No server"), True),  # HAProxy: no instance is up
        (httpx.RemoteProtocolError("Server disconnected"), True),  # the connection broke
        (httpx.Response(500, text="internal error"), False),  # Rasa itself failed on it
    ],
)
def test_a_post_that_may_have_died_with_its_instance_is_told_apart(
    answer: httpx.Response | Exception, lost: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(RasaUnavailable) as raised:
        asyncio.run(_send(RasaClient("http://rasa.test", transport=httpx.MockTransport(handler))))

    assert isinstance(raised.value, RasaLost) is lost

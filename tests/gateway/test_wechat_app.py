"""GET and POST /wechat through the real app: raw WeChat XML, plain and safe mode (WeChat's
official sample vectors), events, voice, dedupe by sender + MsgId and, for events, by sender +
CreateTime + Event + EventKey."""

import hashlib
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.channels.wechat.safexml import read_xml
from registry.channel_models import MessageLog, OptOut, Receipt
from tests.gateway.conftest import OPENID, WECHAT_TOKEN, add_campaign, text_xml, wechat_query
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio

# WeChat's official safe-mode sample (Sample.py), see /work/shared/research/channel-notes.md.
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_TOKEN, SAMPLE_APP_ID = "spamtest", "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP, SAMPLE_NONCE = "1409735669", "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_SENDER = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def reply_content(response: httpx.Response) -> str:
    assert response.status_code == 200
    return read_xml(response.content)["Content"]


def event_xml(event: str, key: str = "", created: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def voice_xml(recognition: str, msg_id: str = "1234567890123456") -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{int(time.time())}"
        f"</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media]]></MediaId>"
        f"<Format><![CDATA[amr]]></Format><Recognition><![CDATA[{recognition}]]></Recognition>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


async def test_url_verification_echoes_echostr(client: httpx.AsyncClient) -> None:
    response = await client.get("/wechat", params={**wechat_query(), "echostr": "hello-123"})

    assert response.status_code == 200
    assert response.text == "hello-123"


async def test_url_verification_with_a_bad_signature_is_refused(client: httpx.AsyncClient) -> None:
    query = {**wechat_query(), "echostr": "hello-123", "signature": "0" * 40}

    assert (await client.get("/wechat", params=query)).status_code == 403


async def test_a_text_message_is_answered_passively(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await client.post("/wechat", params=wechat_query(), content=text_xml("先診療後付費"))

    fields = read_xml(response.content)
    assert fields["Content"] == "您问的是：先诊疗后付费"
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == "gh_account"
    assert rasa.received[0]["input_channel"] == "wechat"
    assert rasa.received[0]["metadata"]["sender_token"].startswith("stk_")
    assert OPENID not in rasa.received[0]["sender"]


@pytest.mark.parametrize(
    ("case", "query"),
    [
        # Each row: a request WeChat did not sign, or signed long ago (a replay).
        ("no signature", {"timestamp": str(int(time.time())), "nonce": "n"}),
        ("forged signature", {**wechat_query(), "signature": "f" * 40}),
        ("another token", wechat_query(token="not-our-token")),
        ("six minutes old", wechat_query(timestamp=int(time.time()) - 360)),
    ],
)
async def test_unsigned_or_stale_posts_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, case: str, query: dict[str, str]
) -> None:
    response = await client.post("/wechat", params=query, content=text_xml("你好"))

    assert response.status_code == 403, case
    assert rasa.received == []
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0


@pytest.mark.parametrize(
    ("case", "xml", "field"),
    [
        (
            "no sender",
            "<xml><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
            "FromUserName",
        ),
        ("no type", f"<xml><FromUserName>{OPENID}</FromUserName><MsgId>1</MsgId></xml>", "MsgType"),
        (
            "text without MsgId",
            f"<xml><FromUserName>{OPENID}</FromUserName><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "MsgId",
        ),
        ("not XML", "hello", "malformed"),
    ],
)
async def test_malformed_signed_posts_are_a_400_naming_the_problem(
    client: httpx.AsyncClient, rasa: FakeRasa, case: str, xml: str, field: str
) -> None:
    response = await client.post("/wechat", params=wechat_query(), content=xml)

    assert response.status_code == 400, case
    assert field in response.text
    assert rasa.received == []


async def test_three_identical_posts_reach_rasa_once(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    responses = [
        await client.post("/wechat", params=wechat_query(), content=text_xml("医保要交钱吗"))
        for _ in range(3)
    ]

    # WeChat retries only when it did not get a reply in time: each retry repeats the answer.
    assert len(rasa.received) == 1
    assert {reply_content(r) for r in responses} == {"您问的是：医保要交钱吗"}
    assert db.scalar(select(func.count()).select_from(MessageLog)) == 1


async def test_a_voice_message_is_answered_from_its_recognition(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await client.post(
        "/wechat", params=wechat_query(), content=voice_xml("住院能报多少")
    )

    assert reply_content(response) == "您问的是：住院能报多少"


@pytest.mark.parametrize(
    ("case", "xml"),
    [
        (
            "image",
            f"<xml><ToUserName>a</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType><PicUrl>http://x</PicUrl><MsgId>9</MsgId></xml>",
        ),
        ("voice without recognition", voice_xml("")),
        (
            "location",
            f"<xml><ToUserName>a</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><MsgId>8</MsgId></xml>",
        ),
    ],
)
async def test_other_message_types_get_the_text_and_voice_notice(
    client: httpx.AsyncClient, rasa: FakeRasa, case: str, xml: str
) -> None:
    response = await client.post("/wechat", params=wechat_query(), content=xml)

    assert reply_content(response) == "目前支持文字和语音消息，请用文字或语音告诉我您的问题。", case
    assert rasa.received == []


@pytest.mark.parametrize(("event", "key"), [("subscribe", "qrscene_gy2024"), ("SCAN", "gy2024")])
async def test_a_qr_scene_starts_its_campaign(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, event: str, key: str
) -> None:
    add_campaign(db, wechat_scene="gy2024")

    response = await client.post("/wechat", params=wechat_query(), content=event_xml(event, key))

    assert reply_content(response).startswith("您问的是：")
    [body] = rasa.received
    assert body["message"] == "/ask_treat_first"
    assert body["metadata"] | {"sender_token": None, "message_key": None} == {
        "channel": "wechat",
        "campaign": "gy2024",
        "topic": "treat_first",
        "region": "guyang",
        "sender_token": None,
        "cadre_id": None,
        "message_key": None,
    }
    assert body["metadata"]["message_key"].startswith("wx_")  # the event's dedupe id


async def test_two_users_with_the_same_msg_id_are_both_answered_and_retries_are_not(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    # MsgIds are unique per user only; a second user's message once vanished as a "retry".
    other = "oOtherFollower0000000000000x"
    first = text_xml("住院能报多少", msg_id="6054768590064713728")
    second = text_xml("门诊能报多少", msg_id="6054768590064713728", sender=other)

    answers = [
        await client.post("/wechat", params=wechat_query(), content=body)
        for body in (first, second, first, second)
    ]

    assert sorted(rasa.messages) == ["住院能报多少", "门诊能报多少"]
    assert reply_content(answers[0]) == reply_content(answers[2]) == "您问的是：住院能报多少"
    assert reply_content(answers[1]) == reply_content(answers[3]) == "您问的是：门诊能报多少"
    assert db.scalar(select(func.count()).select_from(Receipt)) == 2


async def test_two_events_in_the_same_second_are_both_handled(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    add_campaign(db, wechat_scene="gy2024")
    add_campaign(db, code="rc2024", wechat_scene="rc2024", sms_keyword="RC", topic="premium")
    created = 1_700_000_000

    for key in ("gy2024", "rc2024", "gy2024"):  # the last is WeChat's retry of the first
        await client.post(
            "/wechat", params=wechat_query(), content=event_xml("SCAN", key, created=created)
        )

    assert rasa.messages == ["/ask_treat_first", "/ask_premium"]


async def test_an_event_retry_is_deduplicated_by_sender_and_create_time(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    xml = event_xml("subscribe", created=1_700_000_000)

    for _ in range(3):
        await client.post("/wechat", params=wechat_query(), content=xml)

    assert rasa.messages == ["/greet"]


async def test_unsubscribe_is_acknowledged_without_a_reply(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await client.post("/wechat", params=wechat_query(), content=event_xml("unsubscribe"))

    assert response.text == "success"
    assert rasa.received == []


@pytest.fixture
def safe_app(app_factory: Callable[..., FastAPI]) -> FastAPI:
    return app_factory(
        wechat_token=SAMPLE_TOKEN,
        wechat_aes_key=SAMPLE_AES_KEY,
        wechat_app_id=SAMPLE_APP_ID,
        clock=lambda: float(SAMPLE_TIMESTAMP) + 10,
    )


async def test_safe_mode_official_sample_is_decrypted_and_the_reply_encrypted(
    safe_app: FastAPI, rasa: FakeRasa
) -> None:
    body = (
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    )
    query = {
        "timestamp": SAMPLE_TIMESTAMP,
        "nonce": SAMPLE_NONCE,
        "msg_signature": SAMPLE_MSG_SIGNATURE,
        "encrypt_type": "aes",
        "signature": hashlib.sha1(
            "".join(sorted([SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE])).encode()
        ).hexdigest(),
    }
    transport = httpx.ASGITransport(app=safe_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://h.example") as client:
        response = await client.post("/wechat", params=query, content=body)
        forged = await client.post(
            "/wechat", params={**query, "msg_signature": "0" * 40}, content=body
        )

    assert rasa.messages == ["abcdteT"]
    assert forged.status_code == 403
    envelope = read_xml(response.content)
    crypto = safe_app.state.gateway.wechat_crypto
    plain = crypto.decrypt_message(
        response.content, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert read_xml(plain)["Content"] == "您问的是：abcdteT"
    assert read_xml(plain)["ToUserName"] == SAMPLE_SENDER


async def test_wechat_not_configured_is_a_503(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(wechat_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h") as c:
        response = await c.post("/wechat", params=wechat_query(), content=text_xml("你好"))

    assert response.status_code == 503


def test_the_token_in_these_tests_is_not_the_sample_token() -> None:
    assert WECHAT_TOKEN != SAMPLE_TOKEN


async def test_unsubscribing_on_wechat_stops_broadcasts_not_answers(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    async def post(text: str, msg_id: str) -> str:
        xml = text_xml(text, msg_id=msg_id)
        return reply_content(await client.post("/wechat", params=wechat_query(), content=xml))

    stop = await post("退订", "7000000000000000001")
    recorded = db.scalar(select(func.count()).select_from(OptOut).where(OptOut.channel == "wechat"))
    asked = await post("住院能报多少", "7000000000000000002")
    start = await post("订阅", "7000000000000000003")
    left = db.scalar(select(func.count()).select_from(OptOut).where(OptOut.channel == "wechat"))

    assert "已退订群发通知" in stop and "订阅" in stop
    assert recorded == 1  # the broadcasts' audience leaves this follower out
    assert asked == "您问的是：住院能报多少"  # their own questions are still answered
    assert "已恢复接收群发通知" in start and left == 0
    assert rasa.messages == ["住院能报多少"]

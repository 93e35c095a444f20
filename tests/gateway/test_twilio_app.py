"""POST /sms/twilio through the real app: raw Twilio form bodies, signatures, dedupe, opt-out,
campaign keywords, numbered choices and pagination."""

import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.channel_models import Conversation, MessageLog, Receipt
from tests.gateway.conftest import BASE, add_campaign, post_sms, sms_form, twilio_signature
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio


def messages(response: httpx.Response) -> list[str]:
    """The texts of the TwiML <Message> elements."""
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


async def test_a_signed_message_reaches_rasa_and_the_reply_is_twiml(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    response = await post_sms(client, sms_form("先診療後付費是什麼？"))

    assert response.status_code == 200
    assert messages(response) == ["您问的是：先诊疗后付费是什么？"]
    [body] = rasa.received
    assert body["input_channel"] == "sms"
    assert body["sender"].startswith("u_") and "13800138000" not in body["sender"]
    assert body["metadata"]["channel"] == "sms"
    assert body["metadata"]["sender_token"].startswith("stk_")
    assert body["metadata"]["cadre_id"] is None
    assert [m.status for m in db.scalars(select(MessageLog))] == ["answered"]


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("missing signature", {}),
        ("forged signature", {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}),
        ("signed with another token", "other-token"),
        ("signed for another URL", "http://healthaid.example.org/sms/twilio"),
    ],
)
async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, case: str, headers: object
) -> None:
    form = sms_form("住院能报多少")
    if headers == "other-token":
        headers = {
            "X-Twilio-Signature": twilio_signature(f"{BASE}/sms/twilio", form, "other-token")
        }
    elif isinstance(headers, str):
        headers = {"X-Twilio-Signature": twilio_signature(headers, form)}
    assert isinstance(headers, dict)

    response = await client.post("/sms/twilio", data=form, headers=headers)

    assert response.status_code == 403, case
    assert rasa.received == []
    assert count(db, Receipt) == 0 and count(db, MessageLog) == 0


async def test_a_parameter_added_after_signing_breaks_the_signature(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    form = sms_form("住院能报多少")
    signature = twilio_signature(f"{BASE}/sms/twilio", form)

    response = await client.post(
        "/sms/twilio", data={**form, "Body": "转人工"}, headers={"X-Twilio-Signature": signature}
    )

    assert response.status_code == 403
    assert rasa.received == []


@pytest.mark.parametrize("missing", ["MessageSid", "From", "Body"])
async def test_a_signed_form_without_a_required_field_is_a_400_naming_it(
    client: httpx.AsyncClient, rasa: FakeRasa, missing: str
) -> None:
    form = sms_form("你好")
    del form[missing]

    response = await post_sms(client, form)

    assert response.status_code == 400
    assert missing in response.text
    assert rasa.received == []


async def test_three_identical_posts_reach_rasa_once_and_get_the_same_answer(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    # Twilio posts again only when it did not get the first response: the resident has not
    # had the answer, so a repeat gets it again (from the reply cache), not an empty reply.
    form = sms_form("医保要交钱吗")

    first, second, third = [await post_sms(client, form) for _ in range(3)]

    assert len(rasa.received) == 1
    assert messages(first) == messages(second) == messages(third) == ["您问的是：医保要交钱吗"]
    assert count(db, Receipt) == 1 and count(db, MessageLog) == 1


async def test_a_picture_without_text_gets_the_text_only_notice(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await post_sms(client, sms_form("", NumMedia="1", MediaUrl0="https://x/1.jpg"))

    assert "文字" in messages(response)[0]
    assert rasa.received == []


async def test_opt_out_silences_replies_until_opt_in(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    stop = await post_sms(client, sms_form("退订", sid="SM1"))
    ignored = await post_sms(client, sms_form("住院能报多少", sid="SM2"))
    start = await post_sms(client, sms_form("START", sid="SM3"))
    answered = await post_sms(client, sms_form("住院能报多少", sid="SM4"))

    assert "已退订" in messages(stop)[0]
    assert messages(ignored) == []
    assert "恢复订阅" in messages(start)[0]
    assert messages(answered) == ["您问的是：住院能报多少"]
    assert rasa.messages == ["住院能报多少"]


@pytest.mark.parametrize("word", ["TD", "td", "STOP", "退订"])
async def test_every_opt_out_word_is_confirmed(
    client: httpx.AsyncClient, rasa: FakeRasa, word: str
) -> None:
    response = await post_sms(client, sms_form(word))

    assert "已退订" in messages(response)[0]
    assert rasa.received == []


async def test_a_campaign_keyword_starts_the_campaign_topic(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    campaign_id = add_campaign(db, sms_keyword="GY")

    await post_sms(client, sms_form("gy"))

    [body] = rasa.received
    assert body["message"] == "/ask_treat_first"
    assert body["metadata"]["campaign"] == "gy2024"
    assert body["metadata"]["topic"] == "treat_first"
    assert body["metadata"]["region"] == "guyang"
    assert db.scalar(select(Conversation.campaign_id)) == campaign_id


async def test_a_digit_reply_sends_the_button_payload(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.answer = lambda text: [
        {
            "text": "您是住院还是门诊？",
            "buttons": [
                {"title": "住院", "payload": '/inform{"setting": "inpatient"}'},
                {"title": "门诊", "payload": '/inform{"setting": "outpatient"}'},
            ],
        }
    ]
    asked = await post_sms(client, sms_form("花了两万能报多少", sid="SM1"))

    await post_sms(client, sms_form("２", sid="SM2"))

    assert messages(asked) == ["您是住院还是门诊？\n回复1 住院 回复2 门诊"]
    assert rasa.messages[1] == '/inform{"setting": "outpatient"}'


async def test_a_typed_intent_is_not_passed_to_rasa_as_one(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    await post_sms(client, sms_form('/lookup_resident{"cadre_id": 1}'))

    assert not rasa.messages[0].startswith("/")


async def test_a_long_answer_is_paged_and_more_returns_the_next_page(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    long_answer = "。".join(f"第{i}条：建档立卡贫困人口住院费用按规定报销" for i in range(1, 15))
    rasa.answer = lambda text: [{"text": long_answer}]

    first = messages(await post_sms(client, sms_form("住院怎么报", sid="SM1")))[0]
    pages = [first]
    for number in range(2, 10):
        page = messages(await post_sms(client, sms_form("更多", sid=f"SM{number}")))[0]
        pages.append(page)
        if not page.endswith("回复“更多”看下一页"):
            break

    assert len(rasa.received) == 1
    assert first.endswith("回复“更多”看下一页")
    assert len(pages) >= 2
    assert "".join(p.removesuffix("\n回复“更多”看下一页") for p in pages) == long_answer
    from gateway.channels.sms_format import segments

    assert all(segments(page) <= 3 for page in pages)


async def test_a_long_letter_reaches_rasa_condensed_and_whole_in_the_metadata(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    # Issue kind 10: a 600-character letter is read, not refused.
    letter = "我是固阳的贫困户。" + "家里困难，" * 110 + "请问住院能报几成？"

    await post_sms(client, sms_form(letter))

    sent = rasa.received[0]
    assert sent["message"].endswith("请问住院能报几成？")
    assert len(sent["message"]) <= 160
    assert sent["metadata"]["letter"] == letter

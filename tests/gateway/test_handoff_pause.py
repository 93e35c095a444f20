"""While a handoff is open the assistant is paused for that sender: raw signed Twilio posts,
WeChat XML and widget messages go to the handoff, not to Rasa; the first is answered
「已转给工作人员，请稍候」, later ones not at all; 「结束人工」 gives the conversation back."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.handoff import END_WORDS, PASSED_ON, RESUMED, is_end, mask_personal
from registry import tokens
from registry.models import AuditLog
from tests.gateway.conftest import OPENID, PHONE, post_sms, sms_form, text_xml, wechat_query
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.handoff_helpers import lines, open_handoffs_on_request, the_handoff
from tests.registry.factories import make_id_number

pytestmark = pytest.mark.anyio
ID_NUMBER = make_id_number("guyang", "19580301", 123)


def twiml_texts(response: httpx.Response) -> list[str]:
    import re

    assert response.status_code == 200
    return re.findall(r"<Message>(.*?)</Message>", response.text)


async def test_sms_messages_go_to_the_cadre_until_the_resident_ends_it(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, gateway_db: str
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await post_sms(client, sms_form("人工", sid="SM" + "1" * 32))
    handoff = the_handoff(db)
    asked_rasa = len(rasa.received)

    first = await post_sms(client, sms_form("我电话13912345678，能回个电话吗", sid="SM" + "2" * 32))
    second = await post_sms(client, sms_form(f"身份证{ID_NUMBER}", sid="SM" + "3" * 32))
    ended = await post_sms(client, sms_form("结束人工", sid="SM" + "4" * 32))
    after = await post_sms(client, sms_form("住院能报多少", sid="SM" + "5" * 32))

    assert handoff.channel == "sms" and handoff.contact_token is not None
    assert tokens.resolve(db, handoff.contact_token) is None  # deleted at close
    assert twiml_texts(first) == [PASSED_ON]
    assert twiml_texts(second) == []  # stored silently: no SMS for each message
    assert twiml_texts(ended) == [RESUMED]
    assert twiml_texts(after) == ["您问的是：住院能报多少"]
    assert rasa.messages[asked_rasa:] == ["住院能报多少"]  # nothing in between reached Rasa
    assert lines(db, handoff.id) == [
        ("resident", "我电话139****5678，能回个电话吗"),
        ("assistant", PASSED_ON),
        ("resident", "身份证150222********123" + ID_NUMBER[-1]),
        ("resident", "结束人工"),
        ("assistant", RESUMED),
    ]
    closed = the_handoff(db)
    assert (closed.status, closed.closed_by) == ("closed", "resident")
    audited = db.scalars(select(AuditLog.detail).where(AuditLog.action == "handoff_closed"))
    assert list(audited) == [f"handoff={handoff.id} by=resident"]


async def test_the_sender_token_of_the_request_is_kept_for_the_reply(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, gateway_db: str
) -> None:
    open_handoffs_on_request(rasa, gateway_db)

    await post_sms(client, sms_form("人工"))

    handoff = the_handoff(db)
    assert handoff.contact_token is not None
    assert tokens.resolve(db, handoff.contact_token) == ("phone", PHONE)


async def test_wechat_messages_go_to_the_cadre_and_wechat_gets_success(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, gateway_db: str
) -> None:
    open_handoffs_on_request(rasa, gateway_db)

    async def say(text: str, msg_id: str) -> httpx.Response:
        return await client.post("/wechat", params=wechat_query(), content=text_xml(text, msg_id))

    await say("人工", "1001")
    asked_rasa = len(rasa.received)
    first = await say("孩子发烧了怎么办", "1002")
    second = await say("在吗", "1003")
    ended = await say("结束", "1004")

    handoff = the_handoff(db)
    assert tokens.resolve(db, handoff.contact_token or "") is None
    assert f"<Content><![CDATA[{PASSED_ON}]]></Content>" in first.text
    assert second.text == "success"
    assert f"<Content><![CDATA[{RESUMED}]]></Content>" in ended.text
    assert len(rasa.received) == asked_rasa
    assert [d for d, _ in lines(db, handoff.id)] == [
        "resident",
        "assistant",
        "resident",
        "resident",
        "assistant",
    ]
    assert OPENID not in "".join(text for _, text in lines(db, handoff.id))


async def test_the_widget_shows_one_notice_then_nothing_then_gives_the_chat_back(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, gateway_db: str
) -> None:
    open_handoffs_on_request(rasa, gateway_db)
    await client.get("/chat")

    asked = await client.post("/api/chat", json={"message": "人工"})
    first = await client.post("/api/chat", json={"message": "能帮我问问吗"})
    second = await client.post("/api/chat", json={"message": "谢谢"})
    ended = await client.post("/api/chat", json={"message": "不用人工了！"})

    assert asked.json()["handoff"]["open"] is True
    assert [r["text"] for r in first.json()["replies"]] == [PASSED_ON]
    assert second.json()["replies"] == []
    assert [r["text"] for r in ended.json()["replies"]] == [RESUMED]
    assert ended.json()["handoff"]["open"] is False
    assert rasa.messages == ["人工"]


async def test_an_end_word_without_an_open_handoff_goes_to_the_assistant(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await post_sms(client, sms_form("结束人工"))

    assert twiml_texts(response) == ["您问的是：结束人工"]


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("结束人工", True),
        ("结束人工服务。", True),  # trailing punctuation
        (" 结束 ", True),
        ("退出人工", True),
        ("不用人工了!", True),
        ("不用了", False),  # an ordinary answer to a cadre's question
        ("结束了吗", False),  # a question, not the command
    ],
)
def test_end_words(text: str, ends: bool) -> None:
    assert is_end(text) is ends
    assert "结束人工" in END_WORDS


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("电话+86 138 0013 8000", "电话138****8000"),  # +86 and blanks
        ("13800138000", "138****8000"),
        (f"号码{ID_NUMBER}", f"号码150222********{ID_NUMBER[-4:]}"),
        (f"微信{OPENID}", "微信（微信号）"),
        ("查询 idtk0123456789abcdef", "查询 （身份证号）"),  # the gateway's ID-number token
        ("住院花了2万3", "住院花了2万3"),  # amounts stay
    ],
)
def test_mask_personal(text: str, shown: str) -> None:
    assert mask_personal(text) == shown

"""ID numbers however residents type them (blanks, full-width digits, ideographic spaces, a
lower-case x, hyphens) are replaced whole before anything reaches Rasa, a log, the message log
or a reply: raw Twilio, WeChat and widget requests."""

import logging
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import tokens
from registry.channel_models import MessageLog
from tests.gateway.conftest import post_sms, sms_form, text_xml, wechat_query
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio

# Fictional, valid (check letter X): 固阳县, born 1958-03-12, sequence 044. Typed with blanks
# between its groups, it used to reach Rasa as 「150222 19580312 044X」 minus the first group.
ID_X = "15022219580312044X"
# Fictional, valid, check digit 4 (the demo resident's number).
ID_4 = "150222195803150024"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


FORMS = [
    # groups of four, as on a printed card
    ("1502 2219 5803 1500 24", ID_4),
    # area, birth date, sequence and check letter apart: the form that leaked
    ("150222 19580312 044X", ID_X),
    # a lower-case x after one blank
    ("150222 19580312044x", ID_X),
    # full-width digits and letter
    (full_width(ID_X), ID_X),
    # full-width, with ideographic spaces (U+3000) between groups and a full-width ｘ
    (full_width("150222\u300019580312\u3000044x"), ID_X),
    # hyphens between groups
    ("150222-19580312-044X", ID_X),
    # two blanks, then a tab (a pasted number)
    ("150222  19580315\t0024", ID_4),
]
SINKS = re.compile(r"idtk[0-9a-f]{16}|stk_[0-9a-f]{16}|u_[0-9a-f]{8,64}")


def squeezed(text: str) -> str:
    """Text as one run of characters: blanks, hyphens and width differences removed, and the
    random tokens and sender hashes (hex that could contain any digits) left out."""
    text = SINKS.sub("", text)
    text = text.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return re.sub(r"[\s\u3000\-]+", "", text).upper()


def leaks(text: str, number: str) -> list[str]:
    """The 5-character pieces of `number` found in `text`: none may survive."""
    plain = squeezed(text)
    return [number[i : i + 5] for i in range(len(number) - 4) if number[i : i + 5] in plain]


async def ask_everywhere(client: httpx.AsyncClient, message: str) -> list[httpx.Response]:
    sms = await post_sms(client, sms_form(message, sid="SMform"))
    web = await client.post("/api/chat", json={"message": message})
    wechat = await client.post(
        "/wechat", params=wechat_query(), content=text_xml(message, msg_id="7001")
    )
    return [sms, web, wechat]


@pytest.mark.parametrize(("written", "number"), FORMS)
async def test_an_id_number_is_replaced_whole_however_it_is_written(
    client: httpx.AsyncClient,
    rasa: FakeRasa,
    db: Session,
    caplog: pytest.LogCaptureFixture,
    written: str,
    number: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    message = f"我的身份证是{written}，想查一下待遇"

    responses = await ask_everywhere(client, message)

    assert [r.status_code for r in responses] == [200, 200, 200]
    sent = rasa.messages
    assert len(sent) == 3
    for text in sent:
        token = re.fullmatch(r"我的身份证是(idtk[0-9a-f]{16})，想查一下待遇", text)
        assert token, text
        assert tokens.resolve(db, token.group(1)) == ("id_number", number)
    seen = [
        *(str(body) for body in rasa.received),
        caplog.text,
        *(r.text for r in responses),
        *db.scalars(select(MessageLog.text)),
    ]
    for text in seen:
        assert leaks(text, number) == []


@pytest.mark.parametrize(("written", "number"), FORMS)
async def test_an_answer_quoting_the_number_shows_it_masked(
    client: httpx.AsyncClient, rasa: FakeRasa, written: str, number: str
) -> None:
    # A careless action quoting an ID number as the resident wrote it.
    rasa.answer = lambda text: [{"text": f"您的身份证号{written}已收到"}]

    responses = await ask_everywhere(client, "查一下我的待遇")

    masked = number[:6] + "********" + number[-4:]
    for response in responses:
        assert masked in response.text
        assert number[6:14] not in squeezed(response.text)  # birth date and sequence

"""A long message is read, never refused for its length: condensed for the NLU, kept whole
(ID numbers replaced, phones masked) in the metadata for the actions and the handoff, and in the
message log. Raw Twilio and widget requests with a 700-character letter."""

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handoff import ActionHandoff
from actions.sdk import CollectingDispatcher
from gateway.letters import NLU_CHARS
from gateway.text import MAX_MESSAGE_CHARS
from registry.channel_models import MessageLog
from tests.actions.fakes import FakeRegistry
from tests.actions.helpers import DOMAIN, message, tracker
from tests.gateway.conftest import post_sms, sms_form
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio

ID = "15022219580312044X"  # fictional, valid
PHONE = "13812345678"
QUESTION = "请问住院花了两万三，最后自己要掏多少钱？"


def letter_of(length: int) -> str:
    """A resident's letter of exactly `length` characters: who and where, a long story with
    an ID number and a phone number in it, and the question at the end."""
    head = f"领导好，我是固阳县兴顺西镇的建档立卡贫困户，身份证{ID[:6]} {ID[6:]}，电话{PHONE}。"
    story = "老伴常年卧病在床，孩子在外打工，一年到头也攒不下几个钱。"
    body = (story * (length // len(story) + 1))[: length - len(head) - len(QUESTION)]
    letter = head + body + QUESTION
    assert len(letter) == length
    return letter


LETTER = letter_of(700)


def whole_letter_kept(kept: str) -> None:
    """The letter as the gateway keeps it: whole, the ID number a token, the phone masked."""
    assert re.fullmatch(r"idtk[0-9a-f]{16}", kept.split("身份证")[1].split("，")[0])
    assert "138****5678" in kept and PHONE not in kept
    assert ID[6:14] not in kept
    assert kept.endswith(QUESTION)
    assert len(kept) == len(LETTER) - len(ID) - 1 + len("idtk") + 16  # nothing else cut


async def test_a_700_character_sms_is_answered_and_kept_whole(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    response = await post_sms(client, sms_form(LETTER))

    [sent] = rasa.received
    assert sent["message"].endswith(QUESTION) and len(sent["message"]) <= NLU_CHARS
    whole_letter_kept(sent["metadata"]["letter"])
    assert messages(response)[0].startswith("您问的是：")  # answered, not refused
    [logged] = db.scalars(select(MessageLog))
    assert logged.text == sent["message"]
    assert logged.letter == sent["metadata"]["letter"]


async def test_a_700_character_letter_in_the_widget_is_answered(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    page = await client.get("/chat")

    response = await client.post("/api/chat", json={"message": LETTER})

    assert f'maxlength="{MAX_MESSAGE_CHARS}"' in page.text  # the field takes the whole letter
    assert response.json()["replies"][0]["text"].startswith("您问的是：")
    whole_letter_kept(rasa.received[0]["metadata"]["letter"])


async def test_the_handoff_keeps_the_whole_letter_the_gateway_passed(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    await post_sms(client, sms_form(LETTER))
    metadata = rasa.received[0]["metadata"]
    registry = FakeRegistry()

    # The resident's letter asked for a person: the action server gets the gateway's metadata.
    latest = message(rasa.received[0]["message"], "human_handoff", metadata=metadata)
    await ActionHandoff(registry).run(
        CollectingDispatcher(), tracker(latest, {"region": "guyang"}), DOMAIN
    )

    assert registry.handoffs[0]["summary"].endswith(f"来信全文：{metadata['letter']}")


async def test_a_message_longer_than_the_limit_is_cut_after_redaction_not_refused(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    # Only a pasted document through the API gets here (SMS and WeChat cannot carry it).
    long = letter_of(MAX_MESSAGE_CHARS + 500)

    response = await client.post("/api/chat", json={"message": long})

    kept = rasa.received[0]["metadata"]["letter"]
    assert response.json()["replies"][0]["text"].startswith("您问的是：")
    assert len(kept) == MAX_MESSAGE_CHARS and "idtk" in kept and ID[6:14] not in kept


async def test_a_pasted_document_beyond_the_raw_bound_gets_a_polite_line(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await client.post("/api/chat", json={"message": "问" * (2 * MAX_MESSAGE_CHARS + 1)})

    assert "太长" in response.json()["replies"][0]["text"]
    assert rasa.received == []

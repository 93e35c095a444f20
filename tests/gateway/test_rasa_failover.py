"""A Rasa instance that dies under a message (gateway/pipeline.py `_rasa_answer`): the gateway
looks in the sender's tracker whether Rasa heard the message, answers with what Rasa said if
it did, sends it once more (through the proxy, to the surviving instance) if it did not, and
never sends it again when nobody can tell. Raw Twilio posts through the real app."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.replies import BUSY
from registry.channel_models import MessageLog
from tests.gateway.conftest import post_sms, sms_form
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio


def heard(rasa: FakeRasa) -> list[str]:
    """The message keys of the user events in Rasa's trackers: what Rasa ran."""
    return [
        e["metadata"]["message_key"]
        for events in rasa.trackers.values()
        for e in events
        if e["event"] == "user"
    ]


async def test_a_message_lost_with_its_instance_is_sent_again_and_run_once(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    rasa.dies = 1  # killed mid-turn: nothing of the turn was saved

    response = await post_sms(client, sms_form("门诊能报多少", sid="SMdied"))

    assert messages(response) == ["您问的是：门诊能报多少"]
    assert len(rasa.received) == 2
    assert heard(rasa) == ["SMdied"]
    assert [m.status for m in db.scalars(select(MessageLog))] == ["answered"]


async def test_an_answer_lost_on_the_way_back_is_read_from_the_tracker_not_asked_again(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.loses_answers = 1  # the turn ran and was saved; its answer never arrived

    response = await post_sms(client, sms_form("大病保险怎么报", sid="SMlost"))

    assert messages(response) == ["您问的是：大病保险怎么报"]
    assert len(rasa.received) == 1
    assert heard(rasa) == ["SMlost"]


async def test_a_message_without_a_provider_id_is_named_by_its_log_id(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    rasa.loses_answers = 1

    response = await client.post("/api/chat", json={"message": "先诊疗后付费是什么"})

    [logged] = db.scalars(select(MessageLog))
    assert response.json()["replies"][0]["text"] == "您问的是：先诊疗后付费是什么"
    assert len(rasa.received) == 1
    assert heard(rasa) == [f"log:{logged.id}"]


async def test_when_the_tracker_cannot_be_read_the_message_is_not_sent_again(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session
) -> None:
    rasa.dies, rasa.tracker_status = 1, 500

    response = await post_sms(client, sms_form("门诊能报多少", sid="SMunknown"))

    assert messages(response) == [BUSY]
    assert len(rasa.received) == 1
    assert [m.status for m in db.scalars(select(MessageLog))] == ["failed"]


async def test_rasa_failing_on_a_message_is_not_retried(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    rasa.status = 500  # Rasa itself failed: asking again would fail again, or run it twice

    response = await post_sms(client, sms_form("门诊能报多少", sid="SMfailed"))

    assert messages(response) == [BUSY]
    assert len(rasa.received) == 1

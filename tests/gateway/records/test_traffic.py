"""registry.traffic and registry.campaigns on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry import campaigns, traffic
from registry.channel_models import Handoff
from registry.traffic import Claim
from settlement.identifiers import Region

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SENDER = "u_" + "c" * 64


LEASE = timedelta(seconds=10)


def test_a_provider_id_is_claimed_once_then_in_flight_then_settled(session: Session) -> None:
    assert traffic.claim(session, "sms", "SM1", LEASE, now=NOW) == Claim.NEW
    session.commit()

    assert traffic.claim(session, "sms", "SM1", LEASE, now=NOW) == Claim.IN_FLIGHT
    assert traffic.claim(session, "wechat", "SM1", LEASE, now=NOW) == Claim.NEW  # per channel
    traffic.settle(session, "sms", "SM1")
    session.commit()

    assert traffic.claim(session, "sms", "SM1", LEASE, now=NOW + 2 * LEASE) == Claim.SETTLED


def test_a_receipt_seen_by_another_session_counts(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as first:
        assert traffic.claim(first, "wechat", "wx_1", LEASE, now=NOW) == Claim.NEW

    with session_factory.begin() as second:
        assert traffic.claim(second, "wechat", "wx_1", LEASE, now=NOW) == Claim.IN_FLIGHT


def test_a_lapsed_claim_is_taken_over_and_its_message_marked_failed(session: Session) -> None:
    traffic.claim(session, "sms", "SM2", LEASE, now=NOW)
    conversation = traffic.conversation_for(session, "sms", SENDER, None, now=NOW)
    abandoned = traffic.log_message(session, conversation, "住院能报多少", now=NOW)
    traffic.attach_message(session, "sms", "SM2", abandoned.id)
    session.commit()
    later = NOW + LEASE + timedelta(seconds=1)

    assert traffic.claim_state(session, "sms", "SM2", now=later) == Claim.TAKEN_OVER
    assert traffic.claim(session, "sms", "SM2", LEASE, now=later) == Claim.TAKEN_OVER
    assert traffic.claim(session, "sms", "SM2", LEASE, now=later) == Claim.IN_FLIGHT
    session.commit()

    session.refresh(abandoned)
    assert abandoned.status == "failed"


def test_opt_out_and_opt_in(session: Session) -> None:
    traffic.opt_out(session, "sms", SENDER)
    traffic.opt_out(session, "sms", SENDER)  # twice is harmless
    session.commit()
    assert traffic.is_opted_out(session, "sms", SENDER)
    assert not traffic.is_opted_out(session, "wechat", SENDER)

    traffic.opt_in(session, "sms", SENDER)
    session.commit()
    assert not traffic.is_opted_out(session, "sms", SENDER)


def test_a_conversation_keeps_its_campaign_until_another_one_comes(session: Session) -> None:
    first = campaigns.create(session, code="a", name="A", topic="premium", region=Region("nantong"))
    second = campaigns.create(session, code="b", name="B", topic=None, region=None)

    started = traffic.conversation_for(session, "sms", SENDER, first.id, now=NOW)
    again = traffic.conversation_for(session, "sms", SENDER, None, now=NOW + timedelta(hours=1))
    assert again.id == started.id and again.campaign_id == first.id
    assert again.last_at == NOW + timedelta(hours=1)
    moved = traffic.conversation_for(session, "sms", SENDER, second.id)
    assert moved.campaign_id == second.id


def test_message_status_and_topic(session: Session) -> None:
    conversation = traffic.conversation_for(session, "web", SENDER, None)
    message = traffic.log_message(session, conversation, "先诊疗后付费咋弄")

    traffic.set_status(session, message.id, "answered", topic="treat_first")
    session.commit()
    session.refresh(message)

    assert (message.status, message.topic) == ("answered", "treat_first")
    with pytest.raises(ValueError, match="unknown message status"):
        traffic.set_status(session, message.id, "lost")


def test_campaign_lookup_by_code_scene_and_keyword(session: Session) -> None:
    campaign = campaigns.create(
        session,
        code="gy2024",
        name="固阳宣传",
        topic="treat_first",
        region=Region("guyang"),
        wechat_scene="scene-7",
        sms_keyword="gy",
    )
    session.commit()

    assert campaigns.by_code(session, "gy2024") == campaign
    assert campaigns.by_scene(session, "scene-7") == campaign
    assert campaigns.by_keyword(session, " Gy ") == campaign
    assert campaigns.by_keyword(session, "住院能报多少") is None
    with pytest.raises(ValueError, match="活动代码"):
        campaigns.create(session, code="a b", name="x", topic=None, region=None)


def test_campaign_statistics(session: Session) -> None:
    campaign = campaigns.create(
        session, code="gy2024", name="固阳", topic="treat_first", region=Region("guyang")
    )
    other = traffic.conversation_for(session, "sms", "u_other", None)
    traffic.log_message(session, other, "不算在活动里", status="answered", now=NOW)
    for index in range(2):
        conversation = traffic.conversation_for(session, "sms", f"u_{index}", campaign.id)
        traffic.log_message(session, conversation, "/ask_treat_first", topic="treat_first", now=NOW)
    traffic.log_message(
        session, conversation, "我家牛病了", status="unanswered", now=NOW - timedelta(days=2)
    )
    session.add(Handoff(region="guyang", channel="sms", sender_key="u_0", campaign="gy2024"))
    session.commit()

    stats = campaigns.stats(session, campaign, days=7, now=NOW)

    assert (stats.conversations, stats.messages, stats.open_handoffs) == (2, 3, 1)
    assert stats.top_topics == [("treat_first", 2)]
    assert [text for _, text in stats.unanswered] == ["我家牛病了"]
    assert len(stats.per_day) == 7
    assert stats.per_day[-1] == (NOW.date(), 2)
    assert stats.per_day[-3] == (NOW.date() - timedelta(days=2), 1)

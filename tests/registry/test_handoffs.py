"""registry/handoffs.py on SQLite and PostgreSQL: the contact kept alive while a handoff is
open and forgotten at close, the messages, the transcript before the request."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import handoffs, tokens, traffic
from registry.channel_models import SecretToken

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
PHONE = "+8613800138000"


def _open(session: Session, contact: str | None, *, channel: str = "sms") -> handoffs.Handoff:
    handoff = handoffs.request(
        session,
        region="guyang",
        sender_key="u_resident",
        channel=channel,
        campaign=None,
        summary="地区：固阳县",
        contact_token=contact,
        now=T0,
    )
    session.commit()
    return handoff


def test_the_contact_token_lives_a_week_after_each_resident_message(session: Session) -> None:
    token = tokens.issue(session, "phone", PHONE, now=T0)  # 30 minutes, as the gateway issues
    handoff = _open(session, token)

    assert session.get(SecretToken, token).expires_at == T0 + handoffs.CONTACT_TTL  # type: ignore[union-attr]
    later = T0 + timedelta(days=6)
    handoffs.add_message(session, handoff, "resident", "还在吗", now=later)
    session.commit()

    assert handoff.last_resident_at == later
    assert handoffs.contact(session, handoff, now=T0 + timedelta(days=12)) == PHONE
    assert handoffs.contact(session, handoff, now=later + handoffs.CONTACT_TTL) is None


def test_an_expired_sender_token_is_not_kept(session: Session) -> None:
    token = tokens.issue(session, "phone", PHONE, now=T0 - timedelta(hours=1))

    handoff = _open(session, token)

    assert handoff.contact_token is None


def test_open_for_finds_the_senders_open_request_on_that_channel_only(session: Session) -> None:
    handoff = _open(session, None)

    assert handoffs.open_for(session, "sms", "u_resident") is handoff
    assert handoffs.open_for(session, "wechat", "u_resident") is None
    assert handoffs.open_for(session, "sms", "u_someone_else") is None


def test_closing_records_who_and_forgets_the_contact(session: Session) -> None:
    token = tokens.issue(session, "phone", PHONE, now=T0)
    handoff = _open(session, token)

    first = handoffs.close(session, handoff, "cadre:7", now=T0 + timedelta(minutes=5))
    again = handoffs.close(session, handoff, "resident")
    session.commit()

    assert (first, again) == (True, False)
    assert (handoff.status, handoff.closed_by) == ("closed", "cadre:7")
    assert handoff.closed_at == T0 + timedelta(minutes=5)
    assert session.scalar(select(SecretToken).where(SecretToken.token == token)) is None
    assert handoffs.open_for(session, "sms", "u_resident") is None


def test_the_transcript_before_the_request_and_the_widgets_messages(session: Session) -> None:
    conversation = traffic.conversation_for(session, "web", "u_resident", None, now=T0)
    traffic.log_message(session, conversation, "住院能报多少", now=T0 - timedelta(minutes=2))
    traffic.log_message(session, conversation, "人工", now=T0 - timedelta(seconds=1))
    traffic.log_message(session, conversation, "later", now=T0 + timedelta(minutes=1))
    handoff = _open(session, None, channel="web")
    asked = handoffs.add_message(session, handoff, "resident", "还在吗")
    answer = handoffs.add_message(session, handoff, "cadre", "您好，我是村医", cadre_id=None)
    session.commit()

    earlier = [m.text for m in handoffs.earlier_messages(session, handoff)]
    to_widget = handoffs.sent_to_sender(session, "web", "u_resident", after=asked.id - 1)

    assert earlier == ["住院能报多少", "人工"]
    assert [m.id for m in to_widget] == [answer.id]
    assert handoffs.sent_to_sender(session, "web", "u_resident", after=answer.id) == []
    assert handoffs.last_message_id(session, "web", "u_resident") == answer.id
    assert handoffs.in_region(session, handoff.id, "nantong") is None
    assert handoffs.in_region(session, handoff.id, "guyang") is handoff

"""What the gateway records per message: receipts (dedupe), opt-outs, conversations, the log.

Every function takes the caller's session and leaves committing to it, so one inbound message
is recorded in one transaction: a crash half-way leaves neither a receipt without its message
nor a message without its receipt.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from registry import upsert
from registry.channel_models import Conversation, Handoff, MessageLog, OptOut, Receipt
from registry.sqltypes import utcnow

STATUSES = frozenset({"pending", "answered", "unanswered", "failed"})
# WeChat lets an Official Account send customer-service messages (客服消息) to a follower
# for 48 hours after the follower's last message, follow or QR scan; afterwards only
# template messages (模板消息) reach them.
WECHAT_WINDOW = timedelta(hours=48)


class Claim(StrEnum):
    """What `claim` found for a provider message id."""

    NEW = "new"  # first copy: this worker answers it
    TAKEN_OVER = "taken_over"  # an earlier copy's claim lapsed unanswered: this worker answers
    IN_FLIGHT = "in_flight"  # another worker is answering it now
    SETTLED = "settled"  # answered already

    @property
    def answers(self) -> bool:
        return self in (Claim.NEW, Claim.TAKEN_OVER)


def claim(
    session: Session,
    channel: str,
    provider_id: str,
    lease: timedelta,
    now: datetime | None = None,
) -> Claim:
    """Record the provider's message id and claim answering it for `lease`.

    The database decides, not a prior SELECT, so of several copies arriving at the same
    moment (WeChat retries, Twilio's second attempt, on any worker) exactly one gets NEW: the
    receipt is inserted with ON CONFLICT DO NOTHING (on PostgreSQL a second insert waits for
    the first transaction, then does nothing). A claim that lapsed without `settle` (its
    worker died) is taken over by one conditional UPDATE, and its logged message marked
    failed. Commit before asking Rasa, so other workers see the claim.
    """
    moment = now or utcnow()
    values = {
        "channel": channel,
        "provider_id": provider_id,
        "received_at": moment,
        "claimed_until": moment + lease,
    }
    if upsert.insert_or_ignore(session, Receipt.__table__, ("channel", "provider_id"), values):
        return Claim.NEW
    key = (Receipt.channel == channel, Receipt.provider_id == provider_id)
    lapsed = session.execute(
        update(Receipt)
        .where(*key, Receipt.claimed_until.is_not(None), Receipt.claimed_until < moment)
        .values(claimed_until=moment + lease)
        .returning(Receipt.message_id)
        .execution_options(synchronize_session=False)
    ).first()
    if lapsed is not None:
        if lapsed.message_id is not None:
            abandoned = MessageLog.id == lapsed.message_id, MessageLog.status == "pending"
            session.execute(update(MessageLog).where(*abandoned).values(status="failed"))
        return Claim.TAKEN_OVER
    return claim_state(session, channel, provider_id, now=moment)


def claim_state(
    session: Session, channel: str, provider_id: str, now: datetime | None = None
) -> Claim:
    """IN_FLIGHT while the claim holds, SETTLED once answered, TAKEN_OVER when the claim lapsed
    (read only: call `claim` to take it over), NEW when there is no receipt."""
    query = select(Receipt.claimed_until).where(
        Receipt.channel == channel, Receipt.provider_id == provider_id
    )
    row = session.execute(query).first()
    if row is None:
        return Claim.NEW
    if row.claimed_until is None:
        return Claim.SETTLED
    return Claim.IN_FLIGHT if row.claimed_until >= (now or utcnow()) else Claim.TAKEN_OVER


def extend_claim(
    session: Session,
    channel: str,
    provider_id: str,
    lease: timedelta,
    now: datetime | None = None,
) -> None:
    """Hold a claim `lease` longer from now (its worker is still answering, e.g. retrying on
    another Rasa instance); never shortens it, never revives a settled one."""
    until = (now or utcnow()) + lease
    session.execute(
        update(Receipt)
        .where(
            Receipt.channel == channel,
            Receipt.provider_id == provider_id,
            Receipt.claimed_until.is_not(None),
            Receipt.claimed_until < until,
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )


def attach_message(session: Session, channel: str, provider_id: str, message_id: int) -> None:
    """Record which logged message the claim on `provider_id` is answering."""
    session.execute(
        update(Receipt)
        .where(Receipt.channel == channel, Receipt.provider_id == provider_id)
        .values(message_id=message_id)
    )


def settle(session: Session, channel: str, provider_id: str) -> None:
    """The message is answered (or its answer is in the outbox): copies are duplicates now."""
    session.execute(
        update(Receipt)
        .where(Receipt.channel == channel, Receipt.provider_id == provider_id)
        .values(claimed_until=None)
    )


def opt_out(session: Session, channel: str, sender_key: str) -> None:
    """Record that a sender texted 退订/TD/STOP. Two copies of it at once (a provider's retry,
    two gateway processes) record one row: the unique (channel, sender_key) decides, not a
    read before the write."""
    upsert.insert_or_ignore(
        session,
        OptOut.__table__,
        ("channel", "sender_key"),
        {"channel": channel, "sender_key": sender_key, "at": utcnow()},
    )


def opt_in(session: Session, channel: str, sender_key: str) -> None:
    session.execute(
        delete(OptOut).where(OptOut.channel == channel, OptOut.sender_key == sender_key)
    )


def is_opted_out(session: Session, channel: str, sender_key: str) -> bool:
    query = select(OptOut.id).where(OptOut.channel == channel, OptOut.sender_key == sender_key)
    return session.scalar(query) is not None


def wechat_window_open(last: datetime | None, now: datetime) -> bool:
    """Whether a follower who last wrote at `last` can still get customer-service messages."""
    return last is not None and now - last < WECHAT_WINDOW


def last_contact(session: Session, channel: str, sender_key: str) -> datetime | None:
    """When the sender last wrote on `channel`, as far as the registry knows: their
    conversation's `last_at` (every message and conversation event the assistant answered) or,
    later, a message they wrote into an open handoff (it goes to the cadre, not the
    conversation). None when they never wrote."""
    conversation = select(Conversation.last_at).where(
        Conversation.channel == channel, Conversation.sender_key == sender_key
    )
    handoff = select(func.max(Handoff.last_resident_at)).where(
        Handoff.channel == channel, Handoff.sender_key == sender_key
    )
    found = [at for at in (session.scalar(conversation), session.scalar(handoff)) if at]
    return max(found) if found else None


def conversation_for(
    session: Session,
    channel: str,
    sender_key: str,
    campaign_id: int | None,
    now: datetime | None = None,
) -> Conversation:
    """The sender's conversation on `channel`, created on first contact.

    A campaign, once recorded, stays: a later message without one (the resident simply texts
    again) still belongs to the campaign that brought them. A new campaign replaces the old.
    Two first messages of a new sender at once (two workers, or two threads) both get the one
    conversation: the row is inserted with ON CONFLICT DO NOTHING, then read.
    """
    moment = now or utcnow()
    created = upsert.insert_or_ignore(
        session,
        Conversation.__table__,
        ("channel", "sender_key"),
        {
            "channel": channel,
            "sender_key": sender_key,
            "campaign_id": campaign_id,
            "started_at": moment,
            "last_at": moment,
        },
    )
    query = select(Conversation).where(
        Conversation.channel == channel, Conversation.sender_key == sender_key
    )
    conversation = session.scalars(query.execution_options(populate_existing=True)).one()
    if not created:
        conversation.last_at = moment
        if campaign_id is not None:
            conversation.campaign_id = campaign_id
        session.flush()
    return conversation


def log_message(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    status: str = "pending",
    topic: str | None = None,
    letter: str | None = None,
    now: datetime | None = None,
) -> MessageLog:
    """Record one inbound message. `text` (what the NLU got) must already be normalised and
    redacted; `letter` is a long message's whole text, redacted and phones masked, when
    `text` is its condensed form."""
    if status not in STATUSES:
        raise ValueError(f"unknown message status {status!r}")
    message = MessageLog(
        conversation_id=conversation.id,
        text=text,
        status=status,
        topic=topic,
        letter=letter,
        at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def set_status(session: Session, message_id: int, status: str, *, topic: str | None = None) -> None:
    """Record what became of a message; `topic` is only written when given."""
    if status not in STATUSES:
        raise ValueError(f"unknown message status {status!r}")
    values: dict[str, str] = {"status": status}
    if topic is not None:
        values["topic"] = topic
    session.execute(update(MessageLog).where(MessageLog.id == message_id).values(**values))


def set_topic(session: Session, message_id: int, topic: str) -> None:
    session.execute(update(MessageLog).where(MessageLog.id == message_id).values(topic=topic))

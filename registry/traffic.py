"""What the gateway records per message: receipts (dedupe), opt-outs, conversations, the log.

Every function takes the caller's session and leaves committing to it, so one inbound message
is recorded in one transaction: a crash half-way leaves neither a receipt without its message
nor a message without its receipt.
"""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import upsert
from registry.channel_models import Conversation, MessageLog, OptOut, Receipt
from registry.sqltypes import utcnow

STATUSES = frozenset({"pending", "answered", "unanswered", "failed"})


def seen_before(session: Session, channel: str, provider_id: str) -> bool:
    """Record the provider's message id; True when it was recorded already (a retry).

    The unique constraint decides, not a prior SELECT, so two copies arriving at the same
    moment (WeChat retries, Twilio's second attempt) cannot both pass. Call it first in the
    transaction: a duplicate rolls the session back. (Not a savepoint: pysqlite's SAVEPOINT
    outside an explicit BEGIN would commit the receipt on its own when released.)
    """
    session.add(Receipt(channel=channel, provider_id=provider_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return True
    return False


def opt_out(session: Session, channel: str, sender_key: str) -> None:
    if not is_opted_out(session, channel, sender_key):
        session.add(OptOut(channel=channel, sender_key=sender_key))
        session.flush()


def opt_in(session: Session, channel: str, sender_key: str) -> None:
    session.execute(
        delete(OptOut).where(OptOut.channel == channel, OptOut.sender_key == sender_key)
    )


def is_opted_out(session: Session, channel: str, sender_key: str) -> bool:
    query = select(OptOut.id).where(OptOut.channel == channel, OptOut.sender_key == sender_key)
    return session.scalar(query) is not None


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

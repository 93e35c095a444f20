"""Requests to talk to a person (转人工), for the region's cadres to pick up and answer.

A request is opened by the assistant (actions/handoff.py). While it is open the gateway
pauses the assistant for that sender: their messages are added here instead of going to Rasa,
cadres reply from /handoffs, and either side closes it (gateway/handoff_inbox.py).

Every function takes the caller's session and leaves committing to it. Texts must be masked
by the caller before they are stored (gateway/handoff_inbox.py `mask_personal`).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from registry import tokens
from registry.channel_models import Conversation, Handoff, HandoffMessage, MessageLog, SecretToken
from registry.sqltypes import utcnow

Direction = Literal["resident", "cadre", "assistant"]
# How long after the resident's last message a reply can still be addressed to them (the raw
# phone or OpenID is kept as a secret token that long; WeChat's own window is 48 hours).
CONTACT_TTL = timedelta(days=7)
EARLIER_MESSAGES = 20  # of the conversation before the request, shown to the cadre


def request(
    session: Session,
    *,
    region: str | None,
    sender_key: str,
    channel: str,
    campaign: str | None,
    summary: str,
    contact_token: str | None = None,
    now: datetime | None = None,
) -> Handoff:
    """Open a request. `contact_token` (the turn's sender token, phone or OpenID) is kept
    alive for CONTACT_TTL so a cadre can answer; an unknown or expired one is not kept."""
    moment = now or utcnow()
    if contact_token is not None and tokens.resolve(session, contact_token, moment) is None:
        contact_token = None
    handoff = Handoff(
        region=region,
        sender_key=sender_key,
        channel=channel,
        campaign=campaign,
        summary=summary,
        contact_token=contact_token,
        at=moment,
        last_resident_at=moment,
    )
    session.add(handoff)
    session.flush()  # the id is shown to the resident as a reference number
    _extend_contact(session, handoff, moment)
    return handoff


def _extend_contact(session: Session, handoff: Handoff, moment: datetime) -> None:
    if handoff.contact_token is not None:
        session.execute(
            update(SecretToken)
            .where(SecretToken.token == handoff.contact_token)
            .values(expires_at=moment + CONTACT_TTL)
        )


def open_for(session: Session, channel: str, sender_key: str) -> Handoff | None:
    """The sender's open request on `channel` (the newest, should there be several)."""
    query = (
        select(Handoff)
        .where(
            Handoff.sender_key == sender_key, Handoff.status == "open", Handoff.channel == channel
        )
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def open_handoffs(session: Session, region: str | None = None) -> list[Handoff]:
    """The open requests, newest first: all of them, or those a cadre of `region` answers —
    the region's own and those whose region nobody knows (a resident who asked for a person
    before naming a place; their summary says 「地区：未知」), which every region's cadres see
    rather than none."""
    query = select(Handoff).where(Handoff.status == "open").order_by(Handoff.at.desc())
    if region is not None:
        query = query.where(or_(Handoff.region == region, Handoff.region.is_(None)))
    return list(session.scalars(query))


def in_region(session: Session, handoff_id: int, region: str) -> Handoff | None:
    """The request, only when a cadre of `region` may answer it: their region's, or one whose
    region is unknown (open_handoffs). A cadre never reaches another region's request."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.region not in (region, None):
        return None
    return handoff


def add_message(
    session: Session,
    handoff: Handoff,
    direction: Direction,
    text: str,
    *,
    cadre_id: int | None = None,
    outbox_id: int | None = None,
    now: datetime | None = None,
) -> HandoffMessage:
    """Record a message (already masked). A resident's message moves `last_resident_at` and
    keeps the contact token alive for another CONTACT_TTL."""
    moment = now or utcnow()
    message = HandoffMessage(
        handoff_id=handoff.id,
        direction=direction,
        text=text,
        cadre_id=cadre_id,
        outbox_id=outbox_id,
        at=moment,
    )
    session.add(message)
    if direction == "resident":
        handoff.last_resident_at = moment
        _extend_contact(session, handoff, moment)
    session.flush()
    return message


def has_messages(session: Session, handoff: Handoff) -> bool:
    query = select(HandoffMessage.id).where(HandoffMessage.handoff_id == handoff.id).limit(1)
    return session.scalar(query) is not None


def messages(session: Session, handoff_ids: Iterable[int]) -> dict[int, list[HandoffMessage]]:
    """Each request's messages, oldest first."""
    ids = list(handoff_ids)
    found: dict[int, list[HandoffMessage]] = {handoff_id: [] for handoff_id in ids}
    query = (
        select(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids)).order_by(HandoffMessage.id)
    )
    for message in session.scalars(query):
        found[message.handoff_id].append(message)
    return found


def earlier_messages(
    session: Session, handoff: Handoff, limit: int = EARLIER_MESSAGES
) -> list[MessageLog]:
    """What the resident said to the assistant up to the request (the gateway's message log,
    ID numbers already tokens), oldest first."""
    query = (
        select(MessageLog)
        .join(Conversation, Conversation.id == MessageLog.conversation_id)
        .where(
            Conversation.channel == handoff.channel,
            Conversation.sender_key == handoff.sender_key,
            MessageLog.at <= handoff.at,
        )
        .order_by(MessageLog.at.desc(), MessageLog.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(query))))


def sent_to_sender(
    session: Session, channel: str, sender_key: str, after: int
) -> list[HandoffMessage]:
    """Cadres' and the assistant's handoff messages to a sender after message id `after`
    (the widget fetches these: it has no provider to deliver them)."""
    query = (
        select(HandoffMessage)
        .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
        .where(
            Handoff.channel == channel,
            Handoff.sender_key == sender_key,
            HandoffMessage.id > after,
            HandoffMessage.direction != "resident",
        )
        .order_by(HandoffMessage.id)
    )
    return list(session.scalars(query))


def last_message_id(session: Session, channel: str, sender_key: str) -> int:
    """The newest handoff message id of a sender (0 when none): where the widget starts."""
    query = (
        select(HandoffMessage.id)
        .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
        .where(Handoff.channel == channel, Handoff.sender_key == sender_key)
        .order_by(HandoffMessage.id.desc())
        .limit(1)
    )
    return session.scalar(query) or 0


def contact(session: Session, handoff: Handoff, now: datetime | None = None) -> str | None:
    """The raw phone or OpenID a reply goes to; None for the widget or once expired."""
    if handoff.contact_token is None:
        return None
    resolved = tokens.resolve(session, handoff.contact_token, now)
    return resolved[1] if resolved else None


def close(session: Session, handoff: Handoff, closed_by: str, now: datetime | None = None) -> bool:
    """Give the conversation back to the assistant; the contact token is deleted (a closing
    notice must be queued before). False when it was closed already."""
    if handoff.status != "open":
        return False
    handoff.status = "closed"
    handoff.closed_at = now or utcnow()
    handoff.closed_by = closed_by
    token, handoff.contact_token = handoff.contact_token, None
    session.flush()
    if token is not None:
        session.execute(delete(SecretToken).where(SecretToken.token == token))
    return True

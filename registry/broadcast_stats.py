"""What the admin page shows per broadcast, and which broadcast a resident's reply answers.

Counts come from the rows themselves: `broadcast_recipients` (opted out) joined to the outbox
(queued, sent, failed) and the provider's later report on the row (`delivery_status`, from
Twilio's status callbacks: delivered, or undelivered/failed), so they are right however many
processes sent them and after any restart.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.broadcast_models import Broadcast, BroadcastRecipient
from registry.channel_models import Conversation, MessageLog
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow

BUCKETS = ("queued", "sent", "delivered", "failed", "opted_out")
# outbox status → bucket, unless the provider reported the row's fate afterwards (below).
OUTBOX_BUCKETS = {
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "failed": "failed",
    "undeliverable": "failed",
}
# delivery status (registry/delivery.py) → bucket; other reports (queued, sent) change nothing.
DELIVERY_BUCKETS = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}
# A resident's first message within this long after a broadcast reached them is its reply.
REPLY_WINDOW = timedelta(days=7)
MAX_HOURS = 48  # the chart's bars: one per hour of sending, at most this many


@dataclass
class BroadcastStats:
    """`counts` has every bucket of BUCKETS (zeros included); `per_hour` the messages sent per
    hour from the first to the last (oldest first, at most MAX_HOURS bars); `replies` the
    messages residents sent after the broadcast reached them."""

    broadcast: Broadcast
    counts: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    per_hour: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def reached(self) -> int:
        return sum(self.counts.values())


def stats(session: Session, broadcast: Broadcast) -> BroadcastStats:
    result = BroadcastStats(broadcast, dict.fromkeys(BUCKETS, 0))
    ours = BroadcastRecipient.broadcast_id == broadcast.id
    query = (
        select(
            BroadcastRecipient.outcome,
            OutboxMessage.status,
            OutboxMessage.delivery_status,
            func.count(),
        )
        .outerjoin(OutboxMessage, OutboxMessage.id == BroadcastRecipient.outbox_id)
        .where(ours)
        .group_by(BroadcastRecipient.outcome, OutboxMessage.status, OutboxMessage.delivery_status)
    )
    for outcome, status, delivery, count in session.execute(query):
        if outcome == "opted_out":
            bucket = "opted_out"
        else:
            bucket = DELIVERY_BUCKETS.get(delivery or "") or OUTBOX_BUCKETS.get(status, "failed")
        result.counts[bucket] += int(count)
    sent_at = select(OutboxMessage.sent_at).join(
        BroadcastRecipient, BroadcastRecipient.outbox_id == OutboxMessage.id
    )
    sent = sent_at.where(ours, OutboxMessage.sent_at.is_not(None))
    result.per_hour = _per_hour([moment for moment in session.scalars(sent) if moment])
    replies = (
        select(func.count(func.distinct(MessageLog.id)))
        .join(Conversation, Conversation.id == MessageLog.conversation_id)
        .join(BroadcastRecipient, BroadcastRecipient.recipient_key == Conversation.sender_key)
        .join(OutboxMessage, OutboxMessage.id == BroadcastRecipient.outbox_id)
        .where(
            ours,
            Conversation.channel == broadcast.channel,
            OutboxMessage.status == "sent",
            MessageLog.at >= OutboxMessage.sent_at,
        )
    )
    result.replies = session.scalar(replies) or 0
    return result


def _per_hour(moments: list[datetime]) -> list[tuple[datetime, int]]:
    if not moments:
        return []
    first = min(moments).replace(minute=0, second=0, microsecond=0)
    hours = min(int((max(moments) - first) / timedelta(hours=1)) + 1, MAX_HOURS)
    counts = dict.fromkeys((first + timedelta(hours=i) for i in range(hours)), 0)
    for moment in moments:
        hour = moment.replace(minute=0, second=0, microsecond=0)
        if hour in counts:
            counts[hour] += 1
    return sorted(counts.items())


def campaign_for_reply(
    session: Session, channel: str, sender_key: str, now: datetime | None = None
) -> int | None:
    """The campaign of the latest broadcast sent to this sender on `channel` within
    REPLY_WINDOW, if this is their first message since it: a reply to a broadcast starts a
    conversation tagged with its campaign (later messages keep the conversation's campaign)."""
    moment = now or utcnow()
    latest = session.execute(
        select(Broadcast.campaign_id, OutboxMessage.sent_at)
        .join(BroadcastRecipient, BroadcastRecipient.broadcast_id == Broadcast.id)
        .join(OutboxMessage, OutboxMessage.id == BroadcastRecipient.outbox_id)
        .where(
            BroadcastRecipient.recipient_key == sender_key,
            Broadcast.channel == channel,
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at >= moment - REPLY_WINDOW,
        )
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    last_at = session.scalar(
        select(Conversation.last_at).where(
            Conversation.channel == channel, Conversation.sender_key == sender_key
        )
    )
    if last_at is not None and latest.sent_at is not None and last_at >= latest.sent_at:
        return None
    return int(latest.campaign_id)

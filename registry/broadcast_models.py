"""Broadcasts (群发通知): one text an admin sends to the consenting residents of an audience.

A broadcast is sent through the outbox (registry/outbox_models.py), one row per resident, kind
`broadcast`, idempotency key `broadcast:<broadcast id>:<resident id>`, so a broadcast that was
interrupted and resumed never queues a resident twice. `broadcast_recipients` records what
became of each resident of the audience as the sender reached them: queued (with the outbox
row) or opted out (退订, nothing queued); the outbox row then says queued, sent or failed.

`lease_holder` / `lease_until` are the sending job's claim on the broadcast (gateway/
broadcasts/): one job sends a broadcast at a time; a job that died stops renewing its lease,
and once it lapsed another job resumes where the recipients table says it stopped.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.channel_models import KEY_LENGTH
from registry.models import NAME_LENGTH, Base
from registry.sqltypes import RegionKey, UTCDateTime, utcnow
from settlement.identifiers import Region

CHANNELS = ("sms", "wechat")
STATUSES = ("scheduled", "sending", "done")
OUTCOMES = ("queued", "opted_out")


class Broadcast(Base):
    """One broadcast. `villages` and `categories` are JSON lists (empty: all of the region);
    `disease` narrows it to residents with that recognised chronic disease."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'wechat')", name="channel"),
        CheckConstraint("status IN ('scheduled', 'sending', 'done')", name="status"),
        Index("ix_broadcasts_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    region: Mapped[Region] = mapped_column(RegionKey())
    villages: Mapped[str] = mapped_column(Text, default="[]")
    categories: Mapped[str] = mapped_column(Text, default="[]")
    disease: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))  # "cadre:<id>"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_holder: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BroadcastRecipient(Base):
    """A resident of the audience the sender reached: `queued` with its outbox row, or
    `opted_out` (nothing sent). `recipient_key` is the keyed sender hash on the broadcast's
    channel, so a reply can be traced to the broadcast (and its campaign)."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        CheckConstraint("outcome IN ('queued', 'opted_out')", name="outcome"),
        UniqueConstraint("broadcast_id", "resident_id"),
        Index("ix_broadcast_recipients_recipient_key", "recipient_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    recipient_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    outcome: Mapped[str] = mapped_column(String(16))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

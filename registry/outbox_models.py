"""The outbox (发件箱): every message the assistant sends outside an HTTP reply.

The WeChat answers that come too late for a passive reply (customer-service messages), a
cadre's handoff replies (gateway/handoff_inbox.py), later broadcasts. A row is written before
anything is sent, claimed by one worker at a time for a lease, and ends `sent`, `failed` (given up:
credentials, or transient errors past the attempt limit) or `undeliverable` (the provider
refused this message for good, e.g. WeChat's 45015 after the 48-hour window).

`sent` means the provider accepted the message. What became of it afterwards, when the
provider reports that (Twilio's status callbacks: queued → sent → delivered, or undelivered /
failed with an error code), is kept beside it in the `delivery_*` columns, under the message
id the provider gave (`provider_id`); see registry/delivery.py.

No raw OpenID or phone number is stored here: `recipient_key` is the keyed sender hash every
table uses, and `recipient_token` an opaque secret token (registry/tokens.py) that resolves
to the raw value while the row can still be sent. The token is deleted when the row reaches
a final status, and it expires anyway with the channel's window.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.channel_models import KEY_LENGTH
from registry.models import Base
from registry.sqltypes import UTCDateTime, utcnow

STATUSES = ("queued", "sending", "sent", "failed", "undeliverable")
FINAL_STATUSES = frozenset({"sent", "failed", "undeliverable"})
IDEMPOTENCY_KEY_LENGTH = 128
ERROR_LENGTH = 200
PROVIDER_ID_LENGTH = 64  # Twilio's message SIDs are 34 characters
DELIVERY_STATUS_LENGTH = 24
ERROR_CODE_LENGTH = 16


class OutboxMessage(Base):
    """One message to send. `payload` is a JSON object (`{"text": …}` for a text message);
    `idempotency_key` names what the message is (e.g. the reply to one provider message), so
    the same message can never be queued twice; `next_attempt_at` is when a queued row is due,
    and for a row being sent the end of its sender's lease."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'undeliverable')", name="status"
        ),
        UniqueConstraint("idempotency_key"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # Deleting a secret token sets its references to NULL: without an index, a scan each.
        Index("ix_outbox_recipient_token", "recipient_token"),
        # A provider's status report names its own message id.
        Index("ix_outbox_provider_id", "provider_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # reply | handoff | broadcast
    recipient_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    recipient_token: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("secret_tokens.token", ondelete="SET NULL")
    )
    payload: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The provider's id of the message (Twilio's "SM…" SID), once it accepted it.
    provider_id: Mapped[str | None] = mapped_column(String(PROVIDER_ID_LENGTH))
    # The latest status the provider reported, in its words (Twilio: queued, accepted, sent,
    # delivered, undelivered, failed, read …), with its error code and when it came.
    delivery_status: Mapped[str | None] = mapped_column(String(DELIVERY_STATUS_LENGTH))
    delivery_error_code: Mapped[str | None] = mapped_column(String(ERROR_CODE_LENGTH))
    delivery_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

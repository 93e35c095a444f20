"""What the gateway and the action server record about conversations.

No table holds a message body with a raw phone number or ID number: senders are keyed hashes,
ID numbers in text were replaced by tokens before anything was stored.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models import Base
from registry.sqltypes import UTCDateTime, utcnow

KEY_LENGTH = 80  # keyed sender hashes ("u_" + 64 hex) and provider ids fit


class SecretToken(Base):
    """An opaque token standing for an ID number, phone or OpenID (docs/conversation.md).

    The gateway issues them so that Rasa never sees the raw value; only the action server
    resolves them, and they expire.
    """

    __tablename__ = "secret_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('id_number', 'phone', 'openid')", name="kind"),
        Index("ix_secret_tokens_expires_at", "expires_at"),
    )

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Receipt(Base):
    """A provider message seen once (Twilio MessageSid, WeChat MsgId): retries are not processed
    twice, across restarts too.

    The receipt is also the claim on answering it: `claimed_until` is set while one worker
    answers the message and cleared once the answer is given (or handed to the outbox). A
    copy that arrives while the claim holds waits for that answer; a copy that arrives after
    it lapsed (the worker died) takes the claim over and answers. `message_id` is the logged
    message the claim is answering, so a lapsed claim's message can be marked failed.
    """

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(KEY_LENGTH))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))


class OptOut(Base):
    """A sender who texted 退订/TD/STOP: no replies until 订阅/START."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "sender_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    """One sender on one channel, with the campaign that brought them (if any)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageLog(Base):
    """One inbound message: redacted text, what the assistant made of it, whether it answered.

    `status` is 'answered', 'unanswered' (fallback), 'failed' (Rasa down: kept for a retry) or
    'pending' (WeChat: answered later through the customer-service API).
    """

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'answered', 'unanswered', 'failed')", name="status"),
        Index("ix_messages_conversation_id_at", "conversation_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(Text)  # normalised and redacted: no ID number, no phone
    # A long letter whole (text is then its condensed form), redacted and phones masked.
    letter: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")


class Handoff(Base):
    """A request to talk to a person (人工), for the cadres of the region to pick up.

    While it is open the assistant is paused for this sender on this channel: their messages
    go to the handoff (HandoffMessage), not to Rasa. `contact_token` is a secret token for the
    raw phone or OpenID (None for the widget, which is answered by its sender key), so a
    cadre's reply can be sent; it is refreshed by each resident message and deleted at close.
    `closed_by` is "cadre:<id>" or "resident".
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_handoffs_region_status", "region", "status"),
        Index("ix_handoffs_sender_key_status", "sender_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    region: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    sender_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    campaign: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    contact_token: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("secret_tokens.token", ondelete="SET NULL")
    )
    last_resident_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(40))


class HandoffMessage(Base):
    """One message of an open handoff: the resident's (instead of going to Rasa), a cadre's
    reply, or what the assistant said about the handoff (「已结束人工服务」).

    `text` is masked before it is stored: no full ID number, phone number or OpenID.
    `outbox_id` is the outbox row that carries a reply to SMS or WeChat (its delivery status);
    widget replies need none, the widget fetches them from here.
    """

    __tablename__ = "handoff_messages"
    __table_args__ = (
        CheckConstraint("direction IN ('resident', 'cadre', 'assistant')", name="direction"),
        Index("ix_handoff_messages_handoff_id_id", "handoff_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    direction: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id", ondelete="SET NULL"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))


class VerificationState(Base):
    """Failed identity confirmations per sender; five lock personal lookups for 30 minutes."""

    __tablename__ = "verification_states"

    sender_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WeChatBinding(Base):
    """A WeChat follower bound to a resident (by a cadre), so WeChat lookups can be verified."""

    __tablename__ = "wechat_bindings"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

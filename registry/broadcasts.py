"""Broadcasts (群发通知): who an audience reaches, creating one, and the sending job's steps.

Who gets a broadcast: the residents of the audience (region, villages, categories, chronic
disease) who recorded consent (residents.broadcast_consent) and can be reached on its channel
(a mobile for `sms`, a bound WeChat follower for `wechat`), minus those who opted out on that
channel (退订/TD/STOP, registry/traffic.py): an opt-out always wins over consent. The audience
is worked out when the broadcast is sent, so consent and opt-outs recorded after it was
created count.

Senders are keyed hashes everywhere (gateway/text.py: sender_key); this module is handed the
hashing function (`KeyOf`) rather than the key, and never stores a raw phone or OpenID: the
outbox keeps those only as expiring secret tokens.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from registry import outbox, traffic, upsert
from registry.broadcast_models import CHANNELS, Broadcast, BroadcastRecipient
from registry.channel_models import OptOut, WeChatBinding
from registry.models import Resident, ResidentDisease, ResidentPhone, audit
from registry.outbox import Claimed
from registry.outbox_models import OutboxMessage
from registry.people_models import Campaign
from registry.sqltypes import utcnow
from settlement.identifiers import Category, Region

KeyOf = Callable[[str], str]  # raw phone (+86…) or OpenID → keyed sender hash
MAX_TEXT = 500  # characters; 8 SMS parts of Chinese text
# The outbox keeps the raw recipient this long, so an interrupted broadcast can resume.
RECIPIENT_TTL = timedelta(days=7)
_CHUNK = 500
# The outbox error of a row whose resident opted out after it was queued (never sent).
OPTED_OUT_ERROR = "opted out after the message was queued"


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for; empty villages or categories mean all of the region."""

    region: Region
    channel: str
    villages: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    disease: str | None = None

    @classmethod
    def of(cls, broadcast: Broadcast) -> "Audience":
        return cls(
            broadcast.region,
            broadcast.channel,
            tuple(json.loads(broadcast.villages)),
            tuple(Category(value) for value in json.loads(broadcast.categories)),
            broadcast.disease,
        )


@dataclass(frozen=True)
class Recipient:
    """One consenting, reachable resident: `address` is the raw phone (+86…) or OpenID."""

    resident_id: int
    address: str
    key: str
    opted_out: bool


@dataclass(frozen=True)
class Reach:
    """How many residents an audience holds: `consenting` (and reachable on the channel),
    of whom `opted_out`; `recipients` = consenting - opted_out, who will get it."""

    consenting: int
    opted_out: int

    @property
    def recipients(self) -> int:
        return self.consenting - self.opted_out


def _addresses(audience: Audience) -> Select[int, str]:
    if audience.channel == "sms":
        query = select(Resident.id, ResidentPhone.phone).join(ResidentPhone)
        order: Any = ResidentPhone.id
    else:
        query = select(Resident.id, WeChatBinding.openid).join(
            WeChatBinding, WeChatBinding.resident_id == Resident.id
        )
        order = WeChatBinding.openid
    query = query.where(Resident.region == audience.region, Resident.broadcast_consent.is_(True))
    if audience.villages:
        query = query.where(Resident.village.in_(audience.villages))
    if audience.categories:
        query = query.where(Resident.category.in_(audience.categories))
    if audience.disease:
        query = query.where(
            select(ResidentDisease.id)
            .where(
                ResidentDisease.resident_id == Resident.id,
                ResidentDisease.disease == audience.disease,
            )
            .exists()
        )
    return query.order_by(Resident.id, order)


def recipients(session: Session, audience: Audience, key_of: KeyOf) -> list[Recipient]:
    """The consenting residents the audience reaches, by resident id (a resident's first
    mobile, or first bound follower), each marked when they opted out on the channel."""
    if audience.channel not in CHANNELS:
        raise ValueError(f"unknown broadcast channel {audience.channel!r}")
    first: dict[int, str] = {}
    for resident_id, address in session.execute(_addresses(audience)):
        first.setdefault(resident_id, address)
    raw = {
        resident_id: ("+86" + address if audience.channel == "sms" else address)
        for resident_id, address in first.items()
    }
    keys = {resident_id: key_of(address) for resident_id, address in raw.items()}
    opted = _opted_out(session, audience.channel, list(keys.values()))
    return [
        Recipient(resident_id, raw[resident_id], key, key in opted)
        for resident_id, key in keys.items()
    ]


def _opted_out(session: Session, channel: str, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(OptOut.sender_key).where(
            OptOut.channel == channel, OptOut.sender_key.in_(chunk)
        )
        found.update(session.scalars(query))
    return found


def reach(session: Session, audience: Audience, key_of: KeyOf) -> Reach:
    found = recipients(session, audience, key_of)
    return Reach(len(found), sum(1 for recipient in found if recipient.opted_out))


def create(
    session: Session,
    *,
    campaign: Campaign,
    text: str,
    audience: Audience,
    actor: str,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    """A broadcast due at `scheduled_at` (default now), audited. Raises ValueError with a short
    Chinese reason for an empty or too long text or an unknown channel."""
    text = text.strip()
    if not text:
        raise ValueError("通知内容不能为空")
    if len(text) > MAX_TEXT:
        raise ValueError(f"通知内容最多{MAX_TEXT}个字")
    if audience.channel not in CHANNELS:
        raise ValueError("渠道应为短信或微信")
    broadcast = Broadcast(
        campaign_id=campaign.id,
        text=text,
        channel=audience.channel,
        region=audience.region,
        villages=json.dumps(list(audience.villages), ensure_ascii=False),
        categories=json.dumps([category.value for category in audience.categories]),
        disease=audience.disease or None,
        status="scheduled",
        scheduled_at=scheduled_at or utcnow(),
        created_by=actor,
    )
    session.add(broadcast)
    session.flush()
    detail = f"broadcast={broadcast.id} campaign={campaign.code} channel={audience.channel}"
    audit(session, actor, "broadcasts.create", detail)
    return broadcast


def _free(now: datetime) -> object:
    return or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now)


def due(session: Session, now: datetime | None = None) -> list[int]:
    """Broadcasts to send now: due and not done, and no live job holds them."""
    moment = now or utcnow()
    query = select(Broadcast.id).where(
        Broadcast.status.in_(("scheduled", "sending")),
        Broadcast.scheduled_at <= moment,
        _free(moment),  # type: ignore[arg-type]
    )
    return list(session.scalars(query.order_by(Broadcast.scheduled_at, Broadcast.id)))


def latest_lease(session: Session) -> datetime | None:
    """When the last live lease on an unfinished broadcast ends (a job that died holds it)."""
    query = select(Broadcast.lease_until).where(
        Broadcast.status == "sending", Broadcast.lease_until.is_not(None)
    )
    leases = list(session.scalars(query))
    return max(leases) if leases else None  # type: ignore[type-var]


def claim(
    session: Session, broadcast_id: int, holder: str, lease: timedelta, now: datetime | None = None
) -> Broadcast | None:
    """Take the broadcast for `lease` if it is due and nobody holds it; None otherwise."""
    moment = now or utcnow()
    taken = session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_(("scheduled", "sending")),
            Broadcast.scheduled_at <= moment,
            _free(moment),  # type: ignore[arg-type]
        )
        .values(status="sending", lease_holder=holder, lease_until=moment + lease)
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        return None
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is not None and broadcast.started_at is None:
        broadcast.started_at = moment
    return broadcast


def _held(broadcast_id: int, holder: str) -> tuple[object, ...]:
    return (Broadcast.id == broadcast_id, Broadcast.lease_holder == holder)


def renew(
    session: Session, broadcast_id: int, holder: str, lease: timedelta, now: datetime | None = None
) -> bool:
    """Extend the lease; False when it was lost (it lapsed and another job took it)."""
    moment = now or utcnow()
    statement = (
        update(Broadcast)
        .where(*_held(broadcast_id, holder), Broadcast.lease_until >= moment)  # type: ignore[arg-type]
        .values(lease_until=moment + lease)
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).first() is not None


def release(
    session: Session, broadcast_id: int, holder: str, *, done: bool, now: datetime | None = None
) -> None:
    """Give the lease up; `done` when every recipient's message reached a final status."""
    values: dict[str, object] = {"lease_holder": None, "lease_until": None}
    if done:
        values.update(status="done", finished_at=now or utcnow())
    session.execute(update(Broadcast).where(*_held(broadcast_id, holder)).values(**values))  # type: ignore[arg-type]


def idempotency_key(broadcast_id: int, resident_id: int) -> str:
    return f"broadcast:{broadcast_id}:{resident_id}"


def needs_sending(session: Session, broadcast_id: int, resident_id: int) -> bool:
    """True when the resident has not been reached yet, or their message is not final."""
    query = (
        select(BroadcastRecipient.outcome, OutboxMessage.status)
        .outerjoin(OutboxMessage, OutboxMessage.id == BroadcastRecipient.outbox_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.resident_id == resident_id,
        )
    )
    row = session.execute(query).first()
    if row is None:
        return True
    return row.outcome == "queued" and row.status in ("queued", "sending")


def take(
    session: Session,
    broadcast: Broadcast,
    recipient: Recipient,
    lease: timedelta,
    now: datetime | None = None,
) -> Claimed | None:
    """The resident's message, claimed for sending, or None (opted out, done, not due).

    On first reach: an opted-out resident is recorded as such and nothing is queued; anyone
    else gets an outbox row (idempotency key `broadcast:<id>:<resident id>`), claimed at once
    so no other sender sends it unthrottled. A row already queued (the job was interrupted)
    is claimed when due: queued, or left `sending` past its lease.
    """
    moment = now or utcnow()
    existing = session.execute(
        select(BroadcastRecipient.outcome, BroadcastRecipient.outbox_id).where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.resident_id == recipient.resident_id,
        )
    ).first()
    if existing is not None:
        if existing.outcome != "queued" or existing.outbox_id is None:
            return None
        return outbox.claim_if_due(session, existing.outbox_id, lease, now=moment)
    opted_out = _opted_out(session, broadcast.channel, [recipient.key])
    row_id = None
    if not opted_out:
        row_id = outbox.enqueue(
            session,
            channel=broadcast.channel,
            kind="broadcast",
            recipient_key=recipient.key,
            recipient=recipient.address,
            recipient_kind="phone" if broadcast.channel == "sms" else "openid",
            payload={"text": broadcast.text},
            idempotency_key=idempotency_key(broadcast.id, recipient.resident_id),
            ttl=RECIPIENT_TTL,
            now=moment,
        )
    upsert.insert_or_ignore(
        session,
        BroadcastRecipient.__table__,
        ("broadcast_id", "resident_id"),
        {
            "broadcast_id": broadcast.id,
            "resident_id": recipient.resident_id,
            "recipient_key": recipient.key,
            "outcome": "opted_out" if opted_out else "queued",
            "outbox_id": row_id,
            "at": moment,
        },
    )
    if row_id is None:
        return None
    return outbox.claim_now(session, row_id, lease, now=moment)


@dataclass(frozen=True)
class AtSend:
    """What the sender of a broadcast row checks at the moment it sends, not when the row
    was queued (a resend after a crash can come much later): whether the resident has opted
    out on the channel since, and when they last wrote (WeChat's 48-hour window)."""

    opted_out: bool
    last_contact: datetime | None


def at_send(session: Session, claimed: Claimed) -> AtSend:
    key = claimed.recipient_key
    return AtSend(
        traffic.is_opted_out(session, claimed.channel, key),
        traffic.last_contact(session, claimed.channel, key),
    )


def record_opted_out(session: Session, claimed: Claimed, now: datetime | None = None) -> bool:
    """The resident opted out between the row's queuing and its sending: the row is closed
    `undeliverable` (nothing is sent) and the resident counted as opted out in the
    broadcast's figures. False when the claim was lost (another sender holds the row)."""
    if not outbox.record_final(session, claimed, "undeliverable", OPTED_OUT_ERROR, now):
        return False
    session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.outbox_id == claimed.id)
        .values(outcome="opted_out")
    )
    return True


def by_id(session: Session, broadcast_id: int) -> Broadcast | None:
    return session.get(Broadcast, broadcast_id)


def for_region(session: Session, region: Region, limit: int = 50) -> list[Broadcast]:
    query = (
        select(Broadcast)
        .where(Broadcast.region == region)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))

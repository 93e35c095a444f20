"""The outbox pattern (registry/outbox_models.py): write the row, claim it, send, record.

A row is written before anything is sent. A sender claims rows with one UPDATE that sets
`sending`, counts the attempt and sets `next_attempt_at` to the end of its lease; the rows
are chosen with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so several gateway processes
claim disjoint rows without waiting for each other; on SQLite, whose writers take turns, the
single UPDATE is the claim. A row left `sending` past its lease (its sender died) is due
again and claimed again: it is sent once more, never lost. Rows already sent are never
claimed, and the unique idempotency key stops the same message from being queued twice.

The attempt count doubles as the claim's fencing token: a sender records the outcome only if
the row is still `sending` under its attempt, so a sender that outlived its lease cannot
overwrite what the next one recorded. Delivery is at least once: a sender that dies after
the provider accepted a message but before `record_sent` leaves a row that is sent again
(WeChat has no idempotency key of its own) — unless the provider's delivery report named the
row in the meantime (Twilio's status callback carries the row id): a claim then carries the
provider's id (`Claimed.provider_id`) and the sender records the row sent without sending.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from registry import delivery, tokens, upsert
from registry.channel_models import SecretToken
from registry.outbox_models import ERROR_LENGTH, FINAL_STATUSES, OutboxMessage
from registry.sqltypes import utcnow

# WeChat allows customer-service messages for 48 hours after the resident's message; the
# raw OpenID needs to live no longer than that.
RECIPIENT_TTL = timedelta(hours=48)
PROBLEMS = ("failed", "undeliverable")


@dataclass(frozen=True)
class Claimed:
    """A row this sender holds for its lease. `recipient` is the raw OpenID or phone, or None
    when its token is gone (expired, purged): such a row cannot be sent any more."""

    id: int
    channel: str
    recipient: str | None = field(repr=False)
    payload: dict[str, Any] = field(repr=False)
    attempts: int
    idempotency_key: str
    # Set when a delivery report already named this row (registry/delivery.py): the provider
    # accepted the message in an attempt whose sender died before recording it.
    provider_id: str | None = None
    kind: str = "reply"  # reply | handoff | broadcast
    recipient_key: str = ""  # the keyed sender hash (opt-outs, conversations use it)


def enqueue(
    session: Session,
    *,
    channel: str,
    kind: str,
    recipient_key: str,
    recipient: str,
    recipient_kind: tokens.Kind,
    payload: dict[str, Any],
    idempotency_key: str,
    due: datetime | None = None,
    ttl: timedelta = RECIPIENT_TTL,
    now: datetime | None = None,
) -> int | None:
    """Queue a message, due at `due` (default: now). None when a message with this
    idempotency key is queued already (by this or another worker), and nothing is added."""
    moment = now or utcnow()
    token = tokens.issue(session, recipient_kind, recipient, ttl=ttl, now=moment)
    session.flush()  # the row below refers to the token
    values = {
        "channel": channel,
        "kind": kind,
        "recipient_key": recipient_key,
        "recipient_token": token,
        "payload": json.dumps(payload, ensure_ascii=False),
        "idempotency_key": idempotency_key,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": due or moment,
        "created_at": moment,
        "updated_at": moment,
    }
    if not upsert.insert_or_ignore(session, OutboxMessage.__table__, ("idempotency_key",), values):
        session.execute(delete(SecretToken).where(SecretToken.token == token))
        return None
    query = select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    return session.scalars(query).one()


def claim_due(
    session: Session, lease: timedelta, *, limit: int = 20, now: datetime | None = None
) -> list[Claimed]:
    """Claim up to `limit` rows that are due: queued and due, or sending past their lease."""
    moment = now or utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(("queued", "sending")),
            OutboxMessage.next_attempt_at <= moment,
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    return _claim(session, OutboxMessage.id.in_(due), lease, moment)


def claim_now(
    session: Session,
    row_id: int,
    lease: timedelta,
    *,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Claimed | None:
    """Claim one queued row whether due or not, replacing its payload when given (the answer
    it was waiting for arrived); None when a sender holds it already or it is done."""
    moment = now or utcnow()
    condition = (OutboxMessage.id == row_id) & (OutboxMessage.status == "queued")
    claimed = _claim(session, condition, lease, moment, payload)
    return claimed[0] if claimed else None


def _claim(
    session: Session,
    condition: ColumnElement[bool],
    lease: timedelta,
    moment: datetime,
    payload: dict[str, Any] | None = None,
) -> list[Claimed]:
    values: dict[str, Any] = {
        "status": "sending",
        "attempts": OutboxMessage.attempts + 1,
        "next_attempt_at": moment + lease,
        "updated_at": moment,
    }
    if payload is not None:
        values["payload"] = json.dumps(payload, ensure_ascii=False)
    statement = (
        update(OutboxMessage)
        .where(condition)
        .values(**values)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(session.scalars(statement))
    if not ids:
        return []
    live = (SecretToken.token == OutboxMessage.recipient_token) & (SecretToken.expires_at > moment)
    rows = session.execute(
        select(OutboxMessage, SecretToken.value)
        .outerjoin(SecretToken, live)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    return [
        Claimed(
            row.id,
            row.channel,
            value,
            json.loads(row.payload),
            row.attempts,
            row.idempotency_key,
            row.provider_id,
            row.kind,
            row.recipient_key,
        )
        for row, value in rows
    ]


def _held(claimed: Claimed) -> ColumnElement[bool]:
    return (
        (OutboxMessage.id == claimed.id)
        & (OutboxMessage.status == "sending")
        & (OutboxMessage.attempts == claimed.attempts)
    )


def record_retry(
    session: Session, claimed: Claimed, error: str, at: datetime, now: datetime | None = None
) -> bool:
    """A transient failure: queued again, due at `at`. False when the claim was lost."""
    values = {"status": "queued", "next_attempt_at": at, "last_error": error[:ERROR_LENGTH]}
    return _record(session, claimed, values, now)


def record_final(
    session: Session,
    claimed: Claimed,
    status: str,
    error: str | None = None,
    now: datetime | None = None,
    *,
    provider_id: str | None = None,
    delivery_status: str | None = None,
) -> bool:
    """`sent`, `failed` or `undeliverable`; the recipient's token is deleted, as the raw value
    is no longer needed. False when the claim was lost (another sender holds the row).

    For `sent`, `provider_id` is the provider's id of the message (Twilio's SID) and
    `delivery_status` the status it answered with (`queued`); a status report that arrived
    in the meantime (registry/delivery.py) is kept, not overwritten."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final outbox status: {status!r}")
    moment = now or utcnow()
    values: dict[str, Any] = {"status": status}
    if status == "sent":
        values["sent_at"] = moment
        if provider_id is not None:
            values["provider_id"] = provider_id
        if delivery_status is not None:
            values["delivery_status"] = func.coalesce(
                OutboxMessage.delivery_status, delivery_status
            )
            values["delivery_updated_at"] = func.coalesce(OutboxMessage.delivery_updated_at, moment)
    else:
        values["last_error"] = (error or "")[:ERROR_LENGTH]
    token = session.scalar(
        select(OutboxMessage.recipient_token).where(OutboxMessage.id == claimed.id)
    )
    if not _record(session, claimed, values, moment):
        return False
    if token is not None:
        session.execute(delete(SecretToken).where(SecretToken.token == token))
    return True


def _record(
    session: Session, claimed: Claimed, values: dict[str, Any], now: datetime | None
) -> bool:
    statement = (
        update(OutboxMessage)
        .where(_held(claimed))
        .values(**values, updated_at=now or utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).first() is not None


def problems(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """The messages that could not be sent, or that the provider accepted and then reported
    undelivered or failed, newest first (for the admin page)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(PROBLEMS)
            | OutboxMessage.delivery_status.in_(delivery.PROBLEM_STATUSES)
        )
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_if_due(
    session: Session, row_id: int, lease: timedelta, now: datetime | None = None
) -> Claimed | None:
    """Claim one row if it is due (queued and due, or left `sending` past its lease); None when
    it is done, waiting for a retry, or held by a live sender."""
    moment = now or utcnow()
    condition = (
        (OutboxMessage.id == row_id)
        & OutboxMessage.status.in_(("queued", "sending"))
        & (OutboxMessage.next_attempt_at <= moment)
    )
    claimed = _claim(session, condition, lease, moment)
    return claimed[0] if claimed else None

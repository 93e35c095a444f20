"""Delivery reports (回执): what a provider says became of a message it accepted.

Twilio posts a status callback each time a message's status changes: `queued` (or
`accepted` through a messaging service), `sending`, `sent`, then one of `delivered`,
`undelivered`, `failed` (with an ErrorCode such as 30003, 30005, 30007), later perhaps `read`.
Callbacks may arrive late, twice, or out of order, so a report is recorded only when it moves
the message forward (`RANKS`): a late `sent` after `delivered` changes nothing, nor does a
second `delivered`. The first final status wins.

The report is recorded by one UPDATE whose condition compares ranks in SQL, so two reports
arriving at once on two gateway processes cannot overwrite each other's newer status.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, or_, select, update
from sqlalchemy.orm import Session

from registry.outbox_models import ERROR_CODE_LENGTH, OutboxMessage
from registry.sqltypes import utcnow

# How far along each status is; a report with a rank no higher than the recorded one is stale.
RANKS: dict[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "partially_delivered": 4,
    "read": 5,
}
PROBLEM_STATUSES = ("undelivered", "failed")


class Reported(StrEnum):
    RECORDED = "recorded"  # the row now shows this status
    STALE = "stale"  # the row already shows this status or a later one
    UNKNOWN = "unknown"  # no row has this provider id (nor the given row id without one)
    IGNORED = "ignored"  # a status this registry does not know; nothing changed


def _rank(column: SQLColumnExpression[str | None]) -> ColumnElement[int]:
    return case(RANKS, value=column, else_=-1)


def record_report(
    session: Session,
    *,
    provider_id: str,
    status: str,
    error_code: str | None = None,
    row_id: int | None = None,
    now: datetime | None = None,
) -> Reported:
    """Record that the provider reports `status` for its message `provider_id`.

    `row_id` is the outbox row the report is about when the report names it (the status
    callback URL carries it): a report that arrives before the sender recorded the provider's
    id finds its row that way, and records the id too. An `error_code` longer than 16
    characters is cut. Raises SQLAlchemyError.
    """
    if status not in RANKS:
        return Reported.IGNORED
    matches: ColumnElement[bool] = OutboxMessage.provider_id == provider_id
    if row_id is not None:
        unnamed = and_(OutboxMessage.id == row_id, OutboxMessage.provider_id.is_(None))
        matches = or_(matches, unnamed)
    statement = (
        update(OutboxMessage)
        .where(matches, _rank(OutboxMessage.delivery_status) < RANKS[status])
        .values(
            provider_id=provider_id,
            delivery_status=status,
            delivery_error_code=(error_code or None) and error_code[:ERROR_CODE_LENGTH],
            delivery_updated_at=now or utcnow(),
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    if session.execute(statement).first() is not None:
        return Reported.RECORDED
    exists = session.scalar(select(OutboxMessage.id).where(matches).limit(1))
    return Reported.STALE if exists is not None else Reported.UNKNOWN

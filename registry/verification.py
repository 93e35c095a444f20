"""Locking personal lookups after repeated wrong answers: 5 failures lock a sender 30 minutes."""

from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, null, update
from sqlalchemy.orm import Session

from registry import upsert
from registry.channel_models import VerificationState
from registry.sqltypes import UTCDateTime, utcnow

MAX_FAILURES = 5
LOCK = timedelta(minutes=30)


def lock_state(session: Session, sender_key: str, now: datetime | None = None) -> datetime | None:
    """Until when the sender is locked out, or None."""
    state = session.get(VerificationState, sender_key)
    if state is None or state.locked_until is None or state.locked_until <= (now or utcnow()):
        return None
    return state.locked_until


def record_failure(session: Session, sender_key: str, now: datetime | None = None) -> int:
    """Count a wrong answer; the fifth locks the sender for LOCK (and each later one while
    locked renews the lock). Returns the failures so far; an expired lock starts a fresh count.

    One atomic UPDATE … SET failures = failures + 1 after an INSERT … ON CONFLICT DO NOTHING:
    wrong answers arriving at the same moment (two Rasa instances, two action-server workers)
    are all counted, never lost to a read-modify-write.
    """
    moment = now or utcnow()
    state = VerificationState
    upsert.insert_or_ignore(
        session,
        state.__table__,
        ("sender_key",),
        {"sender_key": sender_key, "failures": 0, "locked_until": None, "updated_at": moment},
    )
    expired = and_(state.locked_until.is_not(None), state.locked_until <= moment)
    failures = case((expired, 1), else_=state.failures + 1)
    locked_until = case(
        (failures >= MAX_FAILURES, literal(moment + LOCK, UTCDateTime())),
        (expired, null()),
        else_=state.locked_until,
    )
    statement = (
        update(state)
        .where(state.sender_key == sender_key)
        .values(failures=failures, locked_until=locked_until, updated_at=moment)
        .returning(state.failures)
        .execution_options(synchronize_session="fetch")
    )
    return int(session.execute(statement).scalar_one())


def clear(session: Session, sender_key: str) -> None:
    """A correct answer forgets earlier failures (but never lifts an active lock early)."""
    session.execute(
        delete(VerificationState)
        .where(
            VerificationState.sender_key == sender_key,
            VerificationState.locked_until.is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )

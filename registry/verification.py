"""Locking personal lookups after repeated wrong answers: 5 failures lock a sender 30 minutes."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from registry.channel_models import VerificationState
from registry.sqltypes import utcnow

MAX_FAILURES = 5
LOCK = timedelta(minutes=30)


def lock_state(session: Session, sender_key: str, now: datetime | None = None) -> datetime | None:
    """Until when the sender is locked out, or None."""
    state = session.get(VerificationState, sender_key)
    if state is None or state.locked_until is None or state.locked_until <= (now or utcnow()):
        return None
    return state.locked_until


def record_failure(session: Session, sender_key: str, now: datetime | None = None) -> int:
    """Count a wrong answer; the fifth locks the sender. Returns the failures so far."""
    moment = now or utcnow()
    state = session.get(VerificationState, sender_key)
    if state is None:
        state = VerificationState(sender_key=sender_key, failures=0)
        session.add(state)
    if state.locked_until is not None and state.locked_until <= moment:
        state.failures, state.locked_until = 0, None  # an expired lock starts a fresh count
    state.failures += 1
    state.updated_at = moment
    if state.failures >= MAX_FAILURES:
        state.locked_until = moment + LOCK
    return state.failures


def clear(session: Session, sender_key: str) -> None:
    """A correct answer forgets earlier failures (but never lifts an active lock early)."""
    state = session.get(VerificationState, sender_key)
    if state is not None and state.locked_until is None:
        session.delete(state)

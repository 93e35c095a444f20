"""Races fixed in the database, with real concurrency: threads with their own connections hit
one database at the same moment (SQLite, and PostgreSQL where they actually interleave).

Each thread holds its transaction open a little after its write, as a busy worker would, so
the others' statements meet an uncommitted row: select-then-insert and read-modify-write fail
here every time, not once in a while.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry import traffic, verification
from registry.channel_models import Conversation, OptOut, VerificationState
from registry.traffic import Claim

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOLD_SECONDS = 0.2
T = TypeVar("T")


def at_once(sessions: sessionmaker[Session], count: int, work: Callable[[Session], T]) -> list[T]:
    """Run `work` in `count` threads released together, each in its own transaction held
    HOLD_SECONDS before committing; their results, or the first exception raised."""
    start = threading.Barrier(count)

    def one() -> T:
        start.wait()
        with sessions.begin() as session:
            result = work(session)
            time.sleep(HOLD_SECONDS)
        return result

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        return [future.result() for future in futures]


def test_first_messages_of_a_new_sender_at_once_share_one_conversation(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    sender = "u_" + "d" * 64

    ids = at_once(
        session_factory, 6, lambda s: traffic.conversation_for(s, "sms", sender, None, now=NOW).id
    )

    assert len(set(ids)) == 1
    rows = select(func.count()).select_from(Conversation).where(Conversation.sender_key == sender)
    assert session.scalar(rows) == 1


def test_a_later_message_at_once_with_a_campaign_keeps_the_conversation(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    sender = "u_" + "e" * 64
    with session_factory.begin() as first:
        started = traffic.conversation_for(first, "wechat", sender, None, now=NOW).id
    later = NOW + timedelta(minutes=5)

    ids = at_once(
        session_factory,
        4,
        lambda s: traffic.conversation_for(s, "wechat", sender, None, now=later).id,
    )

    assert ids == [started] * 4
    conversation = session.get(Conversation, started)
    assert conversation is not None and conversation.last_at == later


def test_wrong_answers_at_once_are_all_counted_and_the_fifth_locks(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    sender = "u_" + "f" * 64

    counts = at_once(session_factory, 5, lambda s: verification.record_failure(s, sender, now=NOW))

    assert sorted(counts) == [1, 2, 3, 4, 5]
    state = session.get(VerificationState, sender)
    assert state is not None and state.failures == 5
    assert verification.lock_state(session, sender, now=NOW) == NOW + verification.LOCK


def test_wrong_answers_at_once_after_an_expired_lock_start_a_fresh_count(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    sender = "u_" + "0" * 64
    with session_factory.begin() as before:
        for _ in range(verification.MAX_FAILURES):
            verification.record_failure(before, sender, now=NOW)
    later = NOW + verification.LOCK + timedelta(minutes=1)

    counts = at_once(
        session_factory, 3, lambda s: verification.record_failure(s, sender, now=later)
    )

    assert sorted(counts) == [1, 2, 3]
    assert verification.lock_state(session, sender, now=later) is None


def test_copies_of_one_message_at_once_are_claimed_by_exactly_one(
    session_factory: sessionmaker[Session],
) -> None:
    lease = timedelta(seconds=10)

    claims = at_once(
        session_factory, 3, lambda s: traffic.claim(s, "sms", "SMsame", lease, now=NOW)
    )

    assert sorted(claims) == sorted([Claim.NEW, Claim.IN_FLIGHT, Claim.IN_FLIGHT])


def test_copies_at_once_after_the_claim_lapsed_are_taken_over_by_exactly_one(
    session_factory: sessionmaker[Session],
) -> None:
    lease = timedelta(seconds=10)
    with session_factory.begin() as died:  # the first worker claimed, then died
        traffic.claim(died, "wechat", "wx_lapsed", lease, now=NOW)
    later = NOW + lease + timedelta(seconds=1)

    claims = at_once(
        session_factory, 3, lambda s: traffic.claim(s, "wechat", "wx_lapsed", lease, now=later)
    )

    assert sorted(claims) == sorted([Claim.TAKEN_OVER, Claim.IN_FLIGHT, Claim.IN_FLIGHT])


def test_copies_of_an_opt_out_at_once_record_one(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    sender = "u_" + "f" * 64

    at_once(session_factory, 5, lambda s: traffic.opt_out(s, "sms", sender))

    rows = select(func.count()).select_from(OptOut).where(OptOut.sender_key == sender)
    assert session.scalar(rows) == 1
    assert traffic.is_opted_out(session, "sms", sender)

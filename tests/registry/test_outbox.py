"""registry.outbox on SQLite and PostgreSQL: queued once per idempotency key, claimed by one
sender at a time for a lease, claimed again when the lease lapses, never once sent."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry import delivery, outbox
from registry.channel_models import SecretToken
from registry.outbox_models import OutboxMessage
from tests.registry.test_races import at_once

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def queue(session: Session, key: str = "reply:wechat:wx_1", **fields: Any) -> int | None:
    values: dict[str, Any] = {
        "channel": "wechat",
        "kind": "reply",
        "recipient_key": "u_" + "a" * 64,
        "recipient": OPENID,
        "recipient_kind": "openid",
        "payload": {"text": "您问的是：住院能报多少"},
        "idempotency_key": key,
        "now": NOW,
    }
    values.update(fields)
    return outbox.enqueue(session, **values)


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_message_is_queued_once_per_idempotency_key(session: Session) -> None:
    first = queue(session)
    again = queue(session)
    session.commit()

    assert first is not None and again is None
    assert count(session, OutboxMessage) == 1
    assert count(session, SecretToken) == 1  # the second call's token is not left behind
    row = session.get(OutboxMessage, first)
    assert row is not None and OPENID not in (row.recipient_key + row.payload)


def test_a_due_row_is_claimed_once_and_again_only_after_its_lease(session: Session) -> None:
    queue(session)
    queue(session, key="later", due=NOW + timedelta(minutes=5))
    session.commit()

    [claimed] = outbox.claim_due(session, LEASE, now=NOW)
    nothing = outbox.claim_due(session, LEASE, now=NOW + LEASE - timedelta(seconds=1))
    [again] = outbox.claim_due(session, LEASE, now=NOW + LEASE)

    assert (claimed.recipient, claimed.payload["text"]) == (OPENID, "您问的是：住院能报多少")
    assert (claimed.attempts, again.attempts, again.id) == (1, 2, claimed.id)
    assert nothing == []


def test_a_sent_row_is_never_claimed_again_and_its_token_is_deleted(session: Session) -> None:
    row_id = queue(session)
    [claimed] = outbox.claim_due(session, LEASE, now=NOW)

    assert outbox.record_final(session, claimed, "sent", now=NOW)
    session.commit()

    assert outbox.claim_due(session, LEASE, now=NOW + timedelta(days=1)) == []
    row = session.get(OutboxMessage, row_id)
    assert row is not None and (row.status, row.recipient_token) == ("sent", None)
    assert count(session, SecretToken) == 0


def test_a_sender_whose_lease_lapsed_cannot_record_over_the_next_one(session: Session) -> None:
    queue(session)
    [stale] = outbox.claim_due(session, LEASE, now=NOW)
    [current] = outbox.claim_due(session, LEASE, now=NOW + LEASE)
    assert outbox.record_final(session, current, "sent", now=NOW + LEASE)

    assert not outbox.record_retry(session, stale, "ConnectTimeout", at=NOW + LEASE)
    assert not outbox.record_final(session, stale, "failed", "gave up")
    assert session.scalars(select(OutboxMessage.status)).one() == "sent"


def test_a_row_a_delivery_report_named_is_claimed_again_with_the_providers_id(
    session: Session,
) -> None:
    queue(session, channel="sms", recipient="+8613900139000", recipient_kind="phone")
    [dead] = outbox.claim_due(session, LEASE, now=NOW)  # its sender dies after Twilio's 201
    delivery.record_report(session, provider_id="SM" + "1" * 32, status="sent", row_id=dead.id)

    [again] = outbox.claim_due(session, LEASE, now=NOW + LEASE)

    assert dead.provider_id is None
    assert (again.id, again.provider_id) == (dead.id, "SM" + "1" * 32)


def test_a_retry_is_due_again_at_its_time(session: Session) -> None:
    queue(session)
    [claimed] = outbox.claim_due(session, LEASE, now=NOW)
    outbox.record_retry(session, claimed, "-1 system error", at=NOW + timedelta(minutes=1))

    assert outbox.claim_due(session, LEASE, now=NOW + timedelta(seconds=59)) == []
    [again] = outbox.claim_due(session, LEASE, now=NOW + timedelta(minutes=1))
    assert again.attempts == 2


def test_claim_now_takes_a_queued_row_early_with_its_answer_but_not_a_held_one(
    session: Session,
) -> None:
    waiting = queue(session, due=NOW + timedelta(minutes=1), payload={"text": "系统繁忙"})
    held = queue(session, key="held")
    assert waiting is not None and held is not None
    outbox.claim_due(session, LEASE, now=NOW)  # a sender loop holds "held"

    claimed = outbox.claim_now(session, waiting, LEASE, payload={"text": "答案"}, now=NOW)

    assert claimed is not None and claimed.payload == {"text": "答案"}
    assert outbox.claim_now(session, held, LEASE, now=NOW) is None
    assert outbox.claim_now(session, waiting, LEASE, now=NOW) is None  # claimed already


def test_a_row_whose_token_expired_has_no_recipient(session: Session) -> None:
    queue(session, ttl=timedelta(hours=1))

    [claimed] = outbox.claim_due(session, LEASE, now=NOW + timedelta(hours=2))

    assert claimed.recipient is None


def test_problems_are_the_failed_and_undeliverable_newest_first(session: Session) -> None:
    for index, status in enumerate(["sent", "undeliverable", "failed"]):
        queue(session, key=f"k{index}")
        [claimed] = outbox.claim_due(session, LEASE, now=NOW)
        later = NOW + timedelta(minutes=index)
        outbox.record_final(session, claimed, status, f"error {index}", now=later)

    assert [row.last_error for row in outbox.problems(session)] == ["error 2", "error 1"]
    with pytest.raises(ValueError, match="final"):
        outbox.record_final(session, claimed, "queued")


def test_senders_claiming_at_once_share_the_rows_without_overlap(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        for index in range(10):
            queue(session, key=f"reply:{index}")

    batches = at_once(
        session_factory, 3, lambda s: [c.id for c in outbox.claim_due(s, LEASE, limit=4, now=NOW)]
    )

    claimed = [row_id for batch in batches for row_id in batch]
    assert len(claimed) == len(set(claimed)) == 10
    assert sorted(len(batch) for batch in batches) == [2, 4, 4]

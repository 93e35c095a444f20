"""registry.delivery on SQLite and PostgreSQL: a provider's status reports move a sent message
forward only; late, repeated and unknown reports change nothing; a report that overtakes the
sender's own record still lands on its row; migration 0007 adds and removes the columns."""

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from registry import outbox
from registry.db import alembic_config, get_engine, upgrade
from registry.delivery import Reported, record_report
from registry.outbox_models import OutboxMessage
from tests.registry.test_outbox import LEASE, NOW, queue
from tests.registry.test_races import at_once

SID = "SM" + "a1" * 16
PHONE = "+8613800138000"


def sent_sms(session: Session, key: str = "handoff:1", sid: str | None = SID) -> int:
    """An sms row the sender recorded as accepted by Twilio with `sid`, answer `queued`."""
    row_id = queue(session, key=key, channel="sms", recipient=PHONE, recipient_kind="phone")
    assert row_id is not None
    [claimed] = outbox.claim_due(session, LEASE, now=NOW)
    assert outbox.record_final(
        session, claimed, "sent", now=NOW, provider_id=sid, delivery_status="queued"
    )
    return row_id


def delivery(session: Session, row_id: int) -> tuple[str | None, str | None, str | None]:
    session.expire_all()
    row = session.get(OutboxMessage, row_id)
    assert row is not None
    return row.provider_id, row.delivery_status, row.delivery_error_code


def test_reports_move_a_message_forward_and_late_or_repeated_ones_change_nothing(
    session: Session,
) -> None:
    row_id = sent_sms(session)
    queued = delivery(session, row_id)

    answers = [
        record_report(session, provider_id=SID, status=status, now=NOW + timedelta(seconds=i))
        for i, status in enumerate(["sent", "delivered", "sent", "delivered", "undelivered"])
    ]

    assert queued == (SID, "queued", None)
    # sent, delivered: recorded; the late sent, the repeated delivered, and an undelivered
    # after delivered (the first final status wins): stale.
    assert answers == ["recorded", "recorded", "stale", "stale", "stale"]
    assert delivery(session, row_id) == (SID, "delivered", None)
    row = session.get(OutboxMessage, row_id)
    assert row is not None and row.delivery_updated_at == NOW + timedelta(seconds=1)


def test_an_undelivered_report_keeps_its_error_code_and_lists_the_row_as_a_problem(
    session: Session,
) -> None:
    row_id = sent_sms(session)
    sent_sms(session, key="handoff:2", sid="SM" + "b2" * 16)

    answer = record_report(session, provider_id=SID, status="undelivered", error_code="30003")

    assert answer is Reported.RECORDED
    assert delivery(session, row_id) == (SID, "undelivered", "30003")
    assert [row.id for row in outbox.problems(session)] == [row_id]


def test_a_report_that_overtakes_the_senders_record_finds_its_row_by_id(
    session: Session,
) -> None:
    row_id = queue(session, channel="sms", recipient=PHONE, recipient_kind="phone")
    assert row_id is not None
    [claimed] = outbox.claim_due(session, LEASE, now=NOW)

    early = record_report(session, provider_id=SID, status="sent", row_id=row_id)
    outbox.record_final(session, claimed, "sent", provider_id=SID, delivery_status="queued")

    assert early is Reported.RECORDED
    assert delivery(session, row_id) == (SID, "sent", None)  # queued did not overwrite sent


def test_a_row_id_with_another_message_sid_is_not_taken_over(session: Session) -> None:
    row_id = sent_sms(session)

    answer = record_report(session, provider_id="SM" + "c3" * 16, status="sent", row_id=row_id)

    assert answer is Reported.UNKNOWN
    assert delivery(session, row_id) == (SID, "queued", None)


@pytest.mark.parametrize(
    ("provider_id", "status", "expected"),
    [
        ("SM" + "f" * 32, "delivered", Reported.UNKNOWN),  # no message has this SID
        (SID, "bounced", Reported.IGNORED),  # not a status Twilio documents
    ],
)
def test_unknown_messages_and_statuses_change_nothing(
    session: Session, provider_id: str, status: str, expected: Reported
) -> None:
    row_id = sent_sms(session)

    assert record_report(session, provider_id=provider_id, status=status) is expected
    assert delivery(session, row_id) == (SID, "queued", None)


def test_reports_arriving_at_once_keep_the_furthest_status(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        row_id = sent_sms(session)
    statuses = iter(["sent", "delivered", "sending"])

    answers = at_once(
        session_factory, 3, lambda s: record_report(s, provider_id=SID, status=next(statuses))
    )

    with session_factory() as session:
        assert delivery(session, row_id)[1] == "delivered"
    assert Reported.RECORDED in answers


def test_migration_0007_adds_and_removes_the_delivery_columns_keeping_rows(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url, "0006")
    engine = get_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO outbox (channel, kind, recipient_key, payload, idempotency_key,"
                    " status, attempts, next_attempt_at, created_at, updated_at)"
                    " VALUES ('wechat', 'reply', 'u_x', '{}', 'old', 'sent', 1,"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        added = {"provider_id", "delivery_status", "delivery_error_code", "delivery_updated_at"}

        upgrade(empty_database_url, "0007")
        after_upgrade = {column["name"] for column in inspect(engine).get_columns("outbox")}
        indexes = {index["name"] for index in inspect(engine).get_indexes("outbox")}
        with engine.connect() as connection:
            kept = connection.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.delivery_status)
            ).all()
        command.downgrade(alembic_config(empty_database_url), "0006")
        after_downgrade = {column["name"] for column in inspect(engine).get_columns("outbox")}
        with engine.connect() as connection:
            still = connection.execute(text("SELECT idempotency_key FROM outbox")).all()
    finally:
        engine.dispose()

    assert added <= after_upgrade and "ix_outbox_provider_id" in indexes
    assert kept == [("old", None)]
    assert not added & after_downgrade and [tuple(row) for row in still] == [("old",)]

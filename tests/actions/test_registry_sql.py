"""SqlRegistry against a migrated SQLite database: the real registry functions, audit rows."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.registry_sql import SqlRegistry
from registry import cadres, tokens
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.models import AuditLog, LedgerEntry
from registry.residents import bind_openid
from settlement.identifiers import Category, Fund, Region
from tests.registry.factories import add_resident, make_id_number

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    engine = get_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_sender_token_resolves_to_a_masked_record(sessions: sessionmaker[Session]) -> None:
    id_number = make_id_number(Region("guyang"))
    with sessions() as session:
        resident = add_resident(
            session,
            id_number=id_number,
            phones=["13800001111"],
            diseases=["高血压"],
            region=Region("guyang"),
            category=Category.POOR,
            village="下湿壕村",
        )
        session.add(
            LedgerEntry(
                resident_id=resident.id,
                year=NOW.year,
                fund=Fund.POVERTY_FUND,
                disease="高血压",
                amount=Decimal("300.00"),
            )
        )
        token = tokens.issue(session, "phone", "13800001111", now=NOW)
        session.commit()
    record = SqlRegistry(sessions).resident_for_sender(token, NOW)
    assert record is not None
    assert record.masked_id == id_number[:6] + "********" + id_number[-4:]
    assert record.id_tail == id_number[-6:]
    assert record.chronic_paid == {"高血压": Decimal("300.00")}
    assert "13800001111" not in repr(record) and id_number not in repr(record)
    # Expired after 30 minutes.
    assert SqlRegistry(sessions).resident_for_sender(token, NOW + timedelta(minutes=31)) is None


def test_an_openid_resolves_only_once_staff_bound_it(sessions: sessionmaker[Session]) -> None:
    id_number = make_id_number(Region("guyang"))
    with sessions() as session:
        resident = add_resident(session, id_number=id_number, region=Region("guyang"))
        bound = tokens.issue(session, "openid", "oBoundFollower", now=NOW)
        stranger = tokens.issue(session, "openid", "oStranger", now=NOW)
        bind_openid(session, "oBoundFollower", resident)
        session.commit()
    registry = SqlRegistry(sessions)

    record = registry.resident_for_sender(bound, NOW)

    assert record is not None and record.id_tail == id_number[-6:]
    assert registry.resident_for_sender(stranger, NOW) is None


def test_lock_after_five_failures_and_audit_rows(sessions: sessionmaker[Session]) -> None:
    registry = SqlRegistry(sessions)
    counts = [registry.record_failure("u_abc", NOW) for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    assert registry.lock_state("u_abc", NOW) == NOW + timedelta(minutes=30)
    registry.audit("sms:0123456789abcdef", "verify_failed", "failures=5")
    with sessions() as session:
        rows = session.scalars(select(AuditLog)).all()
        assert [(r.actor, r.action, r.detail) for r in rows] == [
            ("sms:0123456789abcdef", "verify_failed", "failures=5")
        ]


def test_cadre_and_handoff(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        cadre = cadres.create(
            session,
            username="liu",
            display_name="刘村干",
            password="correct horse",
            region=Region("guyang"),
            villages=["下湿壕村"],
        )
        session.commit()
        cadre_id = cadre.id
    registry = SqlRegistry(sessions)
    record = registry.cadre(cadre_id)
    assert record is not None and record.village_names == ("下湿壕村",)
    handoff_id = registry.request_handoff(
        region=Region("guyang"),
        sender_key="u_abc",
        channel="sms",
        campaign=None,
        summary="地区：固阳县",
    )
    assert handoff_id >= 1

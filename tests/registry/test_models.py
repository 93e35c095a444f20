"""Residents, the ledger and the audit log, on both backends."""

from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from registry.models import AuditLog, LedgerEntry, Resident, ResidentPhone, audit, year_to_date
from settlement.identifiers import Category, Fund, Region
from tests.registry.factories import add_resident, make_id_number


def test_resident_round_trip_keeps_enums_and_utc_timestamps(session: Session) -> None:
    resident = add_resident(session, phones=["13900002222"], diseases=["高血压"])
    session.commit()
    session.expunge_all()

    loaded = session.get_one(Resident, resident.id)

    assert loaded.region == Region("nantong")
    assert loaded.category is Category.DIBAO
    assert loaded.phone_numbers == ["13900002222"]
    assert loaded.disease_names == ["高血压"]
    assert loaded.created_at.tzinfo is UTC


def test_id_number_is_stored_upper_case(session: Session) -> None:
    # 11010519491231002X is the textbook example number; its check character is X.
    resident = add_resident(session, id_number="11010519491231002x")

    stored = session.scalar(select(Resident.id_number).where(Resident.id == resident.id))

    assert stored == "11010519491231002X"


def test_invalid_id_number_is_refused_before_reaching_the_database() -> None:
    with pytest.raises(ValueError, match="校验位不正确"):
        Resident(id_number="110105194912310021")


@pytest.mark.parametrize(
    "column, value",
    [
        ("category", "rich"),  # not a resident category
        ("disability", "mild"),  # only severe and child disabilities count
    ],
)
def test_check_constraints_refuse_unknown_values(session: Session, column: str, value: str) -> None:
    resident = add_resident(session)
    session.commit()

    with pytest.raises(IntegrityError):
        session.execute(
            text(f"UPDATE residents SET {column} = :value WHERE id = :id"),
            {"value": value, "id": resident.id},
        )


def test_a_region_without_a_rules_file_is_refused_on_write_and_on_read(session: Session) -> None:
    # The list of regions is policies/, not a CHECK constraint: Python refuses what SQL allows.
    resident = add_resident(session)
    session.commit()

    resident.region = "beijing"  # type: ignore[assignment]
    with pytest.raises(StatementError, match="'beijing' is not a region of policies/"):
        session.commit()
    session.rollback()
    session.execute(
        text("UPDATE residents SET region = 'beijing' WHERE id = :id"), {"id": resident.id}
    )
    session.expire_all()
    with pytest.raises(ValueError, match="'beijing' is not a region of policies/"):
        session.get(Resident, resident.id)


def test_exited_resident_needs_an_exit_year(session: Session) -> None:
    with pytest.raises(IntegrityError):
        add_resident(session, category=Category.EXITED, exit_year=None)


def test_a_phone_number_belongs_to_one_resident(session: Session) -> None:
    add_resident(session, phones=["13700003333"])

    with pytest.raises(IntegrityError):
        add_resident(session, id_number=make_id_number(sequence=7), phones=["13700003333"])


def test_deleting_a_resident_deletes_their_phones(session: Session) -> None:
    resident = add_resident(session, phones=["13700003333", "13700004444"])

    session.delete(resident)
    session.flush()

    assert session.scalar(select(func.count()).select_from(ResidentPhone)) == 0


def _pay(session: Session, resident: Resident, fund: Fund, amount: str, **kw: object) -> None:
    session.add(LedgerEntry(resident_id=resident.id, fund=fund, amount=Decimal(amount), **kw))


def test_year_to_date_sums_exactly_per_fund_and_disease(session: Session) -> None:
    resident = add_resident(session, diseases=["高血压", "糖尿病"])
    # Ten payments of 0.10 sum to 0.99999… in binary floating point, exactly 1.00 in Decimal.
    for _ in range(10):
        _pay(session, resident, Fund.BASIC_INSURANCE, "0.10", year=2026, disease="高血压")
    _pay(session, resident, Fund.BASIC_INSURANCE, "1234567890.01", year=2026)
    _pay(session, resident, Fund.MEDICAL_ASSISTANCE, "0.20", year=2026, disease="糖尿病")
    _pay(session, resident, Fund.MEDICAL_ASSISTANCE, "99.99", year=2025)  # last year: not counted
    session.commit()

    totals = year_to_date(session, resident.id, 2026)

    assert totals["funds"][Fund.BASIC_INSURANCE] == Decimal("1234567891.01")
    assert totals["funds"][Fund.MEDICAL_ASSISTANCE] == Decimal("0.20")
    assert totals["funds"][Fund.CHARITY] == Decimal("0.00")
    assert totals["diseases"] == {
        "高血压": {Fund.BASIC_INSURANCE: Decimal("1.00")},
        "糖尿病": {Fund.MEDICAL_ASSISTANCE: Decimal("0.20")},
    }
    assert all(type(total) is Decimal for total in totals["funds"].values())


def test_year_to_date_of_a_resident_without_entries_is_all_zero(session: Session) -> None:
    resident = add_resident(session)

    totals = year_to_date(session, resident.id, 2026)

    assert set(totals["funds"].values()) == {Decimal("0.00")}
    assert totals["diseases"] == {}


@pytest.mark.parametrize(
    "amount, error",
    [
        (Decimal("0.005"), ValueError),  # half a fen: settlement rounds, the ledger does not
        (0.1, TypeError),  # a float is never money
    ],
)
def test_ledger_refuses_amounts_that_are_not_whole_fen(amount: object, error: type) -> None:
    with pytest.raises(error):
        LedgerEntry(resident_id=1, year=2026, fund=Fund.CHARITY, amount=amount)


def test_audit_log_masks_any_full_id_number(session: Session) -> None:
    id_number = make_id_number(Region("yancheng"))
    resident = add_resident(session, id_number=id_number)

    audit(session, "cadre:7", "residents.show", f"looked up {id_number}", resident.id)
    session.commit()

    entry = session.scalars(select(AuditLog)).one()
    assert id_number not in entry.detail
    assert entry.detail == f"looked up {id_number[:6]}********{id_number[-4:]}"
    assert entry.at.tzinfo is UTC


def test_audit_entry_survives_its_resident(session: Session) -> None:
    resident = add_resident(session)
    audit(session, "cli", "residents.show", resident_id=resident.id)
    session.commit()

    session.execute(text("DELETE FROM resident_phones"))
    session.execute(text("DELETE FROM residents"))
    session.commit()

    assert session.scalars(select(AuditLog.resident_id)).one() is None

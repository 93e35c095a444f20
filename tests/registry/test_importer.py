"""Importing the residents CSV, on both backends: good files, skip_invalid, updates, audit."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.importer import import_file
from registry.models import AuditLog
from registry.residents import find_by_id_number
from settlement.identifiers import Category, Disability, Region
from tests.registry.factories import make_id_number, make_row, read_csv, write_csv
from tests.registry.importing import CURRENT_YEAR, Row, resident_count, run_import


def test_good_file_is_imported_with_phones_and_diseases(session: Session, tmp_path: Path) -> None:
    exited = make_row(
        id_number=make_id_number(Region("rongchang")),
        phone="+8613800002222; 13800003333",
        region="rongchang",
        category="exited",
        exit_year="2019",
        disability="severe",
        chronic_diseases="",
        family_doctor="",
    )
    rows = [make_row(), exited]

    result = run_import(session, tmp_path / "residents.csv", rows)

    assert (result.imported, result.updated, result.rejected) == (2, 0, [])
    resident = find_by_id_number(session, exited["id_number"])
    assert resident is not None
    assert resident.phone_numbers == ["13800002222", "13800003333"]
    assert (resident.category, resident.exit_year) == (Category.EXITED, 2019)
    assert resident.disability is Disability.SEVERE
    assert resident.disease_names == []
    assert resident.family_doctor is None


def test_utf8_bom_is_accepted(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", [make_row()], bom=True)

    result = import_file(session, path, current_year=CURRENT_YEAR)

    assert (result.imported, result.rejected) == (1, [])


UNKNOWN_REGION = "未知地区“baotou”（应为 nantong、rongchang、guyang、yancheng 之一）"


def test_skip_invalid_imports_good_rows_and_writes_rejected_ones(
    session: Session, tmp_path: Path
) -> None:
    bad = make_row(region="baotou")
    rows = [make_row(), bad, make_row()]
    rejected_path = tmp_path / "rejected.csv"

    result = run_import(
        session, tmp_path / "in.csv", rows, skip_invalid=True, rejected_path=rejected_path
    )

    assert (result.imported, len(result.rejected)) == (2, 1)
    assert resident_count(session) == 2
    assert result.rejected_path == rejected_path
    assert read_csv(rejected_path) == [bad | {"reason": f"第3行：{UNKNOWN_REGION}"}]


def test_skip_invalid_writes_rejected_rows_next_to_the_file_by_default(
    session: Session, tmp_path: Path
) -> None:
    rows: list[Row] = [make_row(), ["too", "short"]]

    result = run_import(session, tmp_path / "in.csv", rows, skip_invalid=True)

    assert result.rejected_path == tmp_path / "in.rejected.csv"
    assert read_csv(tmp_path / "in.rejected.csv")[0]["reason"] == "第3行：应有10列，实际2列"


def test_reimport_updates_in_place_and_replaces_phones_and_diseases(
    session: Session, tmp_path: Path
) -> None:
    first = make_row(phone="13800001111;13800002222", chronic_diseases="高血压;糖尿病")
    run_import(session, tmp_path / "first.csv", [first])
    before = find_by_id_number(session, first["id_number"])
    assert before is not None
    resident_id, created_at = before.id, before.created_at
    session.expunge_all()

    # The same person, found again by ID number: kept phone 2222, new phone 3333, one disease.
    second = first | {
        "phone": "13800002222;13800003333",
        "chronic_diseases": "糖尿病",
        "village": "银号村",
    }
    result = run_import(session, tmp_path / "second.csv", [second])

    assert (result.imported, result.updated) == (0, 1)
    after = find_by_id_number(session, first["id_number"])
    assert after is not None
    assert after.id == resident_id
    assert after.created_at == created_at
    assert after.updated_at > created_at
    assert after.village == "银号村"
    assert after.phone_numbers == ["13800002222", "13800003333"]
    assert after.disease_names == ["糖尿病"]
    assert resident_count(session) == 1


def test_each_import_writes_one_audit_entry_with_counts_only(
    session: Session, tmp_path: Path
) -> None:
    good, bad = make_row(), make_row(region="baotou")

    run_import(session, tmp_path / "a.csv", [good, bad], skip_invalid=True)
    run_import(session, tmp_path / "b.csv", [good, bad])

    entries = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(entry.actor, entry.action, entry.detail) for entry in entries] == [
        ("cli", "residents.import", "imported=1 updated=0 rejected=1 skip_invalid=True"),
        ("cli", "residents.import", "imported=0 updated=0 rejected=1 skip_invalid=False"),
    ]
    for entry in entries:
        assert good["id_number"] not in entry.detail
        assert bad["id_number"] not in entry.detail

"""Importing the residents CSV into the registry.

By default a file is all or nothing: one bad row and no row is written, and every bad row is
reported with its line. With skip_invalid the good rows go in and the bad ones come back, with
their reasons, in a CSV the cadre can fix and import again. A resident already registered is
updated in place, found by ID number; their phones and diseases are replaced by the file's.

The caller owns the transaction (e.g. `with sessionmaker.begin() as session`), so the rows and
the audit entry are committed together or not at all.
"""

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry import idnumber
from registry.models import Resident, ResidentDisease, ResidentPhone, audit
from registry.residents_csv import (
    HEADER,
    CsvFileError,
    CsvRow,
    DiseaseValidator,
    ResidentRecord,
    check_duplicates,
    check_row,
    read_rows,
)
from registry.sqltypes import utcnow

AUDIT_ACTION = "residents.import"
# Stays well under SQLite's limit on bound parameters per statement.
_CHUNK = 500


@dataclass(frozen=True)
class Rejection:
    line: int
    message: str  # 第5行：身份证号校验位不正确
    cells: tuple[str, ...]
    columns: tuple[str, ...] = HEADER  # the header of the file the row came from


@dataclass
class ImportResult:
    imported: int = 0  # residents new to the registry
    updated: int = 0  # residents already there, overwritten from the file
    rejected: list[Rejection] = field(default_factory=list)
    file_error: str | None = None  # the whole file was refused (encoding, header, CSV syntax)
    rejected_path: Path | None = None  # where skip_invalid wrote the rejected rows

    @property
    def ok(self) -> bool:
        """True when the file went in and nothing was left out."""
        return self.file_error is None and not self.rejected


def import_file(
    session: Session,
    path: Path,
    *,
    skip_invalid: bool = False,
    rejected_path: Path | None = None,
    disease_validator: DiseaseValidator | None = None,
    actor: str = "cli",
    current_year: int | None = None,
) -> ImportResult:
    """Import the CSV at `path`; with skip_invalid, rejected rows go to `rejected_path`
    (default: next to the file, as <name>.rejected.csv)."""
    result = import_csv(
        session,
        path.read_bytes(),
        skip_invalid=skip_invalid,
        disease_validator=disease_validator,
        actor=actor,
        current_year=current_year,
    )
    if skip_invalid and result.rejected:
        result.rejected_path = rejected_path or path.with_name(f"{path.stem}.rejected.csv")
        write_rejected(result.rejected_path, result.rejected)
    return result


def import_csv(
    session: Session,
    data: bytes,
    *,
    skip_invalid: bool = False,
    disease_validator: DiseaseValidator | None = None,
    actor: str = "cli",
    current_year: int | None = None,
) -> ImportResult:
    """Import the CSV bytes (UTF-8, optional BOM) and add one audit entry with the counts."""
    result = ImportResult()
    try:
        rows = read_rows(data)
    except CsvFileError as error:
        result.file_error = str(error)
        audit(session, actor, AUDIT_ACTION, f"file_error line={error.line}")
        return result
    year = current_year or date.today().year
    for row in rows:
        check_row(row, current_year=year, disease_validator=disease_validator)
    check_duplicates(rows)
    _check_phone_owners(session, [row for row in rows if row.ok])
    result.rejected = [
        Rejection(row.line, row.message, tuple(row.cells), row.columns)
        for row in rows
        if not row.ok
    ]
    if skip_invalid or not result.rejected:
        records = [row.record for row in rows if row.record is not None and row.ok]
        result.imported, result.updated = _save(session, records)
    detail = (
        f"imported={result.imported} updated={result.updated} "
        f"rejected={len(result.rejected)} skip_invalid={skip_invalid}"
    )
    audit(session, actor, AUDIT_ACTION, detail)
    session.flush()
    return result


def write_rejected(path: Path, rejected: Sequence[Rejection]) -> None:
    """The rejected rows as they were, plus a `reason` column (after any surplus cells), under
    the header of their file."""
    columns = rejected[0].columns if rejected else HEADER
    # The BOM makes Excel on Chinese Windows open the file as UTF-8 instead of GBK.
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow((*columns, "reason"))
        for rejection in rejected:
            # A short row is padded so its reason still lands in the `reason` column.
            padding = ("",) * (len(columns) - len(rejection.cells))
            writer.writerow((*rejection.cells, *padding, rejection.message))


def _check_phone_owners(session: Session, rows: list[CsvRow]) -> None:
    """A mobile already registered to another resident is refused: one number, one person.

    Moving a number between residents therefore takes two imports (remove, then add), which
    keeps the unique constraint from failing halfway through a transaction.
    """
    wanted = {phone for row in rows if row.record for phone in row.record.phones}
    owners: dict[str, str] = {}
    for chunk in _chunks(sorted(wanted)):
        query = (
            select(ResidentPhone.phone, Resident.id_number)
            .join(Resident)
            .where(ResidentPhone.phone.in_(chunk))
        )
        owners.update({phone: id_number for phone, id_number in session.execute(query)})
    for row in rows:
        assert row.record is not None
        for phone in row.record.phones:
            if owners.get(phone, row.record.id_number) != row.record.id_number:
                row.reasons.append(f"手机号{idnumber.mask_phone(phone)}已登记在其他居民名下")


def _save(session: Session, records: list[ResidentRecord]) -> tuple[int, int]:
    existing = _load_residents(session, [record.id_number for record in records])
    imported = updated = 0
    now = utcnow()
    for record in records:
        resident = existing.get(record.id_number)
        if resident is None:
            resident = Resident(id_number=record.id_number)
            session.add(resident)
            imported += 1
        else:
            # Set by hand: a change to phones or diseases alone leaves the row itself untouched.
            resident.updated_at = now
            updated += 1
        _copy(record, resident)
    session.flush()
    return imported, updated


def _load_residents(session: Session, id_numbers: list[str]) -> dict[str, Resident]:
    found: dict[str, Resident] = {}
    for chunk in _chunks(id_numbers):
        query = (
            select(Resident)
            .where(Resident.id_number.in_(chunk))
            .options(selectinload(Resident.phones), selectinload(Resident.diseases))
        )
        found.update({resident.id_number: resident for resident in session.scalars(query)})
    return found


def _copy(record: ResidentRecord, resident: Resident) -> None:
    resident.name = record.name
    resident.region = record.region
    resident.category = record.category
    resident.village = record.village
    resident.exit_year = record.exit_year
    resident.disability = record.disability
    resident.family_doctor = record.family_doctor
    if record.consent is not None:
        resident.broadcast_consent = record.consent
    # Entries that stay are kept as they are: deleting and re-inserting the same value in one
    # flush would trip the unique constraints, since SQLAlchemy inserts before it deletes.
    phones = {entry.phone: entry for entry in resident.phones}
    resident.phones = [phones.get(phone) or ResidentPhone(phone=phone) for phone in record.phones]
    diseases = {entry.disease: entry for entry in resident.diseases}
    resident.diseases = [
        diseases.get(disease) or ResidentDisease(disease=disease) for disease in record.diseases
    ]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]

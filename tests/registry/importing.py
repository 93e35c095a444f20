"""Running the importer in tests: write rows to a file, import them, commit."""

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.importer import ImportResult, import_file
from registry.models import Resident
from registry.residents_csv import DiseaseValidator
from tests.registry.factories import write_csv

CURRENT_YEAR = 2026


Row = Mapping[str, str] | list[str]


def run_import(
    session: Session,
    path: Path,
    rows: Sequence[Row],
    *,
    skip_invalid: bool = False,
    rejected_path: Path | None = None,
    disease_validator: DiseaseValidator | None = None,
) -> ImportResult:
    """Write the rows to `path`, import them as of CURRENT_YEAR and commit."""
    write_csv(path, rows)
    result = import_file(
        session,
        path,
        skip_invalid=skip_invalid,
        rejected_path=rejected_path,
        disease_validator=disease_validator,
        current_year=CURRENT_YEAR,
    )
    session.commit()
    return result


def resident_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resident)) or 0

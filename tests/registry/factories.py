"""Plain factory functions for test data: valid ID numbers, CSV files, residents."""

import csv
import io
import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from registry.idnumber import check_digit
from registry.models import Resident, ResidentDisease, ResidentPhone
from registry.residents_csv import HEADER
from settlement.identifiers import Category, Disability, Region

# Real area codes (行政区划代码) of the four regions; the people are fictional.
AREA_CODES = {
    Region("guyang"): "150222",  # 固阳县
    Region("nantong"): "320600",  # 南通市
    Region("rongchang"): "500153",  # 荣昌区
    Region("yancheng"): "320900",  # 盐城市
}

_sequence = itertools.count(1)
_phones = itertools.count(1)


def make_phone() -> str:
    """A distinct, well-formed mainland mobile number each call."""
    return f"138{next(_phones):08d}"


def make_id_number(
    region: str = "guyang", birth: str = "19580301", sequence: int | None = None
) -> str:
    """A valid 18-character ID number: area code, birth date, sequence, check digit."""
    number = next(_sequence) if sequence is None else sequence
    first17 = f"{AREA_CODES[region]}{birth}{number % 1000:03d}"
    return first17 + check_digit(first17)


def with_wrong_check_digit(id_number: str) -> str:
    wrong = "0" if id_number[17] != "0" else "1"
    return id_number[:17] + wrong


def make_row(**overrides: str) -> dict[str, str]:
    """A CSV row that passes every check; override any column."""
    row = {
        "id_number": make_id_number(),
        "name": "王秀英",
        "phone": make_phone(),
        "region": "guyang",
        "category": "poor",
        "village": "下湿壕村",
        "chronic_diseases": "高血压;糖尿病",
        "disability": "",
        "family_doctor": "李医生",
        "exit_year": "",
    }
    unknown = set(overrides) - set(row)
    assert not unknown, f"not CSV columns: {unknown}"
    return row | overrides


def csv_text(rows: Iterable[Mapping[str, str] | list[str]], header: Iterable[str] = HEADER) -> str:
    """Dict rows are written in header order; list rows as they are (for wrong column counts)."""
    header = list(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[column] for column in header] if isinstance(row, Mapping) else row)
    return buffer.getvalue()


def write_csv(
    path: Path, rows: Iterable[Mapping[str, str] | list[str]], *, bom: bool = False
) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + csv_text(rows).encode("utf-8"))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def add_resident(
    session: Session,
    *,
    id_number: str | None = None,
    phones: Iterable[str] = ("13900002222",),
    diseases: Iterable[str] = (),
    **fields: object,
) -> Resident:
    values: dict[str, object] = {
        "name": "张建国",
        "region": Region("nantong"),
        "category": Category.DIBAO,
        "village": "石港镇",
        "disability": Disability.NONE,
    } | fields
    resident = Resident(id_number=id_number or make_id_number(Region("nantong")), **values)
    resident.phones = [ResidentPhone(phone=phone) for phone in phones]
    resident.diseases = [ResidentDisease(disease=disease) for disease in diseases]
    session.add(resident)
    session.flush()
    return resident

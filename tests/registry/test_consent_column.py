"""The optional consent column (同意接收通知) of the residents CSV, on both backends."""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry.importer import import_csv, import_file
from registry.residents import find_by_id_number, masked_card
from registry.residents_csv import HEADER
from tests.registry.factories import csv_text, make_row, read_csv
from tests.registry.importing import CURRENT_YEAR


def with_consent(value: str, column: str = "同意接收通知", **cells: str) -> dict[str, str]:
    return make_row(**cells) | {column: value}


def imported(rows: list[dict[str, str]], column: str = "同意接收通知") -> bytes:
    return csv_text(rows, header=(*HEADER, column)).encode()


@pytest.mark.parametrize(
    ("value", "column", "consent"),
    [
        ("是", "同意接收通知", True),  # the Chinese header and values a cadre types
        ("同意", "同意接收通知", True),
        ("否", "同意接收通知", False),
        ("不同意", "同意接收通知", False),
        ("", "同意接收通知", False),  # blank: no consent recorded, so none
        ("YES", "consent", True),  # the English header, any case
        ("no", "consent", False),
    ],
)
def test_consent_values_in_chinese_and_english(
    session: Session, value: str, column: str, consent: bool
) -> None:
    row = with_consent(value, column)

    result = import_csv(session, imported([row], column), current_year=CURRENT_YEAR, actor="cli")

    assert (result.imported, result.rejected) == (1, [])
    resident = find_by_id_number(session, row["id_number"])
    assert resident is not None and resident.broadcast_consent is consent
    assert masked_card(resident)[-1] == f"接收通知：{'同意' if consent else '未同意'}"


def test_a_broken_consent_value_is_a_per_row_error_and_nothing_is_imported(
    session: Session,
) -> None:
    rows = [with_consent("是"), with_consent("也许")]

    result = import_csv(session, imported(rows), current_year=CURRENT_YEAR)

    assert result.imported == 0
    assert [r.message for r in result.rejected] == [
        "第3行：同意接收通知“也许”应为“是”或“否”（yes/no），空白表示不同意"
    ]


def test_a_file_without_the_column_imports_without_consent_and_keeps_recorded_consent(
    session: Session,
) -> None:
    first, second = make_row(), make_row()
    import_csv(session, imported([first | {"同意接收通知": "是"}]), current_year=2026)

    result = import_csv(session, csv_text([first, second]).encode(), current_year=2026)

    assert (result.imported, result.updated) == (1, 1)
    kept, new = (find_by_id_number(session, row["id_number"]) for row in (first, second))
    assert kept is not None and kept.broadcast_consent is True
    assert new is not None and new.broadcast_consent is False


def test_rejected_rows_keep_their_consent_column(session: Session, tmp_path: Path) -> None:
    bad = with_consent("maybe", "consent")
    data = imported([make_row() | {"consent": "yes"}, bad], "consent")
    (tmp_path / "in.csv").write_bytes(data)

    result = import_file(session, tmp_path / "in.csv", skip_invalid=True, current_year=2026)

    assert (result.imported, len(result.rejected)) == (1, 1)
    assert read_csv(tmp_path / "in.rejected.csv") == [
        bad | {"reason": "第3行：同意接收通知“maybe”应为“是”或“否”（yes/no），空白表示不同意"}
    ]


def test_an_unknown_extra_column_is_a_header_error(session: Session) -> None:
    data = csv_text([make_row() | {"remark": "x"}], header=(*HEADER, "remark")).encode()

    result = import_csv(session, data, current_year=CURRENT_YEAR)

    assert result.file_error is not None and result.file_error.startswith("第1行：表头应为")

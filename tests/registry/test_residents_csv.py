"""Reading the residents CSV without a database: line numbers, lists, normalisation."""

import pytest

from registry.residents_csv import CsvFileError, CsvRow, check_row, read_rows
from settlement.identifiers import Disability
from tests.registry.factories import csv_text, make_row


def checked(row: CsvRow) -> CsvRow:
    check_row(row, current_year=2026)
    return row


def test_line_numbers_count_physical_lines_of_multiline_cells_and_blank_rows() -> None:
    # The village cell spans two lines, and a row of bare commas follows, as Excel leaves them.
    text = csv_text([make_row(village="下湿壕村\n二社"), make_row()]) + ",,,,,,,,,\n\n"
    text += csv_text([make_row()]).split("\n", 1)[1]

    rows = read_rows(text.encode())

    assert [row.line for row in rows] == [2, 4, 7]


def test_phones_and_diseases_are_split_normalised_and_deduplicated() -> None:
    cells = make_row(
        phone=" +8613800001111；13800002222;13800001111 ;",
        chronic_diseases="高血压； 糖尿病;高血压;",
        disability="",
    )

    row = checked(read_rows(csv_text([cells]).encode())[0])

    assert row.record is not None
    assert row.record.phones == ("13800001111", "13800002222")
    assert row.record.diseases == ("高血压", "糖尿病")
    assert row.record.disability is Disability.NONE


def test_lower_case_check_character_is_stored_upper_case() -> None:
    row = checked(read_rows(csv_text([make_row(id_number="11010519491231002x")]).encode())[0])

    assert row.record is not None
    assert row.record.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    "data, line, reason",
    [
        pytest.param(b"", 1, "文件为空", id="empty"),
        pytest.param(b"\xef\xbb\xbf", 1, "文件为空", id="only-a-bom"),
        pytest.param(b"id_number,name\n", 1, "表头应为", id="wrong-header"),
        pytest.param(csv_text([]).encode() + b"\xff\n", 2, "文件不是UTF-8编码", id="bad-byte"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(data: bytes, line: int, reason: str) -> None:
    with pytest.raises(CsvFileError) as raised:
        read_rows(data)

    assert raised.value.line == line
    assert raised.value.reason.startswith(reason)

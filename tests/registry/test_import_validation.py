"""Every kind of bad row or file is reported by line, and nothing is half-imported."""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry.importer import import_file
from settlement.identifiers import Region
from tests.registry.factories import (
    add_resident,
    make_id_number,
    make_row,
    with_wrong_check_digit,
    write_csv,
)
from tests.registry.importing import CURRENT_YEAR, Row, resident_count, run_import

GOOD_ID = make_id_number(Region("guyang"), sequence=100)
UNKNOWN_REGION = "未知地区“baotou”（应为 nantong、rongchang、guyang、yancheng 之一）"
UNKNOWN_CATEGORY = "未知人员类别“rich”（应为 poor、dibao、tekun、edge、exited、none 之一）"


@pytest.mark.parametrize(
    "bad_row, reason",
    [
        pytest.param(
            # The check digit (校验码) does not match the first 17 digits.
            make_row(id_number=with_wrong_check_digit(GOOD_ID)),
            "身份证号校验位不正确",
            id="id-checksum",
        ),
        pytest.param(
            make_row(id_number=GOOD_ID[:17]), "身份证号应为18位，实际17位", id="id-length"
        ),
        pytest.param(make_row(name="  "), "姓名为空", id="empty-name"),
        pytest.param(
            # 包头市 is next to 固阳县 but not one of the four regions.
            make_row(region="baotou"),
            UNKNOWN_REGION,
            id="unknown-region",
        ),
        pytest.param(make_row(category="rich"), UNKNOWN_CATEGORY, id="unknown-category"),
        pytest.param(
            # 已脱贫 is meaningless without the year of exit.
            make_row(category="exited"),
            "已脱贫人口（exited）须填写脱贫年份exit_year",
            id="exited-without-year",
        ),
        pytest.param(
            # Before 建档立卡 began in 2014.
            make_row(exit_year="2013"),
            "脱贫年份“2013”应为2014至2026之间的年份",
            id="exit-year-too-early",
        ),
        pytest.param(
            make_row(exit_year="2027"),
            "脱贫年份“2027”应为2014至2026之间的年份",
            id="exit-year-in-future",
        ),
        pytest.param(
            make_row(exit_year="去年"),
            "脱贫年份“去年”应为2014至2026之间的年份",
            id="exit-year-not-a-number",
        ),
        pytest.param(
            make_row(disability="mild"),
            "未知残疾类别“mild”（应为 none、severe、child 之一）",
            id="unknown-disability",
        ),
        pytest.param(
            # A landline is not a mobile; the number is shown masked.
            make_row(phone="0472-8123456"),
            "手机号“047*****3456”不是有效的大陆手机号",
            id="landline-phone",
        ),
        pytest.param(list(make_row().values())[:9], "应有10列，实际9列", id="nine-columns"),
        pytest.param([*make_row().values(), "extra"], "应有10列，实际11列", id="eleven-columns"),
    ],
)
def test_bad_row_is_reported_by_line_and_nothing_is_imported(
    session: Session, tmp_path: Path, bad_row: Row, reason: str
) -> None:
    rows = [make_row(), bad_row, make_row()]

    result = run_import(session, tmp_path / "residents.csv", rows)

    assert [rejection.message for rejection in result.rejected] == [f"第3行：{reason}"]
    assert (result.imported, result.updated) == (0, 0)
    assert resident_count(session) == 0


def test_every_problem_of_a_row_and_every_bad_row_are_listed(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        make_row(name="", region="baotou"),
        make_row(),
        make_row(id_number=with_wrong_check_digit(GOOD_ID)),
    ]

    result = run_import(session, tmp_path / "residents.csv", rows)

    assert [rejection.message for rejection in result.rejected] == [
        f"第2行：姓名为空；{UNKNOWN_REGION}",
        "第4行：身份证号校验位不正确",
    ]


def test_duplicate_id_number_reports_both_lines(session: Session, tmp_path: Path) -> None:
    # The second spelling has a lower-case check character x: still the same person.
    id_number = "11010519491231002X"
    rows = [
        make_row(id_number=id_number, phone="13800001111"),
        make_row(),
        make_row(id_number=id_number.lower(), phone="13800009999"),
    ]

    result = run_import(session, tmp_path / "residents.csv", rows)

    assert [rejection.message for rejection in result.rejected] == [
        "第2行：身份证号与第4行重复",
        "第4行：身份证号与第2行重复",
    ]
    assert resident_count(session) == 0


def test_same_phone_on_two_rows_is_refused(session: Session, tmp_path: Path) -> None:
    rows = [make_row(phone="13800001111"), make_row(phone="13800001111")]

    result = run_import(session, tmp_path / "residents.csv", rows)

    assert [rejection.message for rejection in result.rejected] == [
        "第2行：手机号138****1111与第3行重复",
        "第3行：手机号138****1111与第2行重复",
    ]


def test_phone_of_another_registered_resident_is_refused(session: Session, tmp_path: Path) -> None:
    add_resident(session, phones=["13900002222"])
    session.commit()

    result = run_import(session, tmp_path / "residents.csv", [make_row(phone="13900002222")])

    assert [rejection.message for rejection in result.rejected] == [
        "第2行：手机号139****2222已登记在其他居民名下"
    ]


def test_disease_validator_is_asked_with_region_and_disease(
    session: Session, tmp_path: Path
) -> None:
    asked: list[tuple[str, str]] = []

    def recognised_in_guyang(region: str, disease: str) -> str | None:
        asked.append((region, disease))
        return None if disease == "高血压" else f"{disease}不是固阳县认定的慢性病"

    rows = [make_row(chronic_diseases="高血压；脚气")]

    result = run_import(session, tmp_path / "r.csv", rows, disease_validator=recognised_in_guyang)

    assert asked == [("guyang", "高血压"), ("guyang", "脚气")]
    assert [rejection.message for rejection in result.rejected] == [
        "第2行：脚气不是固阳县认定的慢性病"
    ]


def test_file_that_is_not_utf8_is_refused_with_the_failing_line(
    session: Session, tmp_path: Path
) -> None:
    # Excel on a Chinese Windows saves CSV as GBK; here line 3 is GBK, the rest is UTF-8.
    good = write_csv(tmp_path / "good.csv", [make_row(), make_row()]).read_bytes()
    lines = good.splitlines(keepends=True)
    path = tmp_path / "gbk.csv"
    path.write_bytes(lines[0] + lines[1] + lines[2].decode("utf-8").encode("gbk"))

    result = import_file(session, path, current_year=CURRENT_YEAR)
    session.commit()

    assert result.file_error is not None
    assert result.file_error.startswith("第3行：文件不是UTF-8编码")
    assert resident_count(session) == 0


def test_wrong_header_is_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "residents.csv"
    path.write_text("身份证号,姓名\n", encoding="utf-8")

    result = import_file(session, path, current_year=CURRENT_YEAR)

    assert result.file_error is not None
    assert result.file_error.startswith("第1行：表头应为 id_number,name,phone,")

"""`healthaid residents import|show` and `healthaid db upgrade`, run through argparse."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from registry.db import URL_VARIABLE, get_engine
from registry.models import AuditLog
from settlement.identifiers import Category, Region
from tests.registry.conftest import run
from tests.registry.factories import add_resident, make_id_number, make_row, write_csv


@pytest.mark.usefixtures("cli_database")
def test_import_reports_counts_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "residents.csv", [make_row(), make_row()])

    code = run("residents", "import", str(path))

    assert code == 0
    assert capsys.readouterr().out == "导入完成：新增2人，更新0人，跳过0行。\n"


@pytest.mark.usefixtures("cli_database")
def test_import_with_bad_rows_prints_each_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    rows = [make_row(region="baotou"), make_row(), make_row(exit_year="1999")]
    path = write_csv(tmp_path / "residents.csv", rows)

    code = run("residents", "import", str(path))

    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        "第2行：未知地区“baotou”（应为 nantong、rongchang、guyang、yancheng 之一）",
        f"第4行：脱贫年份“1999”应为2014至{date.today().year}之间的年份",
        "共2行有误，未导入任何数据。",
    ]


@pytest.mark.usefixtures("cli_database")
def test_import_skip_invalid_writes_the_rejected_file_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "residents.csv", [make_row(), make_row(category="rich")])
    rejected = tmp_path / "out" / "rejected.csv"
    rejected.parent.mkdir()

    code = run("residents", "import", str(path), "--skip-invalid", "--rejected", str(rejected))

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "导入完成：新增1人，更新0人，跳过1行。",
        f"跳过的行及原因已写入 {rejected}",
    ]
    assert rejected.exists()


@pytest.mark.usefixtures("cli_database")
def test_import_of_a_non_utf8_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(b"id_number,name\n" + "王秀英\n".encode("gbk"))

    code = run("residents", "import", str(path))

    assert code == 1
    assert capsys.readouterr().err.startswith("第2行：文件不是UTF-8编码")


@pytest.mark.usefixtures("cli_database")
def test_show_prints_a_masked_record_and_audits_it(
    session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    id_number = make_id_number(Region("rongchang"), sequence=42)
    with session_factory.begin() as session:
        add_resident(
            session,
            id_number=id_number,
            name="陈桂兰",
            region=Region("rongchang"),
            category=Category.EXITED,
            exit_year=2019,
            village="清升镇",
            phones=["13912345678", "13800001234"],
            diseases=["高血压", "慢性阻塞性肺疾病"],
            family_doctor="周医生",
        )

    code = run("residents", "show", id_number.lower())

    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        f"身份证号：{id_number[:6]}********{id_number[-4:]}",
        "姓名：陈桂兰",
        "手机：139****5678、138****1234",
        "地区：重庆市荣昌区",
        "人员类别：已脱贫人口（2019年脱贫）",
        "村：清升镇",
        "慢性病：高血压、慢性阻塞性肺疾病",
        "家庭医生：周医生",
        "接收通知：未同意",
    ]
    assert id_number not in out and "13912345678" not in out
    with session_factory() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert (entry.actor, entry.action, entry.resident_id is not None) == (
        "cli",
        "residents.show",
        True,
    )
    assert id_number not in entry.detail


@pytest.mark.usefixtures("cli_database")
def test_show_of_an_unknown_resident_prints_one_line_and_exits_2(
    session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    id_number = make_id_number(Region("yancheng"), sequence=9)

    code = run("residents", "show", id_number)

    assert code == 2
    masked = f"{id_number[:6]}********{id_number[-4:]}"
    assert capsys.readouterr().err == f"未找到身份证号为 {masked} 的居民\n"
    with session_factory() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.detail) == ("residents.show.not_found", masked)


@pytest.mark.usefixtures("cli_database")
def test_show_of_an_invalid_id_number_prints_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run("residents", "show", "150222195803010010")

    assert code == 2
    assert capsys.readouterr().err == "无法查询：身份证号校验位不正确\n"


def test_db_upgrade_migrates_the_configured_database(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_VARIABLE, empty_database_url)

    code = run("db", "upgrade")

    assert code == 0
    assert capsys.readouterr().out.startswith("数据库已迁移到最新版本：")
    engine = get_engine(empty_database_url)
    try:
        assert "residents" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.usefixtures("cli_database")
def test_rejected_file_without_skip_invalid_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "residents.csv", [make_row()])

    code = run("residents", "import", str(path), "--rejected", str(tmp_path / "r.csv"))

    assert code == 1
    assert capsys.readouterr().err == "--rejected 只能与 --skip-invalid 一起使用\n"

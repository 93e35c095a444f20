"""Every command that touches the database, on a database nobody migrated (a fresh SQLite file,
a new PostgreSQL database), an older one, or one that cannot be opened: one line saying what to
run, exit code 3, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from healthaid.cli import EXIT_DATABASE_NOT_READY, main
from registry.db import URL_VARIABLE, alembic_config
from tests.registry.factories import make_id_number, make_row, write_csv

NOT_MIGRATED = "healthaid: 数据库还没有初始化，请先运行 healthaid db upgrade\n"
ID = make_id_number()


def commands(tmp_path: Path) -> list[list[str]]:
    csv = write_csv(tmp_path / "residents.csv", [make_row()])
    return [
        ["residents", "import", str(csv)],
        ["residents", "show", ID],
        ["residents", "bind-wechat", ID, "oOpenId0000000000000000000000"],
        ["cadres", "add", "li", "--name", "李", "--region", "guyang", "--village", "东河村"],
        [*("campaigns", "add", "gy", "--name", "宣传"), "--topic=treat_first", "--region=guyang"],
        ["purge"],
        [
            *("estimate", "--region", "guyang", "--setting", "inpatient", "--level", "county"),
            *("--total", "20000", "--resident", ID),
        ],
    ]


def test_every_database_command_on_a_never_migrated_database_says_what_to_run(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(URL_VARIABLE, empty_database_url)
    monkeypatch.setenv("HEALTHAID_CADRE_PASSWORD", "a long enough password 1")

    for argv in commands(tmp_path):
        code = main(argv)

        out, err = capsys.readouterr()
        assert (code, out, err) == (EXIT_DATABASE_NOT_READY, "", NOT_MIGRATED), argv


def test_a_database_behind_the_code_asks_for_an_upgrade(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command.upgrade(alembic_config(empty_database_url), "0003")
    monkeypatch.setenv(URL_VARIABLE, empty_database_url)

    code = main(["residents", "show", ID])

    assert code == EXIT_DATABASE_NOT_READY
    assert capsys.readouterr().err == "healthaid: 数据库版本较旧，请先运行 healthaid db upgrade\n"


def test_a_database_that_cannot_be_opened_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    monkeypatch.setenv(URL_VARIABLE, url)

    code = main(["residents", "show", ID])

    err = capsys.readouterr().err
    assert code == EXIT_DATABASE_NOT_READY
    assert err.startswith(f"healthaid: 无法打开数据库 {url}：") and err.count("\n") == 1


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    # As a person runs it: a fresh SQLite file, a real process, stderr as they would see it.
    csv = write_csv(tmp_path / "residents.csv", [make_row()])
    env = {**os.environ, URL_VARIABLE: f"sqlite:///{tmp_path / 'fresh.db'}"}

    result = subprocess.run(
        [sys.executable, "-m", "healthaid", "residents", "import", str(csv)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert result.returncode == EXIT_DATABASE_NOT_READY
    assert result.stderr == NOT_MIGRATED
    assert "Traceback" not in result.stdout + result.stderr

"""`healthaid residents …` and `healthaid db …`.

healthaid/cli.py calls register() on its subparsers; every command sets `handler`, which takes the
parsed arguments and returns the exit code. The database is $HEALTHAID_DATABASE_URL.
"""

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from registry import db, idnumber
from registry.importer import ImportResult, import_file
from registry.models import audit
from registry.residents import find_by_id_number, masked_card

ACTOR = "cli"
EXIT_OK, EXIT_REJECTED, EXIT_NOT_FOUND = 0, 1, 2


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `residents` and `db` commands to the main parser's subparsers."""
    residents = subparsers.add_parser("residents", help="居民名单：导入、查看")
    commands = residents.add_subparsers(dest="residents_command", required=True)

    importing = commands.add_parser("import", help="从CSV导入居民（默认整批导入或整批不导入）")
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument(
        "--skip-invalid", action="store_true", help="导入正确的行，错误的行写入 --rejected 文件"
    )
    importing.add_argument(
        "--rejected", type=Path, metavar="FILE", help="错误行的输出文件（默认 FILE.rejected.csv）"
    )
    importing.set_defaults(handler=import_command)

    showing = commands.add_parser("show", help="按身份证号查看居民（脱敏显示）")
    showing.add_argument("id_number", metavar="ID")
    showing.set_defaults(handler=show_command)

    database = subparsers.add_parser("db", help="数据库")
    db_commands = database.add_subparsers(dest="db_command", required=True)
    upgrading = db_commands.add_parser("upgrade", help="迁移数据库到最新版本")
    upgrading.set_defaults(handler=upgrade_command)


@contextmanager
def _session() -> Iterator[Session]:
    engine = db.get_engine()
    try:
        with db.make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def import_command(args: argparse.Namespace) -> int:
    if args.rejected is not None and not args.skip_invalid:
        print("--rejected 只能与 --skip-invalid 一起使用", file=sys.stderr)
        return EXIT_REJECTED
    with _session() as session:
        result = import_file(
            session, args.file, skip_invalid=args.skip_invalid, rejected_path=args.rejected
        )
    return _report(result, skip_invalid=args.skip_invalid)


def _report(result: ImportResult, *, skip_invalid: bool) -> int:
    if result.file_error is not None:
        print(f"{result.file_error}。未导入任何数据。", file=sys.stderr)
        return EXIT_REJECTED
    for rejection in result.rejected:
        print(rejection.message, file=sys.stderr)
    if result.rejected and not skip_invalid:
        print(f"共{len(result.rejected)}行有误，未导入任何数据。", file=sys.stderr)
        return EXIT_REJECTED
    print(
        f"导入完成：新增{result.imported}人，更新{result.updated}人，跳过{len(result.rejected)}行。"
    )
    if result.rejected_path is not None:
        print(f"跳过的行及原因已写入 {result.rejected_path}")
    return EXIT_OK


def show_command(args: argparse.Namespace) -> int:
    reason = idnumber.explain_invalid(args.id_number)
    if reason is not None:
        print(f"无法查询：{reason}", file=sys.stderr)
        return EXIT_NOT_FOUND
    masked = idnumber.mask(args.id_number)
    with _session() as session:
        resident = find_by_id_number(session, args.id_number)
        if resident is None:
            # Look-ups of unknown numbers are audited too: they may be someone probing.
            audit(session, ACTOR, "residents.show.not_found", detail=masked)
            card = None
        else:
            audit(session, ACTOR, "residents.show", resident_id=resident.id)
            card = masked_card(resident)
    if card is None:
        print(f"未找到身份证号为 {masked} 的居民", file=sys.stderr)
        return EXIT_NOT_FOUND
    print("\n".join(card))
    return EXIT_OK


def upgrade_command(_args: argparse.Namespace) -> int:
    url = db.database_url()
    db.upgrade(url)
    print(f"数据库已迁移到最新版本：{db.render_url(url)}")
    return EXIT_OK

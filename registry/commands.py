"""`healthaid residents …`, `healthaid db …`, `healthaid cadres add`, `healthaid campaigns add` and
`healthaid purge`.

healthaid/cli.py calls register() on its subparsers; every command sets `handler`, which takes the
parsed arguments and returns the exit code. The database is $HEALTHAID_DATABASE_URL.
"""

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import cadres, campaigns, db, idnumber, retention
from registry.importer import ImportResult, import_file
from registry.models import audit
from registry.people_models import Cadre
from registry.residents import bind_openid, find_by_id_number, masked_card
from settlement.identifiers import Region

ACTOR = "cli"
EXIT_OK, EXIT_REJECTED, EXIT_NOT_FOUND = 0, 1, 2
# Read instead of a --password option, which would land in the shell history and in `ps`.
PASSWORD_VARIABLE = "HEALTHAID_CADRE_PASSWORD"
HOUR = timedelta(hours=1)


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

    binding = commands.add_parser("bind-wechat", help="把公众号关注者（OpenID）绑定到居民")
    binding.add_argument("id_number", metavar="ID")
    binding.add_argument("openid", metavar="OPENID")
    binding.set_defaults(handler=bind_wechat_command)

    database = subparsers.add_parser("db", help="数据库")
    db_commands = database.add_subparsers(dest="db_command", required=True)
    upgrading = db_commands.add_parser("upgrade", help="迁移数据库到最新版本")
    upgrading.set_defaults(handler=upgrade_command)

    purging = subparsers.add_parser(
        "purge",
        help="删除过期的消息回执和令牌（保留天数取自 "
        f"${retention.RECEIPT_DAYS_VARIABLE}、${retention.TOKEN_HOURS_VARIABLE}）",
    )
    purging.add_argument(
        "--receipt-days",
        type=int,
        default=None,
        help=f"回执保留天数（默认 {retention.RECEIPT_DAYS}）",
    )
    purging.add_argument(
        "--token-hours",
        type=int,
        default=None,
        help=f"令牌过期后保留的小时数（默认 {retention.TOKEN_HOURS}）",
    )
    purging.set_defaults(handler=purge_command)
    _register_people(subparsers)


def _register_people(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    regions = [region.value for region in Region.all()]
    cadre_parser = subparsers.add_parser("cadres", help="村干部和管理员账号")
    cadre_commands = cadre_parser.add_subparsers(dest="cadres_command", required=True)
    adding = cadre_commands.add_parser(
        "add", help=f"新增账号（密码取自 ${PASSWORD_VARIABLE}，否则提示输入）"
    )
    adding.add_argument("username", metavar="USERNAME")
    adding.add_argument("--name", required=True, help="显示的姓名")
    adding.add_argument("--region", required=True, choices=regions)
    adding.add_argument("--village", action="append", default=[], help="可查询的村（可重复）")
    adding.add_argument("--admin", action="store_true", help="管理员（可看活动统计）")
    adding.set_defaults(handler=add_cadre_command)

    campaign_parser = subparsers.add_parser("campaigns", help="宣传活动")
    campaign_commands = campaign_parser.add_subparsers(dest="campaigns_command", required=True)
    creating = campaign_commands.add_parser(
        "add", help="新增活动：链接 /c/CODE、二维码场景、短信关键词"
    )
    creating.add_argument("code", metavar="CODE")
    creating.add_argument("--name", required=True)
    creating.add_argument("--topic", required=True, help="政策话题，如 treat_first")
    creating.add_argument("--region", required=True, choices=regions)
    creating.add_argument("--wechat-scene", default=None)
    creating.add_argument("--sms-keyword", default=None)
    creating.set_defaults(handler=add_campaign_command)


@contextmanager
def _session() -> Iterator[Session]:
    """A transaction on $HEALTHAID_DATABASE_URL; db.DatabaseNotReady when it is not migrated."""
    engine = db.ready_engine()
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


def bind_wechat_command(args: argparse.Namespace) -> int:
    """Staff bind a follower after checking the person's identity; audited, masked."""
    reason = idnumber.explain_invalid(args.id_number)
    if reason is not None:
        print(f"无法绑定：{reason}", file=sys.stderr)
        return EXIT_NOT_FOUND
    with _session() as session:
        resident = find_by_id_number(session, args.id_number)
        if resident is None:
            print(f"未找到身份证号为 {idnumber.mask(args.id_number)} 的居民", file=sys.stderr)
            return EXIT_NOT_FOUND
        bind_openid(session, args.openid, resident)
        audit(session, ACTOR, "residents.bind_wechat", resident_id=resident.id)
        session.commit()
    print(f"已绑定：{idnumber.mask(args.id_number)}")
    return EXIT_OK


def upgrade_command(_args: argparse.Namespace) -> int:
    url = db.database_url()
    db.upgrade(url)
    print(f"数据库已迁移到最新版本：{db.render_url(url)}")
    return EXIT_OK


def purge_command(args: argparse.Namespace) -> int:
    """Run the purge once (registry/retention.py); options override the environment."""
    try:
        kept = retention.Retention.from_env()
        days = kept.receipts.days if args.receipt_days is None else args.receipt_days
        hours = kept.expired_tokens // HOUR if args.token_hours is None else args.token_hours
        kept = retention.Retention(timedelta(days=days), hours * HOUR)
    except retention.RetentionError as error:
        print(f"无法清理：{error}", file=sys.stderr)
        return EXIT_REJECTED
    with _session() as session:
        purged = retention.purge(session, kept, actor=ACTOR)
    print(
        f"已清理：消息回执{purged.receipts}条（超过{days}天），"
        f"过期令牌{purged.secret_tokens}个（过期超过{hours}小时）。"
    )
    return EXIT_OK


def _password() -> str | None:
    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        print("两次输入的密码不一致", file=sys.stderr)
        return None
    return first


def add_cadre_command(args: argparse.Namespace) -> int:
    password = _password()
    if not password:
        print(f"没有密码：请设置 ${PASSWORD_VARIABLE} 或在终端中输入", file=sys.stderr)
        return EXIT_REJECTED
    if not args.admin and not args.village:
        print("村干部至少要有一个 --village", file=sys.stderr)
        return EXIT_REJECTED
    with _session() as session:
        taken = select(Cadre.id).where(Cadre.username == args.username)
        if session.scalar(taken) is not None:
            print(f"账号已存在：{args.username}", file=sys.stderr)
            return EXIT_REJECTED
        try:
            cadre = cadres.create(
                session,
                username=args.username,
                display_name=args.name,
                password=password,
                region=Region(args.region),
                villages=args.village,
                role="admin" if args.admin else "cadre",
            )
        except ValueError as error:
            print(str(error), file=sys.stderr)
            return EXIT_REJECTED
        session.flush()
        audit(session, ACTOR, "cadres.add", detail=f"{cadre.username} ({cadre.role})")
    print(f"已新增{'管理员' if args.admin else '村干部'}：{args.username}（{args.name}）")
    return EXIT_OK


def add_campaign_command(args: argparse.Namespace) -> int:
    with _session() as session:
        if campaigns.by_code(session, args.code) is not None:
            print(f"活动代码已存在：{args.code}", file=sys.stderr)
            return EXIT_REJECTED
        clash = _campaign_clash(session, args.wechat_scene, args.sms_keyword)
        if clash:
            print(clash, file=sys.stderr)
            return EXIT_REJECTED
        try:
            campaign = campaigns.create(
                session,
                code=args.code,
                name=args.name,
                topic=args.topic,
                region=Region(args.region),
                wechat_scene=args.wechat_scene,
                sms_keyword=args.sms_keyword,
            )
        except ValueError as error:
            print(str(error), file=sys.stderr)
            return EXIT_REJECTED
        audit(session, ACTOR, "campaigns.add", detail=campaign.code)
    print(f"已新增活动：{args.code}（{args.name}），链接 /c/{args.code}")
    return EXIT_OK


def _campaign_clash(session: Session, scene: str | None, keyword: str | None) -> str | None:
    """Why the scene or keyword cannot be used (another campaign has it), else None."""
    if scene and (other := campaigns.by_scene(session, scene)) is not None:
        return f"二维码场景 {scene} 已属于活动 {other.code}"
    if keyword and (other := campaigns.by_keyword(session, keyword)) is not None:
        return f"短信关键词 {keyword} 已属于活动 {other.code}"
    return None

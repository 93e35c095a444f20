"""The `healthaid` command: estimates, policy checks, and the registry's subcommands."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from registry.db import DatabaseNotReady
from settlement.errors import InputError, PolicyError
from settlement.estimate import explanation_lines, parse_request, summary, to_json

Handler = Callable[[argparse.Namespace], int]
# The database was never migrated, is behind this code, or cannot be opened: one line says
# what to run (registry.db.check_ready).
EXIT_DATABASE_NOT_READY = 3


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments get one clear line and exit code 2, not a usage screen."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"healthaid: {message}\n")


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"不是有效金额：{text}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"不是有效金额：{text}")
    return value


def _add_estimate(sub: Any) -> None:
    p = sub.add_parser("estimate", help="estimate what a resident pays for one episode")
    p.add_argument("--region", required=True)
    p.add_argument("--setting", required=True, help="inpatient | outpatient | chronic")
    p.add_argument("--level", required=True, help="village | township | county | city | province")
    p.add_argument("--total", required=True, type=_amount)
    p.add_argument("--out-of-catalogue", type=_amount, default=Decimal(0))
    p.add_argument("--category", default=None, help="poor (default) | dibao | tekun | edge | …")
    p.add_argument("--exit-year", type=int, default=None)
    p.add_argument("--out-of-county", action="store_true")
    p.add_argument("--disability", default=None, help="none | severe | child")
    p.add_argument("--stay", type=int, default=1)
    p.add_argument("--disease", default=None)
    p.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
    p.add_argument("--resident", default=None, help="ID number of a registered resident")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_estimate)


def _request_data(args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {
        "region": args.region,
        "setting": args.setting,
        "level": args.level,
        "total": args.total,
        "out_of_catalogue": args.out_of_catalogue,
        "out_of_county": args.out_of_county,
        "stay": args.stay,
    }
    optional = {
        "category": args.category,
        "exit_year": args.exit_year,
        "disability": args.disability,
        "disease": args.disease,
        "date": args.date,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    if args.resident:
        from registry.lookup import resident_estimate_fields  # registry only when asked

        data.update(resident_estimate_fields(args.resident, data))
    return data


def run_estimate(args: argparse.Namespace) -> int:
    from settlement.estimate import estimate

    request = parse_request(_request_data(args))
    result = estimate(request)
    if args.json:
        print(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        print(summary(result, request.setting))
        for line in explanation_lines(result):
            print(f"  {line}")
    return 0


def run_policies_check(args: argparse.Namespace) -> int:
    from actions.answers import load_answers
    from settlement.cases import default_cases_dir, run_cases
    from settlement.policy import load_policies, policy_problems
    from settlement.regions import policies_dir
    from understanding.words import LexiconError, load_lexicon

    problems = policy_problems()
    if problems:
        for problem in problems:
            print(f"ERROR {problem}")
        print(f"policies: {len(problems)} problem(s); fix them and run this again")
        return 1
    policies = load_policies()
    print(f"policies: {len(policies.regions)} regions loaded and valid")
    answers = load_answers(policies=policies)
    print(f"answers: every topic answered for {len(answers.regional)} regions and nationally")
    try:
        lexicon = load_lexicon(policies_dir())
    except LexiconError as exc:
        print(f"words: {exc}")
        return 1
    missing = sorted(set(policies.regions) - set(lexicon.regions))
    if missing:
        print(f"words: no policies/words/<region>.yaml for {', '.join(missing)}")
        return 1
    print(f"words: {len(lexicon.regions)} regions")
    failures, count = run_cases(default_cases_dir(), policies)
    for case_problems in failures:
        for line in case_problems:
            print(f"FAIL {line}")
    print(f"cases: {count - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def run_policies_show(args: argparse.Namespace) -> int:
    from datetime import date

    from healthaid.show import listing_lines
    from settlement.listing import parse_day, policy_listing
    from settlement.listing import to_json as listing_json
    from settlement.policy import load_policies

    day = parse_day(args.date, date.today())
    listing = policy_listing(load_policies(), args.region, day)
    if args.json:
        print(json.dumps(listing_json(listing), ensure_ascii=False, indent=2))
    else:
        print("\n".join(listing_lines(listing)))
    return 0


def _add_policies(sub: Any) -> None:
    policies = sub.add_parser("policies", help="policy data")
    policies_sub = policies.add_subparsers(dest="action", required=True)
    check = policies_sub.add_parser("check", help="validate policies/ and run the YAML cases")
    check.set_defaults(handler=run_policies_check)
    show = policies_sub.add_parser(
        "show", help="every rule of a region in force on a day, with its source clause"
    )
    show.add_argument("region", help="a region with a rules file in policies/rules/")
    show.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_policies_show)


def run_demo(args: argparse.Namespace) -> int:
    import os

    from healthaid.demo import DEMO_PASSWORD, seed_demo

    if os.environ.get("HEALTHAID_ENV", "development") == "production":
        print(
            "healthaid: demo data is for development only (HEALTHAID_ENV=production)",
            file=sys.stderr,
        )
        return 2
    seed_demo()
    print(f"演示数据已就绪：村干部 demo_cadre、管理员 demo_admin，密码 {DEMO_PASSWORD}")
    print("（演示账号仅限开发环境使用）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="healthaid", description="健康帮扶政策助手 healthaid")
    sub: Any = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    _add_estimate(sub)
    _add_policies(sub)
    demo = sub.add_parser("demo", help="load the demo residents, cadre, admin and campaign")
    demo.set_defaults(handler=run_demo)
    from registry.commands import register

    register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputError as exc:
        print(f"healthaid: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print(f"healthaid: policy error: {exc}", file=sys.stderr)
        return 1
    except DatabaseNotReady as exc:
        print(f"healthaid: {exc}", file=sys.stderr)
        return EXIT_DATABASE_NOT_READY


if __name__ == "__main__":
    sys.exit(main())

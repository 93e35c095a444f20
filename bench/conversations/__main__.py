"""Run the conversation set through a fresh stack and print the share passed by kind.

    python -m bench.conversations [--kind KIND] [--id ID] [--show-failures] [--report FILE]

Starts the action server, Rasa (models/healthaid.tar.gz) and the gateway on their own loopback
ports with a fresh SQLite database of the demo data, sends every case, stops the stack.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.conversations.cases import CASE_DIR, load_cases
from bench.conversations.drive import CaseResult, Target, run_case
from bench.conversations.report import render
from healthaid.demo import CADRE, seed_demo
from healthaid.stack import ROOT, StackConfig, running_stack

PORTS = {"gateway": 28000, "rasa": 25005, "action": 25055}
SECRET = "eval-secret-key-" + "x" * 40
TWILIO_TOKEN = "eval-twilio-auth-token"
PASSWORD = "eval-cadre-password"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", help="only cases of this kind")
    parser.add_argument("--id", action="append", help="only this case")
    parser.add_argument("--cases", type=Path, default=CASE_DIR, help="a folder of case files")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--report", type=Path, help="write the markdown report here")
    parser.add_argument(
        "--floor",
        type=float,
        default=0.0,
        help="exit 1 when the share passed is below this (make test's regression floor)",
    )
    args = parser.parse_args()
    cases = [
        case
        for case in load_cases(args.cases)
        if (not args.kind or case.kind in args.kind) and (not args.id or case.id in args.id)
    ]
    if not (ROOT / "models" / "healthaid.tar.gz").exists():
        print("no trained model: run `make rasa-train` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="healthaid-eval-") as work:
        database_url = f"sqlite:///{work}/eval.db"
        seed_demo(database_url, PASSWORD)
        config = StackConfig(
            gateway_port=PORTS["gateway"],
            rasa_port=PORTS["rasa"],
            action_port=PORTS["action"],
            log_dir=Path(work) / "log",
            env={
                "HEALTHAID_ENV": "development",
                "HEALTHAID_DATABASE_URL": database_url,
                "HEALTHAID_SECRET_KEY": SECRET,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "HEALTHAID_PUBLIC_BASE_URL": f"http://127.0.0.1:{PORTS['gateway']}",
                "HEALTHAID_RATE_LIMIT_PER_SENDER": "1000",
                "HEALTHAID_RATE_LIMIT_GLOBAL": "100000",
            },
        )
        target = Target(
            config.gateway_url, config.rasa_url, SECRET, TWILIO_TOKEN, CADRE[0], PASSWORD
        )
        started = time.monotonic()
        with running_stack(config, timeout=300):
            results: list[CaseResult] = [run_case(target, case) for case in cases]
        seconds = time.monotonic() - started
    text = render(results, seconds, show_failures=args.show_failures)
    print(text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(render(results, seconds, show_failures=True), encoding="utf-8")
    share = sum(r.passed for r in results) / len(results) if results else 0.0
    if share < args.floor:
        print(f"below the floor: {share:.1%} < {args.floor:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

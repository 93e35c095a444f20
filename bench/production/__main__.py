"""python -m bench.production: A, B and C started side by side, calibrated, then measured in
interleaved cells (every round: each concurrency, each configuration, the order rotating), then
C again with a gateway process and a Rasa instance killed mid-run. Prints figures, ratios and
the issue's targets; asserts nothing. Bounded: every cell stops after a number of
conversations or seconds, whichever comes first.
"""

import argparse
import asyncio
import time

from bench.production.checks import check_trackers
from bench.production.load import DEADLINE, calibrate, missing_facts, run_cell
from bench.production.report import (
    TARGET_RATIO,
    Tally,
    answered,
    print_tracker,
    served_again,
    within_deadline,
)
from bench.production.run import Run, fault_schedule, phones
from bench.production.stacks import running_configurations
from bench.stack import report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configurations", default="ABC", help="a subset of ABC")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--conversations", type=int, default=300, help="at most, per cell")
    parser.add_argument("--seconds", type=float, default=35, help="at most, per cell")
    parser.add_argument("--fault-seconds", type=float, default=60, help="0: no fault run")
    args = parser.parse_args()
    started = time.monotonic()
    with running_configurations(args.configurations) as targets:
        print(
            f"{args.configurations} ready (every Rasa instance loading the model) in "
            f"{time.monotonic() - started:.0f} s"
        )
        run = Run(targets, phones())
        for t in targets:
            replies, run.phones[t.name] = asyncio.run(calibrate(t, run.senders))
            run.reference = run.reference or replies
            same = replies == run.reference
            print(f"calibration {t.name}: the same replies as {targets[0].name}: {same}")
            asyncio.run(run_cell(t, run.reference, run.senders, 4, 8, 20))  # warm, not reported
        for problem in missing_facts(run.reference):
            print(f"calibration: {problem}")
        for number in range(args.rounds):
            for concurrency in args.concurrency:
                order = targets[number % len(targets) :] + targets[: number % len(targets)]
                for t in order:
                    label = f"{t.name} c={concurrency} round {number + 1}"
                    cell = run.cell(t, label, concurrency, args.conversations, args.seconds)
                    run.cells[t.name, concurrency].append(cell)
        c = next((t for t in targets if t.name == "C"), None)
        if args.fault_seconds > 0 and c is not None:
            print(
                f"\nC with faults: SIGKILL C-gateway-1 at {args.fault_seconds / 4:.0f} s, "
                f"C-rasa-1 at {args.fault_seconds / 2:.0f} s"
            )
            # Bounded by time: as many conversations as fit.
            run.fault_cell = run.cell(
                c,
                "C c=8 faults",
                8,
                10_000,
                args.fault_seconds,
                fault_schedule(c, args.fault_seconds),
            )
            print("\n".join(served_again(run.fault_cell)))
        summarise(run, args.concurrency)
        print(f"total {time.monotonic() - started:.0f} s, stopping everything")


def summarise(run: Run, concurrencies: list[int]) -> None:
    targets, reference = run.targets, run.reference
    print("\nPer configuration and concurrency, all rounds:")
    rates: dict[tuple[str, int], dict[str, float]] = {}
    for concurrency in concurrencies:
        for t in targets:
            group = run.cells[t.name, concurrency]
            if not group:  # --rounds 0: the fault run alone
                continue
            turns = [turn for cell in group for turn in cell.turns]
            rates[t.name, concurrency] = figures = report(
                f"{t.name} c={concurrency} ({len(group)} cells)",
                answered(turns),
                sum(cell.elapsed for cell in group),
            )
            figures["within"] = within_deadline(turns)
            print(f"    within {DEADLINE:.0f} s: {100 * figures['within']:.1f}%")
    for concurrency in concurrencies:
        if ("A", concurrency) not in rates:
            continue
        base = rates["A", concurrency]
        for name in ("B", "C"):
            if (name, concurrency) in rates:
                other = rates[name, concurrency]
                print(
                    f"  ratio {name}/A at c={concurrency}: throughput "
                    f"{other['rate'] / base['rate']:.2f}, p50 {other['p50'] / base['p50']:.2f}, "
                    f"p99 {other['p99'] / base['p99']:.2f}"
                )
    print("\nCorrectness (every figure should be 0):")
    for t in targets:
        tally = Tally()
        for (name, _), group in run.cells.items():
            if name == t.name:
                for cell in group:
                    tally.add(cell, reference)
        print(
            f"  {t.name}: misread 「2」/「更多」 {tally.misread}, wrong replies {tally.wrong}, "
            f"lost {tally.lost}; provider retries to another gateway {tally.copies}, "
            f"answered differently {tally.copies_differing}"
        )
        for example in tally.examples:
            print(f"    {example}")
        group = [cell for (name, _), g in run.cells.items() if name == t.name for cell in g]
        print_tracker(t.name, asyncio.run(check_trackers(t, group, run.phones[t.name])))
    fault_cell = run.fault_cell
    if fault_cell is not None:
        c = next(t for t in targets if t.name == "C")
        tally = Tally()
        tally.add(fault_cell, reference)
        print(
            f"  C with faults: misread {tally.misread}, wrong {tally.wrong}, lost {tally.lost}, "
            f"retries answered differently {tally.copies_differing}"
        )
        for example in tally.examples:
            print(f"    {example}")
        print_tracker(
            "C with faults", asyncio.run(check_trackers(c, [fault_cell], run.phones["C"]))
        )
    if ("A", 32) in rates and ("C", 32) in rates:
        ratio = rates["C", 32]["rate"] / rates["A", 32]["rate"]
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"\nTarget C/A throughput ≥ {TARGET_RATIO}× at c=32: {ratio:.2f}× — {verdict}")
    for t in targets:
        if (t.name, 8) in rates:
            p99 = rates[t.name, 8]["p99"] / 1000
            verdict = "met" if p99 <= DEADLINE else "NOT met"
            print(f"Target p99 at c=8 within {DEADLINE:.0f} s, {t.name}: {p99:.2f} s — {verdict}")


if __name__ == "__main__":
    main()

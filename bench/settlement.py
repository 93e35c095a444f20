"""Settlement throughput: single estimates and a county's batch, against a plain-Python baseline.

The baseline does the same arithmetic for the same episodes (固阳 inpatient chain, Decimal) with
the parameters written as literals: no policy lookup, no explanation. The ratio shows what the
rules-as-data engine costs over hand-written code. Run: make bench (or python -m bench.settlement
[--residents N]). Prints figures only; it asserts nothing.
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from settlement.chain import settle
from settlement.estimate import EstimateRequest, estimate
from settlement.identifiers import Category, Level, Region, Setting
from settlement.model import Episode, Resident
from settlement.policy import default_policies

DAY = date(2024, 5, 1)
FEN = Decimal("0.01")
LEVELS = [Level.TOWNSHIP, Level.COUNTY, Level.CITY, Level.PROVINCE]


def episodes(count: int, seed: int = 7) -> list[tuple[Resident, Episode]]:
    """A county's worth of inpatient episodes for 固阳 poor residents, reproducible."""
    rng = random.Random(seed)
    resident = Resident(Region("guyang"), Category.POOR)
    out = []
    for _ in range(count):
        total = Decimal(rng.randint(500, 300_000))
        ooc = (total * Decimal(rng.randint(0, 30)) / 100).quantize(FEN)
        out.append((resident, Episode(DAY, Setting.INPATIENT, rng.choice(LEVELS), total, ooc)))
    return out


# Plain-Python baseline: the same 固阳 chain with literal parameters (guyang.yaml on 2024-05-01).
DEDUCTIBLE = {"township": 200, "county": 500, "city": 800, "province": 1200}
RATE = {"township": "0.90", "county": "0.80", "city": "0.70", "province": "0.65"}


def baseline(episode: Episode) -> Decimal:
    level = episode.level.value
    deductible = Decimal(DEDUCTIBLE[level]) * Decimal("0.5")
    rate = Decimal(RATE[level]) + Decimal("0.05")
    in_policy = episode.total - episode.out_of_catalogue
    basic = min(max(Decimal(0), in_policy - deductible) * rate, Decimal(220_000))
    basic = basic.quantize(FEN, ROUND_HALF_UP)
    self_pay = in_policy - basic
    critical = max(Decimal(0), self_pay - Decimal(7000)) * Decimal("0.65")
    critical = critical.quantize(FEN, ROUND_HALF_UP)  # no 大病 cap from 2021 (呼包鄂乌)
    fund = max(Decimal(0), episode.total * Decimal("0.95") - basic - critical)
    fund = fund.quantize(FEN, ROUND_HALF_UP)
    return episode.total - basic - critical - fund


def timed(label: str, work: Callable[[], int]) -> float:
    start = time.perf_counter()
    count = work()
    elapsed = time.perf_counter() - start
    rate = count / elapsed
    print(f"{label:<46} {count:>8} in {elapsed:6.2f} s = {rate:>9,.0f} /s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--episodes-per-resident", type=int, default=3)
    args = parser.parse_args()
    policy = default_policies()[Region("guyang")]
    batch = episodes(args.residents * args.episodes_per_resident)
    singles = batch[:5_000]

    # Both sides produce the same personal share, or the comparison means nothing.
    mismatches = [e for r, e in batch[:20_000] if settle(policy, r, e).personal_pay != baseline(e)]
    print(f"baseline agrees with the engine on 20000 episodes: {not mismatches}")

    def single_requests() -> int:
        for _, e in singles:
            request = EstimateRequest(
                region=Region("guyang"),
                setting=e.setting,
                level=e.level,
                total=e.total,
                out_of_catalogue=e.out_of_catalogue,
                date=DAY,
            )
            estimate(request)
        return len(singles)

    def engine_batch() -> int:
        for resident, e in batch:
            settle(policy, resident, e)
        return len(batch)

    def baseline_batch() -> int:
        for _, e in batch:
            baseline(e)
        return len(batch)

    single = timed("single estimates (request validation + chain)", single_requests)
    engine = timed(
        f"batch: {args.residents} residents × {args.episodes_per_resident} episodes", engine_batch
    )
    plain = timed("baseline: plain Python, same arithmetic", baseline_batch)
    print(f"ratio engine/baseline (batch): {engine / plain:.2f}")
    print(f"ratio single/batch: {single / engine:.2f}")
    print(f"target ≥ 20,000 estimates/s in batch: {'met' if engine >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    main()

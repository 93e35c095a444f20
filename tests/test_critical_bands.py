"""The 大病保险 band mechanism, checked against a published worked example."""

from decimal import Decimal

from settlement.layers.critical import banded_payout, combined_bands
from settlement.rules import Bracket


def test_shandong_2014_worked_example_pays_87000() -> None:
    # 山东省人社厅 2014 press conference: 27万 in policy, basic insurance paid 10万, leaving 17万;
    # threshold 1万, 50% up to 10万 → 4.5万, the remaining 7万 at 60% → 4.2万: 8.7万 in all.
    bands = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.6")),
    ]

    paid = banded_payout(Decimal(170_000), Decimal(10_000), bands)

    assert paid == Decimal(87_000)


def test_cumulative_measurement_splits_the_same_burden_into_two_stays() -> None:
    bands = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.6")),
    ]
    threshold = Decimal(10_000)

    first = banded_payout(Decimal(60_000), threshold, bands)
    second = banded_payout(Decimal(170_000), threshold, bands) - first

    assert (first, second) == (Decimal(25_000), Decimal(62_000))


def test_rongchang_increase_applies_only_below_100000() -> None:
    # 荣昌 二（一）1: 起付标准至10万元内的报销比例提高10%，达到50%.
    base = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.4")),
        Bracket(upto=None, rate=Decimal("0.5")),
    ]
    increase = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.1")),
        Bracket(upto=None, rate=Decimal(0)),
    ]

    merged = combined_bands(base, increase)

    assert merged == [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.5")),
    ]


def test_a_burden_below_the_threshold_pays_nothing() -> None:
    bands = [Bracket(upto=None, rate=Decimal("0.6"))]

    assert banded_payout(Decimal(6_999), Decimal(7_000), bands) == 0

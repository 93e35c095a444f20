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


def test_an_increase_limited_to_a_band_adds_points_only_in_that_band() -> None:
    # An increase scale of +10 points up to 10万 and 0 above, on a 40% / 50% base.
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


def test_rongchang_floor_of_50_percent_adds_nothing_to_the_2017_municipal_bands() -> None:
    # 荣昌 二（一）1 「提高10%，达到50%」 up to 10万 restates 渝府办发〔2016〕164号 (50% to 20万,
    # 60% above, for everyone from 2017-01-01): merged as a floor, the poor are not raised twice.
    base = [
        Bracket(upto=Decimal(200_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.6")),
    ]
    floor = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal(0)),
    ]

    merged = combined_bands(base, floor, max)

    assert [b.rate for b in merged] == [Decimal("0.5"), Decimal("0.5"), Decimal("0.6")]
    threshold = Decimal("6458.50")
    assert banded_payout(Decimal(320_000), threshold, merged) == banded_payout(
        Decimal(320_000), threshold, base
    )


def test_a_floor_raises_a_lower_base_only_up_to_the_floor() -> None:
    # On the 2016 municipal bands (40% to 10万) the same floor gives 50% there, not 60%.
    base = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.4")),
        Bracket(upto=Decimal(200_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.6")),
    ]
    floor = [
        Bracket(upto=Decimal(100_000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal(0)),
    ]

    merged = combined_bands(base, floor, max)

    assert [b.rate for b in merged] == [Decimal("0.5"), Decimal("0.5"), Decimal("0.6")]


def test_a_burden_below_the_threshold_pays_nothing() -> None:
    bands = [Bracket(upto=None, rate=Decimal("0.6"))]

    assert banded_payout(Decimal(6_999), Decimal(7_000), bands) == 0

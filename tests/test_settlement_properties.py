"""Properties of the settlement chain that must hold for every input (hypothesis)."""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.chain import settle
from settlement.identifiers import Category, Disability, Fund, Level, Region, Setting
from settlement.model import Episode, Ledger, Resident, Settlement
from settlement.money import ZERO
from settlement.policy import default_policies

CENT = Decimal("0.01")
HALF_FEN = Decimal("0.005")

amounts = st.decimals(min_value=CENT, max_value=Decimal(1_000_000), places=2)
shares = st.decimals(min_value=ZERO, max_value=Decimal(1), places=2)
days = st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 31))


def _disease_names() -> list[str]:
    table = default_policies()[Region("guyang")].chronic_diseases
    assert table is not None
    return [d.name for d in table.diseases]


@st.composite
def cases(draw: st.DrawFn, region: Region | None = None) -> tuple[Resident, Episode]:
    """Any resident and episode the chain must accept."""
    chosen = region or draw(st.sampled_from(Region.all()))
    category = draw(st.sampled_from(list(Category)))
    setting = draw(st.sampled_from(list(Setting)))
    total = draw(amounts)
    out_of_catalogue = (total * draw(shares)).quantize(CENT)
    disease = draw(st.sampled_from(_disease_names())) if chosen == Region("guyang") else None
    ledger = Ledger(
        paid={
            fund: draw(st.decimals(0, 600_000, places=2))
            for fund in draw(st.sets(st.sampled_from(list(Fund)), max_size=3))
        },
        in_policy_self_pay=draw(st.decimals(0, 200_000, places=2)),
    )
    resident = Resident(
        region=chosen,
        category=category,
        exit_year=draw(st.integers(2015, 2025)) if category is Category.EXITED else None,
        disability=draw(st.sampled_from(list(Disability))),
        ledger=ledger,
    )
    episode = Episode(
        day=draw(days),
        setting=setting,
        level=draw(st.sampled_from(list(Level))),
        total=total,
        out_of_catalogue=out_of_catalogue,
        in_county=draw(st.booleans()),
        disease=disease if setting is Setting.CHRONIC or draw(st.booleans()) else None,
        stay=draw(st.integers(1, 5)),
    )
    return resident, episode


def _paid(result: Settlement, *funds: Fund) -> Decimal:
    return sum((layer.paid for layer in result.layers if layer.fund in funds), ZERO)


def _settle(resident: Resident, episode: Episode) -> Settlement:
    return settle(default_policies()[resident.region], resident, episode)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_layers_and_personal_share_add_up_and_nothing_is_negative(
    case: tuple[Resident, Episode],
) -> None:
    result = _settle(*case)

    assert sum((layer.paid for layer in result.layers), ZERO) + result.personal_pay == result.total
    assert all(layer.paid >= 0 for layer in result.layers)
    assert result.personal_pay >= 0
    assert all(layer.paid == layer.paid.quantize(CENT) for layer in result.layers)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_no_layer_pays_more_than_the_layers_before_it_left(case: tuple[Resident, Episode]) -> None:
    result = _settle(*case)

    left = result.total
    for layer in result.layers:
        assert layer.paid <= left, layer.explanation
        left -= layer.paid


@settings(max_examples=300, deadline=None)
@given(amounts.filter(lambda t: t <= 400_000), shares, st.sampled_from(list(Level)), days)
def test_guyang_poor_inpatient_pays_five_percent_of_the_total(
    total: Decimal, share: Decimal, level: Level, day: date
) -> None:
    resident = Resident(Region("guyang"), Category.POOR)
    episode = Episode(day, Setting.INPATIENT, level, total, (total * share).quantize(CENT))

    result = _settle(resident, episode)

    before_fund = sum(
        (layer.paid for layer in result.layers if layer.fund is not Fund.POVERTY_FUND), ZERO
    )
    if before_fund <= total * Decimal("0.95"):
        assert abs(result.personal_pay - total * Decimal("0.05")) <= HALF_FEN
    else:  # the insurances alone already paid more than 95%
        assert result.personal_pay < total * Decimal("0.05")


@settings(max_examples=300, deadline=None)
@given(cases(Region("rongchang")))
def test_rongchang_fund_respects_trigger_share_and_yearly_cap(
    case: tuple[Resident, Episode],
) -> None:
    resident, episode = case

    result = _settle(resident, episode)

    fund = _paid(result, Fund.POVERTY_FUND)
    if episode.out_of_catalogue <= 3000:
        assert fund == 0
    assert fund <= (episode.total * Decimal("0.30")).quantize(CENT)
    assert fund <= max(ZERO, Decimal(50_000) - resident.ledger.fund(Fund.POVERTY_FUND))


@settings(max_examples=300, deadline=None)
@given(cases(Region("nantong")))
def test_nantong_assistance_is_at_least_70_percent_of_in_policy_self_pay(
    case: tuple[Resident, Episode],
) -> None:
    resident, episode = case
    resident = Resident(Region("nantong"), Category.POOR)  # eligible, nothing paid yet this year

    result = _settle(resident, episode)

    insured = sum(
        (
            layer.paid
            for layer in result.layers
            if layer.fund in (Fund.BASIC_INSURANCE, Fund.CRITICAL_ILLNESS)
        ),
        ZERO,
    )
    assistance = sum(
        (layer.paid for layer in result.layers if layer.fund is Fund.MEDICAL_ASSISTANCE), ZERO
    )
    self_pay = episode.in_policy - insured
    assert assistance >= self_pay * Decimal("0.70") - HALF_FEN


@settings(max_examples=300, deadline=None)
@given(
    cases(Region("rongchang")), st.dates(min_value=date(2017, 1, 25), max_value=date(2025, 12, 31))
)
def test_health_poverty_fund_starts_in_2018_and_respects_its_yearly_cap(
    case: tuple[Resident, Episode], day: date
) -> None:
    resident, episode = case
    episode = Episode(day, episode.setting, episode.level, episode.total, episode.out_of_catalogue)

    result = _settle(resident, episode)

    fund = _paid(result, Fund.HEALTH_POVERTY_FUND)
    if day < date(2018, 1, 1):
        assert fund == 0
    left = max(ZERO, Decimal(200_000) - resident.ledger.fund(Fund.HEALTH_POVERTY_FUND))
    assert fund <= left
    in_policy_left = episode.in_policy - _paid(
        result, Fund.BASIC_INSURANCE, Fund.CRITICAL_ILLNESS, Fund.MEDICAL_ASSISTANCE
    )
    assert fund <= max(ZERO, in_policy_left)

"""settlement/listing.py: every rule of a region on a day, grouped by fund, with provenance."""

from datetime import date
from decimal import Decimal

import pytest

from settlement.errors import InputError
from settlement.identifiers import Fund
from settlement.listing import (
    GROUP_ORDER,
    ListedParameter,
    Listing,
    UnknownRegion,
    known_regions,
    parse_day,
    policy_listing,
    to_json,
)
from settlement.policy import PolicySet, default_policies
from settlement.rules import Bracket, DatedValues
from settlement.schema import By, Unit
from settlement.wording import plain, table_rows, value_text

DAY = date(2024, 5, 1)


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return default_policies()


def _parameters(listing: Listing) -> dict[str, ListedParameter]:
    return {p.name: p for group in listing.groups for p in group.parameters}


@pytest.mark.parametrize("region", ["guyang", "nantong", "rongchang", "yancheng"])
def test_every_parameter_in_force_is_listed_once_with_its_provenance(
    policies: PolicySet, region: str
) -> None:
    listing = policy_listing(policies, region, DAY)

    listed = [p for group in listing.groups for p in group.parameters]
    assert sorted(p.name for p in listed) == sorted(policies[region].in_force(DAY))  # type: ignore[index]
    for parameter in listed:
        assert parameter.reference or parameter.source or parameter.estimated, parameter.name
        assert parameter.text
        assert not parameter.estimated or parameter.reason


def test_groups_follow_the_settlement_order_and_parameters_their_fund(
    policies: PolicySet,
) -> None:
    listing = policy_listing(policies, "guyang", DAY)

    keys = [group.key for group in listing.groups]
    assert keys == sorted(keys, key=GROUP_ORDER.index)
    assert keys[0] == "eligibility"
    for group in listing.groups:
        assert group.is_fund == (group.key in {f.value for f in Fund})
        for parameter in group.parameters:
            if group.is_fund:
                assert parameter.name.startswith(f"{group.key}.")
    general = next(g for g in listing.groups if g.key == "general")
    assert [p.name for p in general.parameters] == ["combined_annual_cap"]


def test_a_clause_reference_quotes_the_documents_clause(policies: PolicySet) -> None:
    parameter = _parameters(policy_listing(policies, "guyang", DAY))[
        "basic_insurance.outpatient.poverty_rate"
    ]

    assert parameter.reference is not None
    assert parameter.reference.clause == "五（三）3"
    assert parameter.reference.title == "固阳县贫困人口医疗救助实施方案"
    assert parameter.reference.year == 2017
    assert "由70%提高到80%" in parameter.reference.text
    assert parameter.reference.label.startswith(
        "《固阳县贫困人口医疗救助实施方案》（2017年）五（三）3"
    )
    assert parameter.text == "村卫生室：80%；乡镇卫生院：80%；县级医院：80%"
    assert parameter.rows[0] == ("村卫生室", "80%")
    assert not parameter.estimated


def test_an_assumption_is_marked_estimated_with_its_reason(policies: PolicySet) -> None:
    listed = _parameters(policy_listing(policies, "guyang", DAY))
    parameter = listed["basic_insurance.inpatient.deductible"]

    assert parameter.estimated
    assert parameter.reason and "乌兰察布" in parameter.reason
    assert parameter.reference is None and parameter.source is None
    assert "村卫生室：100元" in parameter.text and parameter.unit_name == "元"


def test_a_published_source_is_given_as_recorded(policies: PolicySet) -> None:
    parameter = _parameters(policy_listing(policies, "yancheng", DAY))["medical_assistance.rate"]

    assert parameter.source is not None
    assert "国办发〔2021〕42号" in parameter.source.title
    assert parameter.source.year == 2021
    assert parameter.value == {"dibao": "0.7", "tekun": "0.7"}


def test_a_day_before_a_rules_start_omits_it_and_the_last_day_is_given(
    policies: PolicySet,
) -> None:
    # 盐城's rules start on 2021-11-01; its eligibility ends with the transition (2025).
    before = policy_listing(policies, "yancheng", date(2021, 10, 31))
    during = _parameters(policy_listing(policies, "yancheng", date(2025, 6, 1)))
    after = _parameters(policy_listing(policies, "yancheng", date(2026, 1, 1)))

    assert before.groups == ()
    eligibility = during["eligibility.categories"]
    assert (eligibility.start, eligibility.end) == (date(2021, 11, 1), date(2025, 12, 31))
    assert eligibility.period == "2021-11-01至2025-12-31"
    assert (after["eligibility.categories"].text, after["eligibility.categories"].end) == (
        "无",
        None,
    )


def test_notes_with_a_start_date_are_listed_from_that_day(policies: PolicySet) -> None:
    def note_ids(day: date) -> set[str]:
        listing = policy_listing(policies, "yancheng", day)
        return {note.id for group in listing.groups for note in group.notes}

    assert "transition_over" not in note_ids(date(2025, 12, 31))
    assert "transition_over" in note_ids(date(2026, 1, 1))


def test_an_unknown_region_names_the_known_ones(policies: PolicySet) -> None:
    with pytest.raises(UnknownRegion) as raised:
        policy_listing(policies, "beijing", DAY)

    assert raised.value.field == "region"
    assert [code for code, _ in raised.value.known] == [c for c, _ in known_regions(policies)]
    assert "guyang（固阳县）" in raised.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),  # an ISO date
        (None, DAY),  # absent: today
        ("", DAY),  # an empty form field: today
    ],
)
def test_parse_day(text: str | None, expected: date) -> None:
    assert parse_day(text, today=DAY) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "2024/05/01", "20240501", "明天", "9" * 500])
def test_a_bad_day_is_an_input_error_on_date(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_day(text, today=DAY)

    assert raised.value.field == "date"
    assert "例如2024-05-01" in raised.value.message
    assert len(raised.value.message) < 60  # a long text is not echoed whole


def test_the_json_document_has_the_documented_shape(policies: PolicySet) -> None:
    document = to_json(policy_listing(policies, "yancheng", date(2025, 6, 1)))

    assert set(document) == {"region", "name", "date", "groups"}
    assert document["date"] == "2025-06-01"
    group = document["groups"][0]
    assert set(group) == {"key", "name", "is_fund", "parameters", "notes"}
    parameter = group["parameters"][0]
    assert parameter["from"] == "2021-11-01" and parameter["until"] == "2025-12-31"
    assert set(parameter["reference"]) >= {"document", "title", "year", "clause", "text"}


@pytest.mark.parametrize(
    ("value", "unit", "by", "text"),
    [
        (Decimal("0.9"), Unit.RATE, None, "90%"),  # a rate
        (None, Unit.CNY, None, "不设封顶"),  # a cap of null: no cap
        (Decimal("0.05"), Unit.POINTS, None, "5个百分点"),  # 提高5%
        (2, Unit.YEARS, None, "2年"),
        (True, Unit.BOOL, None, "是"),
        ([], Unit.CATEGORIES, None, "无"),  # nobody any more
        (["county", "township"], Unit.LEVELS, None, "县级医院、乡镇卫生院"),
        # levels in the identifiers' order, whatever the file's
        (
            {"county": Decimal(500), "village": Decimal(100)},
            Unit.CNY,
            By.LEVEL,
            "村卫生室：100元；县级医院：500元",
        ),
        # banded rates
        (
            [
                Bracket(upto=Decimal(10000), rate=Decimal("0.2")),
                Bracket(upto=Decimal(30000), rate=Decimal("0.3")),
                Bracket(upto=None, rate=Decimal("0.4")),
            ],
            Unit.SCALE,
            None,
            "10000元及以下的部分20%；10000–30000元的部分30%；30000元以上的部分40%",
        ),
    ],
)
def test_values_in_words(value: object, unit: Unit, by: By | None, text: str) -> None:
    assert value_text(value, unit, by) == text  # type: ignore[arg-type]


def test_banded_rates_are_table_rows_and_a_single_rate_is_not() -> None:
    bands = [
        Bracket(upto=Decimal(100000), rate=Decimal("0.5")),
        Bracket(upto=None, rate=Decimal("0.6")),
    ]

    assert table_rows(bands, Unit.SCALE, None) == [
        ("100000元及以下的部分", "50%"),
        ("100000元以上的部分", "60%"),
    ]
    assert table_rows(bands[1:], Unit.SCALE, None) == []
    assert table_rows(Decimal("0.9"), Unit.RATE, None) == []


def test_plain_values_keep_decimals_exact() -> None:
    assert plain([Bracket(upto=None, rate=Decimal("0.60"))]) == [{"upto": None, "rate": "0.6"}]
    assert plain({"village": Decimal("160000")}) == {"village": "160000"}


def test_span_gives_the_first_and_last_day_of_a_value() -> None:
    dated = DatedValues({date(2017, 1, 1): 1, date(2020, 1, 1): 2})

    assert dated.span(date(2019, 6, 1)) == (date(2017, 1, 1), date(2019, 12, 31))
    assert dated.span(date(2020, 1, 1)) == (date(2020, 1, 1), None)
    with pytest.raises(LookupError):
        dated.span(date(2016, 12, 31))

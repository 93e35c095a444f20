"""The strict loader: one failing fixture per error kind, each with its message checked."""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from settlement.context import Context
from settlement.documents import default_policies_dir
from settlement.errors import ParameterNotFound, PolicyError
from settlement.identifiers import Category, Fund, Level, Region, Setting
from settlement.model import Episode, Resident
from settlement.policy import load_policies

GOOD_PARAMETER = """\
  basic_insurance.annual_cap:
    description: 年度封顶线
    unit: CNY
    source: {title: 某市居民医保办法}
    values:
      "2017-01-01": 160000
"""


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A private copy of policies/ that a test may break."""
    target = tmp_path / "policies"
    shutil.copytree(default_policies_dir(), target, ignore=shutil.ignore_patterns("cases"))
    return target


def _write_guyang(root: Path, parameters: str, notes: str = "notes: []\n") -> Path:
    path = root / "rules" / "guyang.yaml"
    path.write_text(
        "region: guyang\nname: 固阳县\nshort_name: 固阳\ndocuments: [guyang_2017]\n"
        "tables: {chronic_diseases: guyang_chronic_diseases}\n"
        f"parameters:\n{parameters}{notes}",
        encoding="utf-8",
    )
    return path


def test_the_real_policies_load() -> None:
    policies = load_policies()
    assert set(policies.regions) == {"nantong", "rongchang", "guyang", "yancheng"}


@pytest.mark.parametrize(
    ("parameters", "path", "reason"),
    [
        # a typo in a parameter name must not be silently ignored
        (
            GOOD_PARAMETER.replace("annual_cap", "anual_cap"),
            "parameters.basic_insurance.anual_cap",
            "unknown parameter",
        ),
        # an unknown field inside a parameter
        (
            GOOD_PARAMETER.replace("    unit: CNY\n", "    unit: CNY\n    colour: red\n"),
            "parameters.basic_insurance.annual_cap.colour",
            "Extra inputs are not permitted",
        ),
        # 2017-02-30 does not exist
        (
            GOOD_PARAMETER.replace("2017-01-01", "2017-02-30"),
            "parameters.basic_insurance.annual_cap.values.2017-02-30",
            "bad date",
        ),
        # a rate of 1.2 (120%) is impossible
        (
            "  basic_insurance.chronic.rate:\n    description: x\n    unit: rate\n"
            '    source: {title: t}\n    values:\n      "2017-01-01": 1.2\n',
            "parameters.basic_insurance.chronic.rate.values.2017-01-01",
            "rate 1.2 outside 0–1",
        ),
        # no reference, no source, no assumption
        (
            GOOD_PARAMETER.replace("    source: {title: 某市居民医保办法}\n", ""),
            "parameters.basic_insurance.annual_cap",
            "missing reference",
        ),
        # an assumption must say why
        (
            GOOD_PARAMETER.replace(
                "    source: {title: 某市居民医保办法}\n", "    assumption: true\n"
            ),
            "parameters.basic_insurance.annual_cap.reason",
            "an assumption needs a reason",
        ),
        # the unit must match the vocabulary (a cap is in yuan, not a rate)
        (
            GOOD_PARAMETER.replace("unit: CNY", "unit: rate"),
            "parameters.basic_insurance.annual_cap.unit",
            "must be CNY",
        ),
        # a reference to a clause the document does not have
        (
            GOOD_PARAMETER.replace(
                "source: {title: 某市居民医保办法}",
                "reference: {document: guyang_2017, clause: 九（九）9}",
            ),
            "parameters.basic_insurance.annual_cap.reference",
            "has no clause '九（九）9'",
        ),
        # a negative amount
        (
            GOOD_PARAMETER.replace("160000", "-5"),
            "parameters.basic_insurance.annual_cap.values.2017-01-01",
            "negative amount",
        ),
        # bracket bounds must increase, and only the last is open
        (
            "  critical_illness.rates:\n    description: x\n    unit: scale\n"
            '    source: {title: t}\n    values:\n      "2017-01-01": '
            "[{upto: 50000, rate: 0.5}, {upto: 10000, rate: 0.6}, {upto: null, rate: 0.7}]\n",
            "parameters.critical_illness.rates.values.2017-01-01",
            "bracket bounds must increase",
        ),
        # an estimate replaced by a published value must have a value dated that day
        (
            GOOD_PARAMETER.replace(
                "    values:\n",
                '    assumption_until: "2021-01-01"\n    reason: 未找到\n    values:\n',
            ),
            "parameters.basic_insurance.annual_cap.assumption_until",
            "no value dated 2021-01-01",
        ),
        # ... and say why the earlier values are estimates
        (
            GOOD_PARAMETER.replace(
                "    values:\n", '    assumption_until: "2017-01-01"\n    values:\n'
            ),
            "parameters.basic_insurance.annual_cap.reason",
            "an assumption needs a reason",
        ),
        # ... and name what applies from that day
        (
            GOOD_PARAMETER.replace(
                "    source: {title: 某市居民医保办法}\n",
                '    assumption_until: "2017-01-01"\n    reason: 未找到\n',
            ),
            "parameters.basic_insurance.annual_cap",
            "assumption_until needs the reference or source after it",
        ),
        # values broken down by level must use known levels
        (
            "  basic_insurance.inpatient.rate:\n    description: x\n    unit: rate\n    by: level\n"
            '    source: {title: t}\n    values:\n      "2017-01-01": {hospital: 0.5}\n',
            "parameters.basic_insurance.inpatient.rate.values.2017-01-01",
            "unknown level 'hospital'",
        ),
    ],
)
def test_a_broken_parameter_is_refused_with_file_path_and_reason(
    policies_copy: Path, parameters: str, path: str, reason: str
) -> None:
    broken = _write_guyang(policies_copy, parameters)

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert caught.value.file == str(broken)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_a_duplicate_key_is_refused_with_its_line(policies_copy: Path) -> None:
    broken = _write_guyang(policies_copy, GOOD_PARAMETER + GOOD_PARAMETER)

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert (caught.value.file, caught.value.path) == (str(broken), "line 13")
    assert caught.value.reason == "duplicate key 'basic_insurance.annual_cap'"


def test_an_unknown_top_level_field_is_refused(policies_copy: Path) -> None:
    path = policies_copy / "rules" / "nantong.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nextra_rules: []\n", encoding="utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert (caught.value.file, caught.value.path) == (str(path), "extra_rules")
    assert "Extra inputs are not permitted" in caught.value.reason


def test_a_display_name_for_an_unknown_fund_is_refused(policies_copy: Path) -> None:
    path = policies_copy / "rules" / "rongchang.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "  health_poverty_fund: 健康扶贫基金", "  health_fund: 健康扶贫基金"
        ),
        encoding="utf-8",
    )

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert (caught.value.file, caught.value.path) == (str(path), "fund_names.health_fund.[key]")
    assert "'health_poverty_fund'" in caught.value.reason


def test_a_fund_is_named_as_its_region_names_it() -> None:
    policies = load_policies()

    assert policies[Region("rongchang")].fund_name(Fund.HEALTH_POVERTY_FUND) == "健康扶贫基金"
    assert policies[Region("nantong")].fund_name(Fund.CHARITY) == "慈善救助"


def test_an_estimate_is_cited_as_one_until_the_published_value_replaces_it() -> None:
    policy = load_policies()[Region("guyang")]
    cap = policy.parameters["critical_illness.annual_cap"]

    before = policy.cite(cap, date(2020, 12, 31))
    after = policy.cite(cap, date(2021, 1, 1))

    assert (before.document, before.assumption) == ("本地基础参数（估算）", True)
    assert after.document.startswith("内蒙古自治区医疗保障局") and not after.assumption
    assert policy.cite_text("critical_illness.annual_cap", date(2020, 12, 31)).startswith("（估算")
    assert (cap.estimated_on(date(2020, 12, 31)), cap.estimated_on(date(2021, 1, 1))) == (
        True,
        False,
    )


def test_a_region_must_match_its_file_name(policies_copy: Path) -> None:
    path = policies_copy / "rules" / "guyang.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("region: guyang", "region: baotou"),
        encoding="utf-8",
    )

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert (caught.value.path, caught.value.reason) == (
        "region",
        "must be 'guyang', the file's name",
    )


def test_a_region_whose_rules_file_is_missing_is_refused(policies_copy: Path) -> None:
    # Its documents are still there: the region is half removed, which is a mistake.
    (policies_copy / "rules" / "yancheng.yaml").unlink()

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert caught.value.reason == "no rules/yancheng.yaml for its region"


def test_a_region_without_a_short_name_is_refused(policies_copy: Path) -> None:
    path = policies_copy / "rules" / "nantong.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("short_name: 南通\n", ""), "utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert caught.value.path == "short_name"


def test_a_note_citing_an_unknown_document_is_refused(policies_copy: Path) -> None:
    notes = (
        "notes:\n  - id: x\n    text: 说明\n    reference: {document: beijing_2020, clause: 一}\n"
    )
    broken = _write_guyang(policies_copy, GOOD_PARAMETER, notes)

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert (caught.value.file, caught.value.path) == (str(broken), "notes[0].reference")
    assert caught.value.reason == "unknown document 'beijing_2020'"


def test_a_file_that_is_not_utf8_is_refused(policies_copy: Path) -> None:
    path = policies_copy / "rules" / "rongchang.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))

    with pytest.raises(PolicyError) as caught:
        load_policies(policies_copy)

    assert caught.value.file == str(path)
    assert caught.value.reason.startswith("not UTF-8")


def test_a_misspelt_parameter_name_in_code_fails_loudly() -> None:
    # A region without a rule reads None; a name no schema defines is a bug, said at once.
    policy = load_policies()[Region("guyang")]
    day = date(2024, 5, 1)
    assert policy.get("poverty_fund.out_of_catalogue_trigger", day) is None  # not 固阳's rule

    with pytest.raises(ParameterNotFound, match=r"basic_insurance\.anual_cap"):
        policy.get("basic_insurance.anual_cap", day)
    with pytest.raises(ParameterNotFound):
        policy.values_of("eligibility.exit_continuation_yaers")
    resident = Resident(region=Region("guyang"), category=Category.POOR)
    episode = Episode(day=day, setting=Setting.INPATIENT, level=Level.COUNTY, total=Decimal(100))
    context = Context(policy, resident, episode, eligible=True)
    with pytest.raises(ParameterNotFound):
        context.decimal("critical_illness.treshold")

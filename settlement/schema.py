"""The vocabulary of policy parameters: every name the settlement chain reads, with its unit.

A region file may only use names listed here (a typo is an error at start-up, not a silently
ignored rule). Units decide which values are legal:

  CNY         an amount in yuan ≥ 0, or null for "no cap"
  rate        a share in 0–1 (报销比例)
  points      an increase of a rate in 0–1 (提高5% → 0.05)
  share       a fraction in 0–1 (起付线降低50% → 0.5)
  bool        true/false
  years       a whole number of years
  categories  a list of resident categories
  levels      a list of hospital levels
  scale       brackets [{upto: CNY|null, rate}] ascending; the last has upto null
"""

from dataclasses import dataclass
from enum import StrEnum

from settlement.identifiers import Fund


class Unit(StrEnum):
    CNY = "CNY"
    RATE = "rate"
    POINTS = "points"
    SHARE = "share"
    BOOL = "bool"
    YEARS = "years"
    CATEGORIES = "categories"
    LEVELS = "levels"
    SCALE = "scale"


class By(StrEnum):
    """What the values of a parameter are broken down by (PolicyEngine's `breakdown`)."""

    LEVEL = "level"
    CATEGORY = "category"


@dataclass(frozen=True)
class Spec:
    unit: Unit
    by: By | None = None


SPECS: dict[str, Spec] = {
    # Who receives the poverty tilts, and how long after exit (脱贫后政策延续).
    "eligibility.categories": Spec(Unit.CATEGORIES),
    "eligibility.exit_continuation_years": Spec(Unit.YEARS),
    # The earliest year of exit the continuation reaches back to (e.g. 包括2016年脱贫的对象).
    "eligibility.exit_continuation_from_year": Spec(Unit.YEARS),
    # 基本医疗保险 — base parameters (城乡居民基本医疗保险)
    "basic_insurance.inpatient.deductible": Spec(Unit.CNY, By.LEVEL),
    "basic_insurance.inpatient.rate": Spec(Unit.RATE, By.LEVEL),
    "basic_insurance.inpatient.out_of_county_rate_reduction": Spec(Unit.POINTS),
    "basic_insurance.annual_cap": Spec(Unit.CNY),
    "basic_insurance.outpatient.deductible": Spec(Unit.CNY),
    "basic_insurance.outpatient.rate": Spec(Unit.RATE, By.LEVEL),
    "basic_insurance.outpatient.annual_cap": Spec(Unit.CNY),
    "basic_insurance.chronic.rate": Spec(Unit.RATE),
    # 基本医疗保险 — poverty tilts
    "basic_insurance.inpatient.poverty_deductible_reduction": Spec(Unit.SHARE, By.LEVEL),
    "basic_insurance.inpatient.poverty_rate_increase": Spec(Unit.POINTS, By.LEVEL),
    "basic_insurance.inpatient.poverty_tilt_in_county_only": Spec(Unit.BOOL),
    "basic_insurance.inpatient.repeat_stay_no_deductible": Spec(Unit.BOOL),
    "basic_insurance.inpatient.disability_no_deductible_levels": Spec(Unit.LEVELS),
    "basic_insurance.outpatient.poverty_rate": Spec(Unit.RATE, By.LEVEL),
    # Other categories (e.g. 医疗救助对象) that also get a raised outpatient rate, by level.
    "basic_insurance.outpatient.assistance_categories": Spec(Unit.CATEGORIES),
    "basic_insurance.outpatient.assistance_rate": Spec(Unit.RATE, By.LEVEL),
    # 大病保险
    "critical_illness.threshold": Spec(Unit.CNY),
    "critical_illness.rates": Spec(Unit.SCALE),
    "critical_illness.annual_cap": Spec(Unit.CNY),
    "critical_illness.poverty_threshold_reduction": Spec(Unit.SHARE),
    "critical_illness.poverty_rate_increase": Spec(Unit.SCALE),
    # A poverty rate stated as an outcome (「提高10%，达到50%」): each band at least this rate.
    "critical_illness.poverty_rate_floor": Spec(Unit.SCALE),
    # 医疗救助 (by category: who gets how much)
    "medical_assistance.rate": Spec(Unit.RATE, By.CATEGORY),
    "medical_assistance.deductible": Spec(Unit.CNY, By.CATEGORY),
    "medical_assistance.annual_cap": Spec(Unit.CNY, By.CATEGORY),
    # 健康扶贫基金: banded aid, per episode, on the in-policy self-pay left after basic insurance,
    # 大病保险 and 医疗救助, for the listed categories, within a yearly cap.
    "health_poverty_fund.threshold": Spec(Unit.CNY),
    "health_poverty_fund.rates": Spec(Unit.SCALE),
    "health_poverty_fund.categories": Spec(Unit.CATEGORIES),
    "health_poverty_fund.annual_cap": Spec(Unit.CNY),
    # A poverty fund's help with out-of-catalogue costs of one stay
    "poverty_fund.out_of_catalogue_trigger": Spec(Unit.CNY),
    "poverty_fund.out_of_catalogue_rates": Spec(Unit.SCALE),
    "poverty_fund.max_share_of_total": Spec(Unit.SHARE),
    "poverty_fund.annual_cap": Spec(Unit.CNY),
    # A poverty fund's top-up to a target reimbursement rate
    "poverty_fund.inpatient_target_rate": Spec(Unit.RATE),
    "poverty_fund.chronic_target_rate": Spec(Unit.RATE),
    "combined_annual_cap": Spec(Unit.CNY),
}

# Funds whose payments count towards combined_annual_cap (a county's 年度累计 total), a cap of
# the poverty plan: it binds only residents eligible for the region's tilts.
COMBINED_CAP_FUNDS = (
    Fund.BASIC_INSURANCE,
    Fund.CRITICAL_ILLNESS,
    Fund.MEDICAL_ASSISTANCE,
    Fund.POVERTY_FUND,
)

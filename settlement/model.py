"""Inputs and outputs of one settlement: who, what episode, what each fund paid and why."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from settlement.identifiers import Category, Disability, Fund, Level, Region, Setting
from settlement.money import ZERO


@dataclass(frozen=True)
class Ledger:
    """What was already paid this year (年度累计), for annual caps.

    `in_policy_self_pay` is this year's earlier in-policy self-pay (政策范围内自付), on which the
    大病保险 threshold is measured cumulatively; 0 measures it on this episode alone.
    `outpatient_basic` is what basic insurance paid for outpatient bills (门诊统筹 has its own cap).
    """

    paid: dict[Fund, Decimal] = field(default_factory=dict)
    chronic_paid: dict[str, Decimal] = field(default_factory=dict)
    in_policy_self_pay: Decimal = ZERO
    outpatient_basic: Decimal = ZERO

    def fund(self, fund: Fund) -> Decimal:
        return self.paid.get(fund, ZERO)


@dataclass(frozen=True)
class Resident:
    region: Region
    category: Category = Category.POOR
    exit_year: int | None = None
    disability: Disability = Disability.NONE
    chronic_diseases: tuple[str, ...] = ()
    ledger: Ledger = field(default_factory=Ledger)


@dataclass(frozen=True)
class Episode:
    """One hospital stay or outpatient bill.

    total             医疗总费用
    out_of_catalogue  医保目录外（全自费）费用, part of total
    over_treatment    不合理/过度医疗费用, part of total, excluded from a poverty fund's top-up
    stay              which stay of the year at this hospital level (1 = first)
    """

    day: date
    setting: Setting
    level: Level
    total: Decimal
    out_of_catalogue: Decimal = ZERO
    in_county: bool = True
    disease: str | None = None
    stay: int = 1
    over_treatment: Decimal = ZERO
    over_treatment_by_hospital: bool = False

    @property
    def in_policy(self) -> Decimal:
        """政策范围内费用."""
        return self.total - self.out_of_catalogue


@dataclass(frozen=True)
class Source:
    document: str
    clause: str


@dataclass(frozen=True)
class Layer:
    fund: Fund
    name: str
    paid: Decimal
    explanation: str
    source: Source
    assumption: bool = False


@dataclass(frozen=True)
class Settlement:
    region: Region
    total: Decimal
    layers: tuple[Layer, ...]
    notes: tuple[str, ...]
    # Whether the resident's category got the region's tilts on the episode's day (False: a
    # category the region no longer covers, e.g. after its transition period; computed as none).
    eligible: bool = True
    # The episode's day and the first day in force of every rule of the region in force then:
    # the date basis an estimate states (「按…2017年、2021年起施行的规定估算」).
    day: date | None = None
    rule_dates: tuple[date, ...] = ()

    @property
    def reimbursed(self) -> Decimal:
        return sum((layer.paid for layer in self.layers), ZERO)

    @property
    def personal_pay(self) -> Decimal:
        """个人自付: what no fund pays. Layers plus this equal the total exactly."""
        return self.total - self.reimbursed

    @property
    def uses_assumption(self) -> bool:
        return any(layer.assumption for layer in self.layers)

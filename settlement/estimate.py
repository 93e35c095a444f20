"""The estimate request shared by the CLI, the assistant and the HTTP API, and its JSON form."""

import datetime as dt
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from settlement.chain import settle
from settlement.errors import InputError
from settlement.identifiers import (
    SETTING_NAMES,
    Category,
    Disability,
    Fund,
    Level,
    Region,
    Setting,
    region_name,
)
from settlement.model import Episode, Ledger, Resident, Settlement
from settlement.money import ZERO, yuan
from settlement.policy import PolicySet, default_policies


class EstimateRequest(BaseModel):
    """What a resident or cadre tells us about one episode (and, optionally, this year so far)."""

    model_config = ConfigDict(extra="forbid")

    region: Region
    setting: Setting
    level: Level
    total: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="医疗总费用（元）")
    out_of_catalogue: Decimal = Field(ZERO, ge=0, max_digits=12, decimal_places=2)
    category: Category = Category.POOR
    exit_year: int | None = Field(None, ge=2014, le=2100)
    out_of_county: bool = False
    disability: Disability = Disability.NONE
    stay: int = Field(1, ge=1, le=366)
    disease: str | None = Field(None, max_length=50)
    date: dt.date | None = None
    over_treatment: Decimal = Field(ZERO, ge=0, max_digits=12, decimal_places=2)
    over_treatment_by_hospital: bool = False
    paid_this_year: dict[Fund, Decimal] = Field(default_factory=dict)
    chronic_paid_this_year: dict[str, Decimal] = Field(default_factory=dict)
    in_policy_self_pay_this_year: Decimal = Field(ZERO, ge=0)
    outpatient_paid_this_year: Decimal = Field(ZERO, ge=0)

    def resident(self) -> Resident:
        ledger = Ledger(
            paid=dict(self.paid_this_year),
            chronic_paid=dict(self.chronic_paid_this_year),
            in_policy_self_pay=self.in_policy_self_pay_this_year,
            outpatient_basic=self.outpatient_paid_this_year,
        )
        return Resident(
            region=self.region,
            category=self.category,
            exit_year=self.exit_year,
            disability=self.disability,
            ledger=ledger,
        )

    def episode(self, today: dt.date) -> Episode:
        return Episode(
            day=self.date or today,
            setting=self.setting,
            level=self.level,
            total=self.total,
            out_of_catalogue=self.out_of_catalogue,
            in_county=not self.out_of_county,
            disease=self.disease,
            stay=self.stay,
            over_treatment=self.over_treatment,
            over_treatment_by_hospital=self.over_treatment_by_hospital,
        )


def parse_request(data: dict[str, Any]) -> EstimateRequest:
    """Validate raw input; the first problem becomes an InputError naming the field."""
    try:
        return EstimateRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "request"
        raise InputError(field, first["msg"]) from None


def estimate(
    request: EstimateRequest, today: date | None = None, policies: PolicySet | None = None
) -> Settlement:
    policy = (policies or default_policies())[request.region]
    return settle(policy, request.resident(), request.episode(today or date.today()))


def to_json(result: Settlement) -> dict[str, Any]:
    """The documented JSON result: amounts as strings with two decimals."""
    return {
        "region": str(result.region),
        "total": yuan(result.total),
        "personal_pay": yuan(result.personal_pay),
        "reimbursed": yuan(result.reimbursed),
        "layers": [
            {
                "fund": layer.fund.value,
                "name": layer.name,
                "paid": yuan(layer.paid),
                "explanation": layer.explanation,
                "source": {"document": layer.source.document, "clause": layer.source.clause},
                "assumption": layer.assumption,
            }
            for layer in result.layers
        ],
        "notes": list(result.notes),
        "date": result.day.isoformat() if result.day else None,
        "rule_dates": [day.isoformat() for day in result.rule_dates],
    }


def summary(result: Settlement, setting: Setting) -> str:
    """Personal share first, then the layers in one line: what a resident reads first."""
    paid = "，".join(f"{layer.name}{yuan(layer.paid)}元" for layer in result.layers if layer.paid)
    head = (
        f"{region_name(result.region)}{SETTING_NAMES[setting]}总费用{yuan(result.total)}元，"
        f"预计个人自付{yuan(result.personal_pay)}元。"
    )
    return head + (f"其中{paid}。" if paid else "各项基金均不支付。")


def explanation_lines(result: Settlement) -> list[str]:
    """The step-by-step explanation (「详细」), one line per layer, then the notes, then the
    date basis (the episode's day and the years its rules came into force)."""
    lines = [layer.explanation for layer in result.layers]
    lines.append(
        f"个人自付：{yuan(result.total)}−各项报销{yuan(result.reimbursed)}="
        f"{yuan(result.personal_pay)}元"
    )
    lines += [f"注：{note}" for note in result.notes]
    if result.day is not None:
        lines.append(f"依据：{result.day.isoformat()}施行的规定（{rule_years(result)}起施行）")
    return lines


def rule_years(result: Settlement) -> str:
    """「2017年、2021年」: the years the rules an estimate used came into force."""
    return "、".join(f"{year}年" for year in sorted({day.year for day in result.rule_dates}))

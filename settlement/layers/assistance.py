"""医疗救助 (medical assistance): a share of the in-policy self-pay left after the insurances.

Rates, deductibles and caps by category (medical_assistance.*), e.g. 不低于自付费用70% for
建档立卡低收入人口, outpatient and inpatient.
"""

from decimal import Decimal

from settlement.context import Context
from settlement.identifiers import FUND_NAMES, Fund
from settlement.model import Layer
from settlement.money import ZERO, percent, to_fen, yuan

P = "medical_assistance."


def in_policy_self_pay(ctx: Context) -> Decimal:
    """政策范围内自付 after basic insurance and critical illness insurance."""
    insured = ctx.paid_by(Fund.BASIC_INSURANCE) + ctx.paid_by(Fund.CRITICAL_ILLNESS)
    return max(ZERO, ctx.episode.in_policy - insured)


def medical_assistance(ctx: Context) -> Layer | None:
    key = ctx.category_key
    rate = ctx.decimal(P + "rate", key)
    if rate is None or not ctx.eligible:
        return None
    base = in_policy_self_pay(ctx)
    deductible = ctx.decimal(P + "deductible", key) or ZERO
    raw = max(ZERO, base - deductible) * rate
    text = f"医疗救助：政策范围内自付{yuan(base)}元"
    if deductible:
        text += f"−救助起付线{yuan(deductible)}元"
    text += f"，×救助比例{percent(rate)}={yuan(raw)}元{ctx.cite_text(P + 'rate')}"
    cap = ctx.decimal(P + "annual_cap", key)
    if cap is not None:
        left = max(ZERO, cap - ctx.resident.ledger.fund(Fund.MEDICAL_ASSISTANCE))
        if raw > left:
            raw = left
            text += f"，受年度救助限额{yuan(cap)}元限制，本次支付{yuan(raw)}元"
    return Layer(
        fund=Fund.MEDICAL_ASSISTANCE,
        name=FUND_NAMES[Fund.MEDICAL_ASSISTANCE],
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(P + "rate"),
        assumption=ctx.is_assumption(P + "rate", P + "deductible", P + "annual_cap"),
    )

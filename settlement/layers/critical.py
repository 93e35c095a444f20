"""大病保险 (critical illness insurance) on the in-policy self-pay left by basic insurance.

The threshold (起付标准) and bands are measured on the year's cumulative in-policy self-pay, so
an episode pays S(before + this) − S(before), S being the banded payout on a cumulative burden.
"""

import operator
from collections.abc import Callable
from decimal import Decimal

from settlement.context import Context
from settlement.identifiers import FUND_NAMES, Fund, Setting
from settlement.model import Layer
from settlement.money import ZERO, percent, to_fen, yuan
from settlement.rules import Bracket

P = "critical_illness."

Combine = Callable[[Decimal, Decimal], Decimal]


def combined_bands(
    base: list[Bracket], increase: list[Bracket] | None, combine: Combine = operator.add
) -> list[Bracket]:
    """Merge a poverty scale into the base scale, band by band (rates capped at 100%).

    An increase (提高5个百分点) is added; a floor (「达到50%」) is merged with `max`, so a base that
    already reaches the floor is not raised again.
    """
    if not increase:
        return base
    bounds = sorted({b.upto for b in base + increase if b.upto is not None})
    merged: list[Bracket] = []
    for upper in [*bounds, None]:
        rate = combine(_rate_below(base, upper), _rate_below(increase, upper))
        merged.append(Bracket(upto=upper, rate=min(rate, Decimal(1))))
    return merged


def _raises(base: list[Bracket], merged: list[Bracket]) -> bool:
    """Whether the merged scale pays a higher rate than the base in some band."""
    return any(band.rate > _rate_below(base, band.upto) for band in merged)


def _rate_below(scale: list[Bracket], upper: Decimal | None) -> Decimal:
    """The rate of the band that contains the amounts just below `upper`."""
    for bracket in scale:
        if upper is not None and bracket.upto is not None and upper <= bracket.upto:
            return bracket.rate
        if bracket.upto is None:
            return bracket.rate
    return ZERO  # pragma: no cover - the last bracket is open


def banded_payout(burden: Decimal, threshold: Decimal, bands: list[Bracket]) -> Decimal:
    """Payout on a cumulative burden: each band's rate on the part of it above the threshold."""
    paid = ZERO
    lower = threshold
    for bracket in bands:
        upper = burden if bracket.upto is None else min(burden, bracket.upto)
        if upper > lower:
            paid += (upper - lower) * bracket.rate
        if bracket.upto is not None:
            lower = max(lower, bracket.upto)
    return paid


def _threshold(ctx: Context) -> tuple[Decimal, str]:
    base = ctx.decimal(P + "threshold") or ZERO
    reduction = ctx.decimal(P + "poverty_threshold_reduction")
    if ctx.eligible and reduction:
        cite = ctx.cite_text(P + "poverty_threshold_reduction")
        return base * (1 - reduction), f"起付标准{yuan(base)}元降低{percent(reduction)}{cite}"
    return base, ""


def _describe(bands: list[Bracket], threshold: Decimal) -> str:
    parts = []
    lower = threshold
    for bracket in bands:
        if bracket.upto is not None and bracket.upto <= lower:
            continue
        upper = "以上" if bracket.upto is None else f"至{yuan(bracket.upto)}元"
        parts.append(f"{yuan(lower)}元{upper}报{percent(bracket.rate)}")
        if bracket.upto is not None:
            lower = bracket.upto
    return "，".join(parts)


def critical_illness(ctx: Context) -> Layer | None:
    """Pays the banded share of in-policy self-pay above the threshold, within the annual cap."""
    bands = ctx.scale(P + "rates")
    if bands is None or ctx.episode.setting is not Setting.INPATIENT:
        return None
    increase = ctx.scale(P + "poverty_rate_increase") if ctx.eligible else None
    bands = combined_bands(bands, increase)
    floor = ctx.scale(P + "poverty_rate_floor") if ctx.eligible else None
    raised = False
    if floor:
        floored = combined_bands(bands, floor, max)
        raised = _raises(bands, floored)
        if raised:
            bands = floored
    threshold, threshold_note = _threshold(ctx)
    self_pay = max(ZERO, ctx.episode.in_policy - ctx.paid_by(Fund.BASIC_INSURANCE))
    before = ctx.resident.ledger.in_policy_self_pay
    raw = banded_payout(before + self_pay, threshold, bands) - banded_payout(
        before, threshold, bands
    )
    text = (
        f"大病保险：政策范围内自付{yuan(self_pay)}元，起付标准{yuan(threshold)}元，"
        f"{_describe(bands, threshold)}，合计{yuan(raw)}元"
    )
    if before:
        text += f"（已计入本年此前自付{yuan(before)}元）"
    cap = ctx.decimal(P + "annual_cap")
    if cap is not None and raw > cap - ctx.resident.ledger.fund(Fund.CRITICAL_ILLNESS):
        raw = max(ZERO, cap - ctx.resident.ledger.fund(Fund.CRITICAL_ILLNESS))
        text += f"，受年度封顶线{yuan(cap)}元限制，本次支付{yuan(raw)}元"
    if threshold_note:
        text += "；" + threshold_note
    if increase:
        text += f"；贫困人口报销比例提高{ctx.cite_text(P + 'poverty_rate_increase')}"
    if raised:
        text += f"；贫困人口报销比例提高到规定比例{ctx.cite_text(P + 'poverty_rate_floor')}"
    names = (P + "threshold", P + "rates", P + "annual_cap")
    cited = P + "poverty_rate_increase" if increase else P + "rates"
    cited = P + "poverty_rate_floor" if raised else cited
    return Layer(
        fund=Fund.CRITICAL_ILLNESS,
        name=FUND_NAMES[Fund.CRITICAL_ILLNESS],
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(cited),
        assumption=ctx.is_assumption(*names),
    )

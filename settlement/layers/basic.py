"""基本医疗保险 (basic medical insurance): 起付线 deductible, 报销比例 rate, 封顶线 annual cap."""

from dataclasses import dataclass
from decimal import Decimal

from settlement.context import Context
from settlement.identifiers import FUND_NAMES, Disability, Fund, Setting
from settlement.model import Layer
from settlement.money import ZERO, clamp, percent, plain_number, to_fen, yuan

P = "basic_insurance."


@dataclass(frozen=True)
class Term:
    """A deductible or rate with the reasons it differs from the base value."""

    value: Decimal
    reasons: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


def _tilt_applies(ctx: Context) -> bool:
    """Poverty tilts apply to eligible residents; where the rules say so (poverty_tilt_in_county_
    only) only inside the county or district (区域内)."""
    if not ctx.eligible:
        return False
    return ctx.episode.in_county or not ctx.flag(P + "inpatient.poverty_tilt_in_county_only")


def inpatient_deductible(ctx: Context) -> Term:
    """住院起付线: base by level, −50% for the poor, none on a repeat stay or for the disabled.

    Parameters basic_insurance.inpatient.* (poverty_deductible_reduction, repeat_stay_no_
    deductible, disability_no_deductible_levels), each with its clause in the rules.
    """
    level = ctx.episode.level.value
    name = P + "inpatient.deductible"
    base = ctx.decimal(name, level) or ZERO
    if not _tilt_applies(ctx):
        return Term(base, params=(name,))
    if ctx.flag(P + "inpatient.repeat_stay_no_deductible") and ctx.episode.stay >= 2:
        cite = ctx.cite_text(P + "inpatient.repeat_stay_no_deductible")
        reason = f"年内再次在同级别医院住院，取消起付线{cite}"
        return Term(ZERO, (reason,), (name, P + "inpatient.repeat_stay_no_deductible"))
    no_deductible = ctx.names(P + "inpatient.disability_no_deductible_levels")
    if ctx.resident.disability is not Disability.NONE and level in no_deductible:
        who = "残疾儿童" if ctx.resident.disability is Disability.CHILD else "重度残疾人"
        cite = ctx.cite_text(P + "inpatient.disability_no_deductible_levels")
        return Term(
            ZERO,
            (f"{who}取消起付线{cite}",),
            (name, P + "inpatient.disability_no_deductible_levels"),
        )
    reduction = ctx.decimal(P + "inpatient.poverty_deductible_reduction", level)
    if not reduction:
        return Term(base, params=(name,))
    cite = ctx.cite_text(P + "inpatient.poverty_deductible_reduction")
    reason = f"起付线{yuan(base)}元降低{percent(reduction)}{cite}"
    return Term(
        base * (1 - reduction), (reason,), (name, P + "inpatient.poverty_deductible_reduction")
    )


def inpatient_rate(ctx: Context) -> Term:
    """住院报销比例: base by level, raised for the poor by level (poverty_rate_increase)."""
    level = ctx.episode.level.value
    name = P + "inpatient.rate"
    rate = ctx.decimal(name, level) or ZERO
    reasons: list[str] = []
    params = [name]
    increase = ctx.decimal(P + "inpatient.poverty_rate_increase", level)
    if increase and _tilt_applies(ctx):
        cite = ctx.cite_text(P + "inpatient.poverty_rate_increase")
        points = plain_number(increase * 100)
        reasons.append(f"报销比例{percent(rate)}提高{points}个百分点{cite}")
        params.append(P + "inpatient.poverty_rate_increase")
        rate += increase
    cut = ctx.decimal(P + "inpatient.out_of_county_rate_reduction")
    if cut and not ctx.episode.in_county:
        reasons.append(f"县外就医比例降低{percent(cut)}")
        params.append(P + "inpatient.out_of_county_rate_reduction")
        rate -= cut
    return Term(clamp(rate, ZERO, Decimal(1)), tuple(reasons), tuple(params))


def outpatient_rate(ctx: Context) -> Term:
    """门诊报销比例: base by level, or the poor's own rate by level (outpatient.poverty_rate)."""
    level = ctx.episode.level.value
    name = P + "outpatient.rate"
    base = ctx.decimal(name, level) or ZERO
    poverty = ctx.decimal(P + "outpatient.poverty_rate", level)
    if ctx.eligible and poverty is not None and poverty > base:
        cite = ctx.cite_text(P + "outpatient.poverty_rate")
        reason = f"门诊报销比例由{percent(base)}提高到{percent(poverty)}{cite}"
        return Term(poverty, (reason,), (name, P + "outpatient.poverty_rate"))
    assisted = ctx.decimal(P + "outpatient.assistance_rate", level)
    listed = ctx.names(P + "outpatient.assistance_categories")
    if assisted is not None and assisted > base and ctx.resident.category.value in listed:
        cite = ctx.cite_text(P + "outpatient.assistance_rate")
        reason = f"医疗救助对象门诊报销比例提高到{percent(assisted)}{cite}"
        return Term(assisted, (reason,), (name, P + "outpatient.assistance_rate"))
    return Term(base, params=(name,))


def _cited(ctx: Context, params: tuple[str, ...], fallback: str) -> str:
    """The seed clause behind a tilt when one applied, else the base parameter's source."""
    tilts = [n for n in params if ctx.parameter(n).reference is not None]
    return tilts[-1] if tilts else fallback


def _cap_left(ctx: Context, cap_name: str) -> Decimal | None:
    cap = ctx.decimal(cap_name)
    if cap is None:
        return None
    ledger = ctx.resident.ledger
    # The outpatient pool (门诊统筹) has its own yearly limit, drawn only by outpatient bills.
    used = (
        ledger.outpatient_basic
        if cap_name.endswith("outpatient.annual_cap")
        else ledger.fund(Fund.BASIC_INSURANCE)
    )
    return max(ZERO, cap - used)


def basic_insurance(ctx: Context) -> Layer | None:
    """Pays (in-policy cost − deductible) × rate, within the annual cap."""
    setting = ctx.episode.setting
    if setting is Setting.INPATIENT:
        deductible = inpatient_deductible(ctx)
        rate = inpatient_rate(ctx)
        cap_name = P + "annual_cap"
    elif setting is Setting.OUTPATIENT:
        deductible = Term(ctx.decimal(P + "outpatient.deductible") or ZERO)
        rate = outpatient_rate(ctx)
        cap_name = P + "outpatient.annual_cap"
    else:
        deductible = Term(ZERO)
        rate = Term(ctx.decimal(P + "chronic.rate") or ZERO, params=(P + "chronic.rate",))
        cap_name = P + "annual_cap"
    rate_param = rate.params[0] if rate.params else P + "inpatient.rate"
    if ctx.param(rate_param) is None:
        return None
    in_policy = ctx.episode.in_policy
    raw = max(ZERO, in_policy - deductible.value) * rate.value
    text = (
        f"基本医疗保险：(政策范围内费用{yuan(in_policy)}−起付线{yuan(deductible.value)})"
        f"×报销比例{percent(rate.value)}={yuan(raw)}元"
    )
    cap_left = _cap_left(ctx, cap_name)
    if cap_left is not None and raw > cap_left:
        raw = cap_left
        text += f"，受年度封顶线限制，本次支付{yuan(raw)}元"
    reasons = deductible.reasons + rate.reasons
    if reasons:
        text += "；" + "；".join(reasons)
    if ctx.is_assumption(*deductible.params, *rate.params, cap_name):
        text += "；起付线/比例为估算参数，以当地医保经办机构结算为准"
    return Layer(
        fund=Fund.BASIC_INSURANCE,
        name=FUND_NAMES[Fund.BASIC_INSURANCE],
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(_cited(ctx, deductible.params + rate.params, rate_param)),
        assumption=ctx.is_assumption(*deductible.params, *rate.params, cap_name),
    )

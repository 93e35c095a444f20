"""扶贫济困医疗基金 (荣昌) and 医疗扶贫救助基金 (固阳): the poverty funds, after the insurances.

荣昌 二（一）7: out-of-catalogue cost of one stay over 3000 元 → tiered help 「在不超过总费用的30%
以内」, 5万 per person per year at most. The 30% bounds the cost helped, not the help: the
municipal rule (央广网 2016-11-15) counts out-of-catalogue self-pay up to 30% of the total cost.
固阳 五（三）5: inpatient reimbursement topped up to 95% of the actual cost (the resident pays
5%); chronic-disease medicines likewise, within each disease's annual cap (附件); hospital-caused
over-treatment is not covered (五（四）5).
"""

from decimal import Decimal

from settlement.context import Context
from settlement.identifiers import FUND_NAMES, Fund, Setting
from settlement.layers.critical import banded_payout
from settlement.model import Layer
from settlement.money import ZERO, percent, to_fen, yuan

P = "poverty_fund."


# The two regions name their poverty funds differently; residents know them by these names.
TOP_UP_NAME = "医疗扶贫救助基金"


def _layer(
    ctx: Context,
    raw: Decimal,
    text: str,
    cited: str,
    names: tuple[str, ...],
    name: str = FUND_NAMES[Fund.POVERTY_FUND],
) -> Layer:
    return Layer(
        fund=Fund.POVERTY_FUND,
        name=name,
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(cited),
        assumption=ctx.is_assumption(*names),
    )


def out_of_catalogue_help(ctx: Context) -> Layer | None:
    """荣昌: tiered help with the out-of-catalogue cost of one stay above the trigger; the cost
    counted is at most `max_share_of_total` of the stay's total."""
    trigger = ctx.decimal(P + "out_of_catalogue_trigger")
    bands = ctx.scale(P + "out_of_catalogue_rates")
    if trigger is None or bands is None or not ctx.eligible:
        return None
    if ctx.episode.setting is not Setting.INPATIENT:
        return None
    extra = ctx.episode.out_of_catalogue
    cite = ctx.cite_text(P + "out_of_catalogue_trigger")
    if extra <= trigger:
        text = f"扶贫济困医疗基金：目录外费用{yuan(extra)}元未超过{yuan(trigger)}元，不予救助{cite}"
        return _layer(ctx, ZERO, text, P + "out_of_catalogue_trigger", ())
    text = f"扶贫济困医疗基金：目录外费用{yuan(extra)}元超过{yuan(trigger)}元"
    base = extra
    share = ctx.decimal(P + "max_share_of_total")
    if share is not None and extra > ctx.episode.total * share:
        base = ctx.episode.total * share
        text += f"，按不超过总费用{percent(share)}的{yuan(base)}元计算"
    raw = banded_payout(base, ZERO, bands)
    text += f"，分段救助{yuan(raw)}元"
    cap = ctx.decimal(P + "annual_cap")
    if cap is not None:
        left = max(ZERO, cap - ctx.resident.ledger.fund(Fund.POVERTY_FUND))
        if raw > left:
            raw = left
            text += f"，受每人每年{yuan(cap)}元限额，本次{yuan(raw)}元"
    text += cite
    if ctx.is_assumption(P + "out_of_catalogue_rates"):
        text += "；分段比例文件未公布，为估算，以当地结算为准"
    names = (P + "out_of_catalogue_rates",)
    return _layer(ctx, raw, text, P + "out_of_catalogue_trigger", names)


def _chronic_cap_left(ctx: Context) -> tuple[Decimal | None, str]:
    table = ctx.policy.chronic_diseases
    disease = ctx.episode.disease
    if table is None or disease is None:
        return None, ""
    found = table.find(disease)
    if found is None:
        return None, ""
    # The ledger may name the disease by an alias (高血压); count every entry that is this disease.
    used = sum(
        (
            amount
            for name, amount in ctx.resident.ledger.chronic_paid.items()
            if (entry := table.find(name)) is not None and entry.name == found.name
        ),
        ZERO,
    )
    cap = Decimal(found.annual_cap)
    return max(ZERO, cap - used), f"{found.name}年度最高支付限额{yuan(cap)}元，已用{yuan(used)}元"


def top_up(ctx: Context) -> Layer | None:
    """固阳: the fund makes the reimbursement reach the target rate of the covered cost."""
    if not ctx.eligible:
        return None
    setting = ctx.episode.setting
    name = P + ("inpatient_target_rate" if setting is Setting.INPATIENT else "chronic_target_rate")
    if setting is Setting.OUTPATIENT or ctx.param(name) is None:
        return None
    target = ctx.decimal(name) or ZERO
    covered = ctx.episode.total - ctx.episode.over_treatment
    goal = covered * target
    text = f"{TOP_UP_NAME}：按实际费用{yuan(covered)}元的{percent(target)}兜底"
    if ctx.episode.over_treatment:
        text += f"（不合理诊疗费用{yuan(ctx.episode.over_treatment)}元不纳入兜底）"
    if setting is Setting.CHRONIC:
        left, cap_text = _chronic_cap_left(ctx)
        if left is not None and goal > left:
            goal = left
            text += f"，{cap_text}，本次最多{yuan(left)}元"
    raw = max(ZERO, goal - ctx.paid_so_far)
    text += f"，前面各项已报{yuan(ctx.paid_so_far)}元，基金补足{yuan(raw)}元{ctx.cite_text(name)}"
    return _layer(ctx, raw, text, name, (name,), TOP_UP_NAME)


def poverty_fund(ctx: Context) -> Layer | None:
    return out_of_catalogue_help(ctx) or top_up(ctx)

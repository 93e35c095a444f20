"""The poverty funds, after the insurances; each region names its own (rules `fund_names`).

Two kinds, each present where the region's rules give its parameters:
- help with the out-of-catalogue cost of one stay over `poverty_fund.out_of_catalogue_trigger`
  (yuan): banded `out_of_catalogue_rates` 「在不超过总费用的30%以内」 — the share
  (`max_share_of_total`) bounds the cost counted, not the help (the municipal rule counts
  out-of-catalogue self-pay up to that share of the total cost) — and `annual_cap` yuan per
  person per year;
- a top-up of the inpatient (`inpatient_target_rate`) or chronic-medicine
  (`chronic_target_rate`) reimbursement to a share of the actual cost, chronic medicines within
  each disease's annual cap of the region's table, over-treatment not covered.
"""

from decimal import Decimal

from settlement.context import Context
from settlement.identifiers import Fund, Setting
from settlement.layers.critical import banded_payout
from settlement.model import Layer
from settlement.money import ZERO, percent, to_fen, yuan

P = "poverty_fund."


def _layer(
    ctx: Context,
    raw: Decimal,
    text: str,
    cited: str,
    names: tuple[str, ...],
) -> Layer:
    return Layer(
        fund=Fund.POVERTY_FUND,
        name=ctx.policy.fund_name(Fund.POVERTY_FUND),
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(cited),
        assumption=ctx.is_assumption(*names),
    )


def out_of_catalogue_help(ctx: Context) -> Layer | None:
    """Tiered help with the out-of-catalogue cost of one stay above the trigger, the cost
    counted at most `max_share_of_total` of the stay's total; None where the region's rules
    have no trigger or bands, or the resident is not eligible."""
    trigger = ctx.decimal(P + "out_of_catalogue_trigger")
    bands = ctx.scale(P + "out_of_catalogue_rates")
    if trigger is None or bands is None or not ctx.eligible:
        return None
    if ctx.episode.setting is not Setting.INPATIENT:
        return None
    extra = ctx.episode.out_of_catalogue
    cite = ctx.cite_text(P + "out_of_catalogue_trigger")
    fund = ctx.policy.fund_name(Fund.POVERTY_FUND)
    if extra <= trigger:
        text = f"{fund}：目录外费用{yuan(extra)}元未超过{yuan(trigger)}元，不予救助{cite}"
        return _layer(ctx, ZERO, text, P + "out_of_catalogue_trigger", ())
    text = f"{fund}：目录外费用{yuan(extra)}元超过{yuan(trigger)}元"
    base = extra
    share = ctx.decimal(P + "max_share_of_total")
    if share is not None and extra > ctx.episode.total * share:
        base = ctx.episode.total * share
        text += f"，按不超过总费用{percent(share)}的{yuan(base)}元计算"
    raw = banded_payout(base, ZERO, bands)
    text += f"，分段救助{yuan(raw)}元"
    raw, capped = ctx.within_yearly_cap(Fund.POVERTY_FUND, P + "annual_cap", raw)
    text += capped
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
    """The fund makes the reimbursement reach the target rate of the covered cost; None where
    the region's rules have no target rate for the setting, or the resident is not eligible."""
    if not ctx.eligible:
        return None
    setting = ctx.episode.setting
    name = P + ("inpatient_target_rate" if setting is Setting.INPATIENT else "chronic_target_rate")
    if setting is Setting.OUTPATIENT or ctx.param(name) is None:
        return None
    target = ctx.decimal(name) or ZERO
    covered = ctx.episode.total - ctx.episode.over_treatment
    goal = covered * target
    fund = ctx.policy.fund_name(Fund.POVERTY_FUND)
    text = f"{fund}：按实际费用{yuan(covered)}元的{percent(target)}兜底"
    if ctx.episode.over_treatment:
        text += f"（不合理诊疗费用{yuan(ctx.episode.over_treatment)}元不纳入兜底）"
    if setting is Setting.CHRONIC:
        left, cap_text = _chronic_cap_left(ctx)
        if left is not None and goal > left:
            goal = left
            text += f"，{cap_text}，本次最多{yuan(left)}元"
    raw = max(ZERO, goal - ctx.paid_so_far)
    text += f"，前面各项已报{yuan(ctx.paid_so_far)}元，基金补足{yuan(raw)}元"
    # A yearly cap of the fund (poverty_fund.annual_cap) binds the top-up as well.
    raw, capped = ctx.within_yearly_cap(Fund.POVERTY_FUND, P + "annual_cap", raw)
    text += capped + ctx.cite_text(name)
    return _layer(ctx, raw, text, name, (name,))


def poverty_fund(ctx: Context) -> Layer | None:
    return out_of_catalogue_help(ctx) or top_up(ctx)

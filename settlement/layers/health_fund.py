"""健康扶贫基金 (health poverty fund): banded aid on the in-policy self-pay that basic insurance,
大病保险 and 医疗救助 left, per episode, for the listed categories, within a yearly cap.

The rule as published (source in the rules file): from 2018-01-01, 建卡贫困户, 单次就医医保目录内
费用 after 基本医保、大病保险、民政救助: 1000元至1万元 70%, 1万元至5万元 85%, 5万元以上 95%,
每人每年最高救助20万元: a threshold of 1000 and three bands. Out-of-catalogue cost is not its base
(the poverty fund's out-of-catalogue help is). When 医疗救助 is not computed for a region, the
base is what the insurances left, so the estimate overstates this fund and never the resident's
share (its rates are below 100%).
"""

from settlement.context import Context
from settlement.identifiers import Fund
from settlement.layers.assistance import in_policy_self_pay
from settlement.layers.critical import _describe, banded_payout
from settlement.model import Layer
from settlement.money import ZERO, to_fen, yuan

P = "health_poverty_fund."


def health_poverty_fund(ctx: Context) -> Layer | None:
    bands = ctx.scale(P + "rates")
    if bands is None or not ctx.eligible or ctx.category_key not in ctx.names(P + "categories"):
        return None
    name = ctx.policy.fund_name(Fund.HEALTH_POVERTY_FUND)
    base = max(ZERO, in_policy_self_pay(ctx) - ctx.paid_by(Fund.MEDICAL_ASSISTANCE))
    threshold = ctx.decimal(P + "threshold") or ZERO
    raw = banded_payout(base, threshold, bands)
    assisted = any(layer.fund is Fund.MEDICAL_ASSISTANCE for layer in ctx.layers)
    after = "基本医保、大病保险和医疗救助后" if assisted else "基本医保、大病保险后（未计医疗救助）"
    text = (
        f"{name}：{after}政策范围内自付{yuan(base)}元，"
        f"{_describe(bands, threshold)}，合计{yuan(raw)}元"
    )
    raw, capped = ctx.within_yearly_cap(Fund.HEALTH_POVERTY_FUND, P + "annual_cap", raw)
    text += capped
    text += ctx.cite_text(P + "rates")
    names = (P + "threshold", P + "rates", P + "categories", P + "annual_cap")
    return Layer(
        fund=Fund.HEALTH_POVERTY_FUND,
        name=name,
        paid=to_fen(raw),
        explanation=text,
        source=ctx.source(P + "rates"),
        assumption=ctx.is_assumption(*names),
    )

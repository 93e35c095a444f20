"""The one-stop settlement chain (一站式结算): every fund in order, then the personal share.

Order (ARCHITECTURE.md): basic insurance → critical illness → medical assistance →
health poverty fund → supplementary → emergency relief → poverty fund → charity. The health
poverty fund comes right after medical assistance because its base is what basic insurance,
大病保险 and 医疗救助 left of the in-policy cost, and nothing else. A layer never pays more than
what the layers before it left, nor past a region's combined annual cap.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from settlement.context import Context
from settlement.errors import InputError
from settlement.identifiers import Category, Fund, Setting
from settlement.layers.assistance import medical_assistance
from settlement.layers.basic import basic_insurance
from settlement.layers.critical import critical_illness
from settlement.layers.health_fund import health_poverty_fund
from settlement.layers.poverty_fund import poverty_fund
from settlement.model import Episode, Layer, Resident, Settlement
from settlement.money import ZERO, to_fen, yuan
from settlement.policy import Policy
from settlement.schema import COMBINED_CAP_FUNDS

LayerRule = Callable[[Context], Layer | None]

# Supplementary insurance, emergency relief and charity have no amounts in the documents:
# they appear as notes (policies/rules/*.yaml, kind layer_not_computed), never as numbers.
LAYER_RULES: dict[Fund, LayerRule] = {
    Fund.BASIC_INSURANCE: basic_insurance,
    Fund.CRITICAL_ILLNESS: critical_illness,
    Fund.MEDICAL_ASSISTANCE: medical_assistance,
    Fund.HEALTH_POVERTY_FUND: health_poverty_fund,
    Fund.POVERTY_FUND: poverty_fund,
}
# The order is Fund's, written once (settlement/identifiers.py), not again here.
CHAIN: tuple[LayerRule, ...] = tuple(LAYER_RULES[fund] for fund in Fund if fund in LAYER_RULES)

ASSUMPTION_NOTE = "部分基础参数为估算，以当地医保经办机构结算为准。"


def is_eligible(policy: Policy, resident: Resident, day: date) -> bool:
    """Whether the region's poverty tilts apply: listed category, or exited within continuation.

    The continuation (脱贫后政策延续) is the rules' eligibility.exit_continuation_years, from the
    exit year eligibility.exit_continuation_from_year on.
    """
    categories = policy.get("eligibility.categories", day)
    listed = categories.value if categories is not None else []
    if isinstance(listed, list) and resident.category.value in listed:
        return True
    if resident.category is not Category.EXITED or resident.exit_year is None:
        return False
    years = policy.get("eligibility.exit_continuation_years", day)
    if years is None or not isinstance(years.value, int):
        return False
    earliest = policy.get("eligibility.exit_continuation_from_year", day)
    if (
        earliest is not None
        and isinstance(earliest.value, int)
        and resident.exit_year < earliest.value
    ):
        return False
    return day.year <= resident.exit_year + years.value


def validate(policy: Policy, resident: Resident, episode: Episode) -> None:
    """Refuse impossible input with one clear Chinese line (InputError)."""
    if episode.total <= 0:
        raise InputError("total", "总费用必须大于0")
    if episode.out_of_catalogue < 0 or episode.over_treatment < 0:
        raise InputError("out_of_catalogue", "金额不能为负数")
    if episode.out_of_catalogue > episode.total:
        raise InputError("out_of_catalogue", "目录外费用不能超过总费用")
    if episode.over_treatment > episode.total:
        raise InputError("over_treatment", "不合理诊疗费用不能超过总费用")
    if episode.stay < 1:
        raise InputError("stay", "住院次数从1开始")
    if resident.category is Category.EXITED and resident.exit_year is None:
        raise InputError("exit_year", "已脱贫人口需要提供脱贫年份")
    table = policy.chronic_diseases
    if episode.disease and table is not None and table.find(episode.disease) is None:
        raise InputError("disease", f"{policy.name}慢性病病种中没有“{episode.disease}”")
    if episode.setting is Setting.CHRONIC and table is not None and not episode.disease:
        raise InputError("disease", "慢性病门诊用药需要说明病种")
    if policy.get("basic_insurance.inpatient.rate", episode.day) is None:
        raise InputError("date", f"{episode.day.isoformat()}早于{policy.name}政策生效日期")


def _within_caps(ctx: Context, layer: Layer) -> Layer:
    """Limit a layer to what is left to pay and to the combined annual cap.

    The combined cap (rules combined_annual_cap) belongs to a poverty plan, so it binds only
    the residents the plan covers; an ordinary resident keeps each fund's own cap.
    """
    limit = ctx.residual
    cap = ctx.decimal("combined_annual_cap")
    text = layer.explanation
    if cap is not None and ctx.eligible and layer.fund in COMBINED_CAP_FUNDS:
        ledger = ctx.resident.ledger
        used = sum((ledger.fund(f) for f in COMBINED_CAP_FUNDS), ZERO) + sum(
            (done.paid for done in ctx.layers if done.fund in COMBINED_CAP_FUNDS), ZERO
        )
        if cap - used < layer.paid:
            limit = min(limit, max(ZERO, cap - used))
            text += f"；各项合计年度最高支付{yuan(cap)}元，本次限{yuan(limit)}元"
    if layer.paid <= limit:
        return layer
    return replace(layer, paid=to_fen(limit), explanation=text)


def _notes(ctx: Context) -> list[str]:
    notes = []
    for note in ctx.policy.notes:
        when = note.when
        if when.settings is not None and ctx.episode.setting not in when.settings:
            continue
        if when.eligible is not None and when.eligible != ctx.eligible:
            continue
        if when.in_county is not None and when.in_county != ctx.episode.in_county:
            continue
        if when.categories is not None and ctx.resident.category not in when.categories:
            continue
        if when.on_or_after is not None and ctx.episode.day < when.on_or_after:
            continue
        notes.append(ctx.policy.note_text(note))
    if ctx.episode.over_treatment and ctx.episode.over_treatment_by_hospital:
        notes.append("医疗机构原因导致的过度医疗费用应由医疗机构承担，不应由您支付。")
    if not ctx.eligible and ctx.resident.category is not Category.NONE:
        notes.append(f"按{ctx.policy.name}规定，您目前不享受贫困人口倾斜政策，按普通参保居民计算。")
    return notes


def settle(policy: Policy, resident: Resident, episode: Episode) -> Settlement:
    """Run the whole chain for one episode; layers plus personal share equal the total."""
    if resident.region != policy.region:
        raise InputError("region", "居民所在地区与政策地区不一致")
    validate(policy, resident, episode)
    ctx = Context(policy, resident, episode, is_eligible(policy, resident, episode.day))
    for rule in CHAIN:
        layer = rule(ctx)
        if layer is not None:
            ctx.add(_within_caps(ctx, layer))
    notes = _notes(ctx)
    result = Settlement(
        resident.region,
        episode.total,
        tuple(ctx.layers),
        tuple(notes),
        eligible=ctx.eligible,
        day=episode.day,
        rule_dates=policy.rule_dates(episode.day),
    )
    if result.uses_assumption:
        result = replace(result, notes=(*result.notes, ASSUMPTION_NOTE))
    return result

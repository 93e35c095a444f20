"""What a verified resident sees: region, category, chronic caps left this year, family doctor,
and what applies now. Masked identifiers only. Pure functions of a ResidentRecord.
"""

from datetime import date
from decimal import Decimal

from actions.answers import Topic, default_answers, default_chronic_table, default_documents
from actions.registry_port import ResidentRecord
from settlement.identifiers import CATEGORY_NAMES, REGION_NAMES, Category, Disability, Region
from settlement.money import yuan
from settlement.policy import default_policies
from settlement.rules import DatedValues

# 南通 三（三）: 「脱贫后相关政策延续二年（包括2016年脱贫的对象）」.


def benefits_text(record: ResidentRecord, today: date) -> str:
    """Everything on file that applies to the person: category, each chronic disease with its
    cap and what is left this year, disability rules, the continuation after exit and until
    when, the family doctor, and the main rule of their category (each with its clause)."""
    lines = [
        f"已核实：{record.masked_id}",
        f"地区：{REGION_NAMES[record.region]}",
        f"人员类别：{category_label(record)}",
        *chronic_lines(record),
        *disability_lines(record),
        f"家庭医生：{record.family_doctor or '未登记签约'}",
        f"现行政策：{applies_now(record, today)}",
    ]
    return "\n".join(lines)


def disability_lines(record: ResidentRecord) -> list[str]:
    """固阳 五（三）2 and 五（四）2: no deductible at county and township level for disabled
    children and the severely disabled; free rehabilitation for the registered disabled."""
    if record.disability is Disability.NONE:
        return []
    if record.region is not Region.GUYANG:
        return ["残疾人康复：符合条件的医疗康复项目纳入医保支付，详情请回复“人工”"]
    who = "残疾儿童" if record.disability is Disability.CHILD else "重度残疾人"
    return [
        f"{who}：在县级、乡镇级定点医院住院不设起付线，直接按比例报销（五（三）2）",
        "残疾人康复：县残联建档，有需求的免费提供精准康复服务（五（四）2）",
    ]


def category_label(record: ResidentRecord) -> str:
    label = CATEGORY_NAMES[record.category]
    if record.category is Category.EXITED and record.exit_year:
        label += f"（{record.exit_year}年脱贫）"
    return label


def chronic_lines(record: ResidentRecord) -> list[str]:
    """Guyang: each recognised disease with its cap (附件) and what is left; elsewhere names."""
    if not record.diseases:
        return ["认定慢性病：无"]
    if record.region is not Region.GUYANG:
        return [f"认定慢性病：{'、'.join(record.diseases)}（当地文件没有列年度限额）"]
    table = default_chronic_table()
    lines = []
    for disease in record.diseases:
        row = table.find(disease)
        if row is None:
            lines.append(f"{disease}：不在45种特殊慢性病名单内")
            continue
        # The ledger may name the disease by an alias (高血压): count every spelling of it.
        paid = sum(
            (amount for name, amount in record.chronic_paid.items() if table.find(name) == row),
            Decimal("0.00"),
        )
        left = max(row.annual_cap - paid, Decimal("0.00"))
        lines.append(
            f"{row.name}：年度限额{yuan(row.annual_cap)}元，今年已报{yuan(paid)}元，"
            f"还剩{yuan(left)}元"
        )
    return lines


def applies_now(record: ResidentRecord, today: date) -> str:
    """The rule of the person's category and region that matters most today, with its clause;
    for a resident who left poverty, whether the continuation still runs and until when."""
    region, category = record.region, record.category
    if category is Category.EXITED:
        return after_exit(record, today)
    if region is Region.YANCHENG:
        return yancheng_transition(record, today)
    if category is not Category.POOR:
        return "按当地普通参保居民政策；如身份有变化请回复“人工”"
    if region is Region.GUYANG:
        return "住院个人只付实际花销的5%，慢病用药个人负担5%（五（三）5）"
    if region is Region.RONGCHANG:
        return "区内区级医院住院起付线降低50%、报销比例提高10%（二（一）1、2）"
    return "医保个人缴费财政全额补助，医疗救助不低于自付费用的70%（二（一）、二（二））"


def after_exit(record: ResidentRecord, today: date) -> str:
    if record.exit_year:
        told = continuation(record.region, record.exit_year, today)
        if told is not None:
            return told + "，按普通参保居民政策" if "结束" in told else told
    if record.region is Region.YANCHENG:
        return yancheng_transition(record, today)
    return "当地文件没有写脱贫以后还能享受多久，请回复“人工”，由医保经办机构答复"


def continuation(region: Region, exit_year: int, today: date) -> str | None:
    """Whether the benefits continued after leaving poverty in `exit_year` still run today.

    From the region's rules (`eligibility.exit_continuation_years`, and the first exit year
    the continuation covers, `eligibility.exit_continuation_from_year`); None when the region's
    documents give no continuation (only 南通's does: 三（三）, 延续二年 including 2016 exits).
    """
    policy = default_policies()[region]
    years = _whole_years(policy.dated.get("eligibility.exit_continuation_years"), today)
    if years is None:
        return None
    reference = policy.parameters["eligibility.exit_continuation_years"].reference
    clause = f"（{reference.clause}）" if reference is not None else ""
    first = _whole_years(policy.dated.get("eligibility.exit_continuation_from_year"), today)
    if first is not None and exit_year < first:
        return f"早于{first}年脱贫的不在脱贫后延续政策的范围内{clause}"
    last = exit_year + years
    if today.year <= last:
        return f"{exit_year}年脱贫的，政策延续{years}年，可享受到{last}年底{clause}"
    return f"{exit_year}年脱贫的，{years}年延续期已于{last}年底结束{clause}"


def _whole_years(values: DatedValues | None, today: date) -> int | None:
    """A dated count of years (or a year) in force today, or None when there is none."""
    if values is None:
        return None
    value = values.at(today)
    return int(value) if isinstance(value, int | Decimal) else None


def yancheng_transition(record: ResidentRecord, today: date) -> str:
    """盐城 一（一）: policies stay stable during the 5-year transition; when the rules say the
    category is no longer covered (policies/rules/yancheng.yaml), the rules' own note says so."""
    policy = default_policies()[record.region]
    covered = policy.dated["eligibility.categories"].at(today)
    if isinstance(covered, list | tuple) and record.category.value in covered:
        return "5年过渡期内健康帮扶政策保持总体稳定（一（一））"
    over = next((n.text for n in policy.notes if n.id == "transition_over"), None)
    # What the document gave (its overview answer), then that its transition is over: the
    # resident learns both what to ask about and that it must be checked today.
    gave = default_answers().answer(Topic.OVERVIEW, record.region)
    year = default_documents()[gave.reference.document].year if gave.reference else None
    basis = f"按{year}年文件，" if year else ""
    return f"{basis}{gave.text.rstrip('。')}。{over or '过渡期以后的政策请回复“人工”咨询'}"

"""What a verified resident sees: region, category, chronic caps left this year, family doctor,
and what applies now. Masked identifiers only. Pure functions of a ResidentRecord.
"""

from datetime import date
from decimal import Decimal

from actions.answers import default_chronic_table
from actions.registry_port import ResidentRecord
from settlement.identifiers import CATEGORY_NAMES, REGION_NAMES, Category, Disability, Region
from settlement.money import yuan
from settlement.policy import default_policies

# 南通 三（三）: 「脱贫后相关政策延续二年（包括2016年脱贫的对象）」.
NANTONG_CONTINUATION_YEARS = 2


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
    if record.region is Region.NANTONG and record.exit_year:
        last = record.exit_year + NANTONG_CONTINUATION_YEARS
        if today.year <= last:
            return f"脱贫后政策延续二年，可享受到{last}年底（三（三））"
        return f"脱贫后二年的延续期已于{last}年底结束（三（三）），按普通参保居民政策"
    if record.region is Region.YANCHENG:
        return yancheng_transition(record, today)
    return "当地文件没有写脱贫以后还能享受多久，请回复“人工”，由医保经办机构答复"


def yancheng_transition(record: ResidentRecord, today: date) -> str:
    """盐城 一（一）: policies stay stable during the 5-year transition; when the rules say the
    category is no longer covered (policies/rules/yancheng.yaml), the rules' own note says so."""
    policy = default_policies()[record.region]
    covered = policy.dated["eligibility.categories"].at(today)
    if isinstance(covered, list | tuple) and record.category.value in covered:
        return "5年过渡期内健康帮扶政策保持总体稳定（一（一））"
    over = next((n.text for n in policy.notes if n.id == "transition_over"), None)
    return over or "过渡期以后的政策请回复“人工”咨询"

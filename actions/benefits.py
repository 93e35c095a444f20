"""What a verified resident sees: region, category, chronic caps left this year, family doctor,
and what applies now. Masked identifiers only. Pure functions of a ResidentRecord.
"""

from datetime import date
from decimal import Decimal

from actions.answers import (
    Topic,
    chronic_table,
    default_answers,
    default_documents,
    highlight_text,
    stale_note,
)
from actions.registry_port import ResidentRecord
from settlement.identifiers import CATEGORY_NAMES, Category, Disability, region_name
from settlement.money import yuan
from settlement.policy import default_policies
from settlement.rules import DatedValues

ORDINARY = "按当地普通参保居民政策；如身份有变化请回复“人工”"
EXIT_UNKNOWN = "当地文件没有写脱贫以后还能享受多久，请回复“人工”，由医保经办机构答复"
NATIONAL_REHABILITATION = "残疾人康复：符合条件的医疗康复项目纳入医保支付，详情请回复“人工”"


def benefits_text(record: ResidentRecord, today: date) -> str:
    """Everything on file that applies to the person: category, each chronic disease with its
    cap and what is left this year, disability rules, the continuation after exit and until
    when, the family doctor, and the main rule of their category (each with its clause)."""
    lines = [
        f"已核实：{record.masked_id}",
        f"地区：{region_name(record.region)}",
        f"人员类别：{category_label(record)}",
        *chronic_lines(record),
        *disability_lines(record),
        f"家庭医生：{record.family_doctor or '未登记签约'}",
        f"现行政策：{applies_now(record, today)}",
        basis_line(record.region, today),
    ]
    return "\n".join(lines)


def basis_line(region: str, today: date) -> str:
    """「依据：2017年《…》。这是2017年的文件，现行规定以当地医保经办机构为准。」: the region's
    newest own document (the date basis of the lines above) and, when old, where to check."""
    own = [d for d in default_documents().values() if d.region == region]
    if not own:
        return "依据：当地文件未收录，以当地医保经办机构为准。"
    newest = max(own, key=lambda d: d.year)
    return f"依据：{newest.year}年《{newest.title}》。{stale_note(newest, today) or ''}".rstrip()


def disability_lines(record: ResidentRecord) -> list[str]:
    """The region's own rules for disabled residents (policies/answers/<region>.yaml,
    `disability`: by kind, and rehabilitation), else the national line."""
    if record.disability is Disability.NONE:
        return []
    rules = default_answers().disability[record.region]
    own = getattr(rules, record.disability.value, None)
    if own is None and rules.rehabilitation is None:
        return [NATIONAL_REHABILITATION]
    lines = [highlight_text(own)] if own is not None else []
    if rules.rehabilitation is not None:
        lines.append(highlight_text(rules.rehabilitation))
    return lines


def category_label(record: ResidentRecord) -> str:
    label = CATEGORY_NAMES[record.category]
    if record.category is Category.EXITED and record.exit_year:
        label += f"（{record.exit_year}年脱贫）"
    return label


def chronic_lines(record: ResidentRecord) -> list[str]:
    """Each recognised disease with its cap and what is left this year, where the region's
    rules name a table of chronic diseases (tables.chronic_diseases); elsewhere the names."""
    if not record.diseases:
        return ["认定慢性病：无"]
    table = chronic_table(record.region)
    if table is None:
        return [f"认定慢性病：{'、'.join(record.diseases)}（当地文件没有列年度限额）"]
    lines = []
    for disease in record.diseases:
        row = table.find(disease)
        if row is None:
            lines.append(f"{disease}：不在{len(table.diseases)}种特殊慢性病名单内")
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
    """The rule of the person's category and region that matters most today, with its clause
    (policies/answers/<region>.yaml `highlights`); when the region's transition is over for the
    category (the rules' note `transition_over`), what the document gave and that it is over;
    for a resident who left poverty, whether the continuation still runs and until when."""
    if record.category is Category.EXITED:
        return after_exit(record, today)
    return _own_rule(record, today) or ORDINARY


def after_exit(record: ResidentRecord, today: date) -> str:
    if record.exit_year:
        told = continuation(record.region, record.exit_year, today)
        if told is not None:
            return told + "，按普通参保居民政策" if "结束" in told else told
    return _own_rule(record, today) or EXIT_UNKNOWN


def _own_rule(record: ResidentRecord, today: date) -> str | None:
    over = _transition_over(record, today)
    if over is not None:
        return over
    highlight = default_answers().highlights[record.region].get(record.category.value)
    return highlight_text(highlight) if highlight is not None else None


def continuation(region: str, exit_year: int, today: date) -> str | None:
    """Whether the benefits continued after leaving poverty in `exit_year` still run today.

    From the region's rules (`eligibility.exit_continuation_years`, and the first exit year
    the continuation covers, `eligibility.exit_continuation_from_year`); None when the region's
    documents give no continuation.
    """
    policy = default_policies()[region]
    years = _whole_years(policy.values_of("eligibility.exit_continuation_years"), today)
    if years is None:
        return None
    reference = policy.parameters["eligibility.exit_continuation_years"].reference
    clause = f"（{reference.clause}）" if reference is not None else ""
    first = _whole_years(policy.values_of("eligibility.exit_continuation_from_year"), today)
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


def _transition_over(record: ResidentRecord, today: date) -> str | None:
    """When the rules' note `transition_over` applies to the category today: what the region's
    document gave (its overview answer, with the document's year), then the note."""
    policy = default_policies()[record.region]
    over = next((n for n in policy.notes if n.id == "transition_over"), None)
    if over is None or over.when.on_or_after is None or today < over.when.on_or_after:
        return None
    if over.when.categories and record.category not in over.when.categories:
        return None
    # What the document gave (its overview answer), then that its transition is over: the
    # resident learns both what to ask about and that it must be checked today.
    gave = default_answers().answer(Topic.OVERVIEW, record.region)
    year = default_documents()[gave.reference.document].year if gave.reference else None
    basis = f"按{year}年文件，" if year else ""
    return f"{basis}{gave.text.rstrip('。')}。{over.text}"

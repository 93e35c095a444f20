"""The estimate form's rules and the estimate reply, as pure functions (no rasa_sdk).

What must be asked (docs/conversation.md): region, setting and total always; the hospital level
and (chronic medicines, where the region's rules name a table of chronic diseases with caps)
the disease only when the answer differs between their possible values: the settlement core is
run for every value, and a slot whose values all give the same personal share is not asked
(where a poverty fund tops every stay up to one rate, the level does not matter). The
out-of-catalogue part is never asked; the estimate says what it assumed when it would matter.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from actions.answers import (
    STALE_AFTER_YEARS,
    chronic_table,
    default_documents,
    transition_end,
)
from settlement.documents import ChronicDiseaseTable
from settlement.errors import InputError
from settlement.estimate import estimate, explanation_lines, parse_request, rule_years, summary
from settlement.identifiers import CATEGORY_NAMES, Category, Level, Region, Setting, region_name
from settlement.model import Settlement
from understanding.numerals import CENT, parse_amount, read_amount

BASE_SLOTS = ("region", "setting", "total")
LEVELS = tuple(level.value for level in Level)
INPATIENT_LEVELS = tuple(level for level in LEVELS if level != Level.VILLAGE)
# The level used when every level gives the same personal share (the result says so).
ANY_LEVEL = Level.COUNTY.value
SETTLE_AT_OFFICE = "以当地医保经办机构结算为准"
DETAIL_HINT = "回复“详细”看计算过程。"
ABSURD_AMOUNT = (
    "这个金额看起来不对（不能是负数、0或超过1亿元），请再说一下一共花了多少钱，比如：2万3、8000元。"
)
OUT_OF_CATALOGUE_ABOVE_TOTAL = (
    "这两个数看起来不对：目录外（自费）的钱不能比总费用还多。"
    "请再说一下目录外大概多少钱，没有就回0。"
)
EXIT_YEAR_UNKNOWN = "（按脱贫前的政策估算；脱贫后能享受多久看当地规定和脱贫年份）"
SAME_AT_EVERY_LEVEL = "（各级医院自付相同）"
ALL_IN_CATALOGUE = "（按全部是医保目录内费用估算；有自费药、自费项目的，告诉我大概多少钱再算）"
NO_AMOUNT = "没听清金额，请再说一下一共花了多少钱，比如：2万3、8000元。"
# 「没有」「不知道」 for out-of-catalogue costs: counted as 0, and the reply says so.
NONE_WORDS = ("没有", "没", "无", "不知道", "不清楚", "不晓得", "零")


def required_slots(
    slots: dict[str, Any], verified: bool, registered: dict[str, Any] | None = None
) -> list[str]:
    """Slots to fill, in the order they are asked; a verified resident's region is on file.

    The level and the disease are asked only when `matters` says the answer depends on them.
    The out-of-catalogue part is never asked: few residents know it, so the estimate counts
    everything as in the catalogue and says so (ALL_IN_CATALOGUE) when it would change the
    result; a part the resident names (「目录外的有五千」) is read and checked.
    """
    region = slots.get("region") or (registered or {}).get("region")
    needed = [s for s in BASE_SLOTS if not (verified and s == "region")]
    # The disease first: until it is known the level's effect cannot be computed.
    if _disease_counts(region, slots.get("setting")) and (
        slots.get("disease") or matters("disease", slots, registered)
    ):
        needed.append("disease")
    if slots.get("level") or matters("level", slots, registered):
        needed.append("level")
    return needed


def with_defaults(slots: dict[str, Any]) -> dict[str, Any]:
    """Slots with the values left unasked because they do not change the result: any level,
    and for chronic medicines any disease of the region's table (matters() checked they agree)."""
    filled = {**slots, "level": slots.get("level") or ANY_LEVEL}
    region, setting = filled.get("region"), filled.get("setting")
    table = _disease_table(region, setting)
    if table is not None and not filled.get("disease"):
        filled["disease"] = table.diseases[0].name
    return filled


def _disease_table(region: object, setting: object) -> ChronicDiseaseTable | None:
    """The region's chronic disease table when the disease changes a chronic-medicine estimate."""
    if setting != Setting.CHRONIC or not region:
        return None
    try:
        return chronic_table(Region(region))
    except ValueError:
        return None


def _disease_counts(region: object, setting: object) -> bool:
    return _disease_table(region, setting) is not None


def _candidates(slot: str, region: object, setting: object) -> tuple[str, ...]:
    if slot == "level":
        # A 村卫生室 has no beds: a stay in hospital is at a township clinic or above.
        return INPATIENT_LEVELS if setting == Setting.INPATIENT else LEVELS
    table = _disease_table(region, setting)
    return tuple(row.name for row in table.diseases) if table is not None else ()


def matters(slot: str, slots: dict[str, Any], registered: dict[str, Any] | None) -> bool:
    """Whether the personal share differs between the values `slot` can take.

    True while region, setting or total is unknown (nothing to compare yet) and when a value
    is refused by the settlement core (then asking is the safe side).
    """
    if not all(slots.get(name) for name in BASE_SLOTS if name != "region") or not (
        slots.get("region") or (registered or {}).get("region")
    ):
        return True
    shares = set()
    region = slots.get("region") or (registered or {}).get("region")
    for value in _candidates(slot, region, slots.get("setting")):
        trial = with_defaults({**slots, slot: value})
        try:
            request = parse_request(_request_data(trial, registered)[0])
            shares.add(estimate(request).personal_pay)
        except InputError:
            return True
        if len(shares) > 1:
            return True
    return False


def decimal_text(amount: Decimal) -> str:
    """The slot form of an amount: a decimal string with two places ("23000.00")."""
    return str(amount.quantize(CENT))


@dataclass(frozen=True)
class AmountCheck:
    value: str | None  # the decimal string for the slot, None to ask again
    message: str | None  # what to tell the resident when asking again


def check_total(text: object) -> AmountCheck:
    """A resident's amount, or a polite re-ask that says whether it was absurd or missing."""
    raw = str(text) if text is not None else ""
    amount = parse_amount(raw)
    if amount is not None:
        return AmountCheck(decimal_text(amount), None)
    if read_amount(raw) is not None:
        return AmountCheck(None, ABSURD_AMOUNT)
    return AmountCheck(None, NO_AMOUNT)


def check_out_of_catalogue(text: object, intent: str | None, total: object = None) -> AmountCheck:
    """The out-of-catalogue part: 0 for 「没有」/deny, refused when above the total."""
    raw = str(text) if text is not None else ""
    if intent == "deny" or (read_amount(raw) is None and any(w in raw for w in NONE_WORDS)):
        return AmountCheck("0.00", None)
    amount = read_amount(raw)
    if amount is not None and amount == 0:
        return AmountCheck("0.00", None)
    check = check_total(raw)
    bill = parse_amount(str(total)) if total else None
    if check.value is not None and bill is not None and Decimal(check.value) > bill:
        return AmountCheck(None, OUT_OF_CATALOGUE_ABOVE_TOTAL)
    return check


@dataclass(frozen=True)
class EstimateReply:
    text: str
    detail: list[str]


def _request_data(
    slots: dict[str, Any], registered: dict[str, Any] | None, said: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bool]:
    """The settlement request of the form's slots, and whether the category was assumed.
    `said`: facts of the person and the stay from the conversation (understanding.reader.
    episode_facts: disability, stay); the registry's disability wins over what was said."""
    data: dict[str, Any] = {
        "region": slots.get("region"),
        "setting": slots.get("setting"),
        "level": slots.get("level"),
        "total": slots.get("total"),
        **(said or {}),
    }
    if slots.get("out_of_catalogue"):
        data["out_of_catalogue"] = slots["out_of_catalogue"]
    # The disease matters only for chronic-disease medicines (a table's annual caps); a disease
    # named in an inpatient story (「脑梗住院」) is not a settlement input.
    if slots.get("disease") and slots.get("setting") == Setting.CHRONIC:
        data["disease"] = slots["disease"]
    if registered:
        data.update({k: v for k, v in registered.items() if v is not None or k not in data})
        return data, False
    if slots.get("category") == Category.EXITED:
        if data.get("exit_year"):
            # 「去年才脱的贫」: the region's continuation after leaving poverty decides.
            data["category"] = Category.EXITED.value
            return data, False
        # The year of exit decides the continuation and no message gave it: the estimate is
        # for the poor's rules, and the reply says so (EXIT_YEAR_UNKNOWN).
        data["category"] = Category.POOR.value
        return data, False
    if slots.get("category") in {c.value for c in Category}:
        data["category"] = slots["category"]
        return data, False
    return data, True  # the assistant is for 建档立卡 households: say so


def estimate_reply(
    slots: dict[str, Any],
    registered: dict[str, Any] | None,
    today: date | None = None,
    said: dict[str, Any] | None = None,
) -> EstimateReply:
    """Call settlement with the form's slots (and a verified resident's registry facts).

    A level left unasked (every level gives the same share) is computed at ANY_LEVEL and the
    reply says the level does not matter instead of naming one. The reply names the year of
    the region's document and, for an old one, where to check the rule in force today.
    """
    unasked_level = not slots.get("level")
    slots = with_defaults(dict(slots))
    data, assumed_category = _request_data(slots, registered, said)
    try:
        request = parse_request(data)
        result = estimate(request, today)
    except InputError as exc:
        return EstimateReply(f"暂时算不了：{exc.message}。可以回复“人工”咨询。", [])
    head = summary(result, request.setting)
    if unasked_level:
        head = head.split("其中", 1)[0].rstrip("。") + f"{SAME_AT_EVERY_LEVEL}。"
    parts = [head]
    if not slots.get("out_of_catalogue") and _outside_would_change(
        data, result.personal_pay, today
    ):
        parts.append(ALL_IN_CATALOGUE)
    ended = transition_end(request.region, today)
    if not result.eligible and ended is not None:
        parts.append(
            f"（{region_name(request.region)}文件定的过渡期已于{ended}年底结束，按普通参保居民估算）"
        )
    elif not result.eligible and (assumed_category or data.get("category") != Category.NONE):
        parts.append(
            f"（按{region_name(request.region)}现行规定不享受倾斜政策，按普通参保居民估算）"
        )
    elif assumed_category:
        parts.append(f"（按{CATEGORY_NAMES[Category.POOR]}估算）")
    elif slots.get("category") == Category.EXITED and not registered and not data.get("exit_year"):
        parts.append(EXIT_YEAR_UNKNOWN)
    parts.append(date_basis(result, today))
    if result.uses_assumption or assumed_category:
        parts.append(f"{SETTLE_AT_OFFICE}。")
    parts.append(DETAIL_HINT)
    return EstimateReply("".join(parts), explanation_lines(result))


def _outside_would_change(data: dict[str, Any], personal_pay: Decimal, today: date | None) -> bool:
    """Whether an out-of-catalogue part (a fifth of the bill, for the trial) changes the share."""
    total = Decimal(str(data["total"]))
    trial = {**data, "out_of_catalogue": decimal_text(total / 5)}
    try:
        return estimate(parse_request(trial), today).personal_pay != personal_pay
    except InputError:
        return False


def date_basis(result: Settlement, today: date | None = None) -> str:
    """「按<region>2017年、2021年起施行的规定估算，现行标准可能已调整。」: the years in which the
    region's rules in force on the episode's day came into force, and, when the newest of them
    is STALE_AFTER_YEARS old or more, that they may have changed since."""
    newest = max((day.year for day in result.rule_dates), default=None)
    if newest is None:  # no rule read (cannot happen for a computed estimate): the document
        newest = region_document_year(result.region)
        listed = f"{newest}年"
    else:
        listed = rule_years(result)
    text = f"按{region_name(result.region)}{listed}起施行的规定估算"
    if (today or date.today()).year - newest >= STALE_AFTER_YEARS:
        text += "，现行标准可能已调整"
    return text + "。"


def region_document_year(region: str) -> int:
    years = [d.year for d in default_documents().values() if d.region == region]
    return max(years)

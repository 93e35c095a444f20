"""The estimate form's rules and the estimate reply, as pure functions (no rasa_sdk).

What must be asked (docs/conversation.md): region, setting, level, total; out-of-catalogue only
where it changes the result (荣昌 inpatient: 扶贫济困医疗基金 pays on 目录外 costs, 二（一）7),
and the disease only for 固阳 chronic medicines (caps per disease, 附件).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from actions.numerals import CENT, parse_amount, read_amount
from settlement.errors import InputError
from settlement.estimate import estimate, explanation_lines, parse_request, summary
from settlement.identifiers import CATEGORY_NAMES, Category, Region, Setting

BASE_SLOTS = ("region", "setting", "level", "total")
SETTLE_AT_OFFICE = "以当地医保经办机构结算为准"
DETAIL_HINT = "回复“详细”看计算过程。"
ABSURD_AMOUNT = "这个金额好像不太对，请再说一下一共花了多少钱，比如：2万3、8000元。"
NO_AMOUNT = "没听清金额，请再说一下一共花了多少钱，比如：2万3、8000元。"
# 「没有」「不知道」 for out-of-catalogue costs: counted as 0, and the reply says so.
_NONE_WORDS = ("没有", "没", "无", "不知道", "不清楚", "不晓得", "零")


def required_slots(region: str | None, setting: str | None, verified: bool) -> list[str]:
    """Slots to fill, in the order they are asked; a verified resident's region is on file."""
    slots = [s for s in BASE_SLOTS if not (verified and s == "region")]
    if region == Region.RONGCHANG and setting == Setting.INPATIENT:
        slots.append("out_of_catalogue")
    if region == Region.GUYANG and setting == Setting.CHRONIC:
        slots.append("disease")
    return slots


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


def check_out_of_catalogue(text: object, intent: str | None) -> AmountCheck:
    raw = str(text) if text is not None else ""
    if intent == "deny" or (read_amount(raw) is None and any(w in raw for w in _NONE_WORDS)):
        return AmountCheck("0.00", None)
    amount = read_amount(raw)
    if amount is not None and amount == 0:
        return AmountCheck("0.00", None)
    return check_total(raw)


@dataclass(frozen=True)
class EstimateReply:
    text: str
    detail: list[str]


def estimate_reply(slots: dict[str, Any], registered: dict[str, Any] | None) -> EstimateReply:
    """Call settlement with the form's slots (and a verified resident's registry facts)."""
    data: dict[str, Any] = {
        "region": slots.get("region"),
        "setting": slots.get("setting"),
        "level": slots.get("level"),
        "total": slots.get("total"),
    }
    if slots.get("out_of_catalogue"):
        data["out_of_catalogue"] = slots["out_of_catalogue"]
    if slots.get("disease"):
        data["disease"] = slots["disease"]
    assumed_category = False
    if registered:
        data.update(registered)
    elif slots.get("category") in {c.value for c in Category}:
        data["category"] = slots["category"]
    else:
        assumed_category = True  # the assistant is for 建档立卡 households: say so
    try:
        request = parse_request(data)
        result = estimate(request)
    except InputError as exc:
        return EstimateReply(f"暂时算不了：{exc.message}。可以回复“人工”咨询。", [])
    parts = [summary(result, request.setting)]
    if assumed_category:
        parts.append(f"（按{CATEGORY_NAMES[Category.POOR]}估算）")
    if result.uses_assumption or assumed_category:
        parts.append(f"{SETTLE_AT_OFFICE}。")
    parts.append(DETAIL_HINT)
    return EstimateReply("".join(parts), explanation_lines(result))

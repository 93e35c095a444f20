"""Parameter values as a policy officer reads them, and as plain JSON.

`value_text` turns a typed value (settlement.values) into one Chinese line: 0.9 → "90%",
160000 → "160000元", null cap → "不设封顶", a breakdown by level → "村卫生室：100元；…".
`plain` turns it into JSON-safe data: Decimals become strings so nothing is lost to floats.
"""

from decimal import Decimal
from typing import Any

from settlement.identifiers import CATEGORY_NAMES, LEVEL_NAMES, Category, Level
from settlement.money import percent, plain_number, whole_yuan
from settlement.rules import Bracket, ScalarValue, Value
from settlement.schema import By, Unit

UNIT_NAMES: dict[Unit, str] = {
    Unit.CNY: "元",
    Unit.RATE: "比例",
    Unit.POINTS: "百分点",
    Unit.SHARE: "比例",
    Unit.BOOL: "是/否",
    Unit.YEARS: "年",
    Unit.CATEGORIES: "人员类别",
    Unit.LEVELS: "医院级别",
    Unit.SCALE: "分段比例",
}


_number = plain_number
_yuan = whole_yuan


def scale_rows(brackets: list[Bracket]) -> list[tuple[str, str]]:
    """Banded rates as (band, rate) rows: [{upto: 100000, rate: 0.6}, {upto: null, rate: 0.7}]
    → [("100000元及以下的部分", "60%"), ("100000元以上的部分", "70%")]."""
    rows: list[tuple[str, str]] = []
    lower: Decimal | None = None
    for bracket in brackets:
        if bracket.upto is None:
            band = f"{_yuan(lower or Decimal(0))}以上的部分"
        elif lower is None:
            band = f"{_yuan(bracket.upto)}及以下的部分"
        else:
            band = f"{_number(lower)}–{_yuan(bracket.upto)}的部分"
        rows.append((band, percent(bracket.rate)))
        lower = bracket.upto
    return rows


def _scale(brackets: list[Bracket]) -> str:
    """One bracket alone is just its rate; bands are joined with "；"."""
    if len(brackets) == 1:
        return percent(brackets[0].rate)
    return "；".join(f"{band}{rate}" for band, rate in scale_rows(brackets))


def _names(keys: list[str], names: dict[Any, str]) -> str:
    return "、".join(names.get(key, key) for key in keys) or "无"


def scalar_text(value: ScalarValue, unit: Unit) -> str:
    """One value of `unit` in words; see the module docstring for examples."""
    match unit:
        case Unit.CNY:
            return "不设封顶" if value is None else _yuan(Decimal(str(value)))
        case Unit.RATE | Unit.SHARE:
            return percent(Decimal(str(value)))
        case Unit.POINTS:
            return f"{_number(Decimal(str(value)) * 100)}个百分点"
        case Unit.BOOL:
            return "是" if value else "否"
        case Unit.YEARS:
            return f"{value}年"
        case Unit.CATEGORIES:
            return _names(list(value or []), CATEGORY_NAMES)  # type: ignore[arg-type]
        case Unit.LEVELS:
            return _names(list(value or []), LEVEL_NAMES)  # type: ignore[arg-type]
        case Unit.SCALE:
            return _scale(list(value or []))  # type: ignore[arg-type]
    return str(value)  # pragma: no cover - the enum is exhaustive


def breakdown(value: Value, unit: Unit, by: By) -> list[tuple[str, str]]:
    """A value broken down by level or category as (Chinese label, value in words) rows, in
    the order of the identifiers (村卫生室 before 乡镇卫生院 …), not the file's."""
    names: dict[Any, str] = LEVEL_NAMES if by is By.LEVEL else CATEGORY_NAMES
    order = [m.value for m in (Level if by is By.LEVEL else Category)]
    if not isinstance(value, dict):
        raise TypeError(f"a value broken down by {by.value} is a mapping, got {value!r}")
    keys = sorted(value, key=lambda k: order.index(k) if k in order else len(order))
    return [(names.get(key, key), scalar_text(value[key], unit)) for key in keys]


def table_rows(value: Value, unit: Unit, by: By | None) -> list[tuple[str, str]]:
    """A value that reads best as a table, as (label, value in words) rows: a breakdown by
    level or category, or banded rates; [] for a single value."""
    if by is not None:
        return breakdown(value, unit, by)
    if unit is Unit.SCALE and isinstance(value, list) and len(value) > 1:
        return scale_rows(value)  # type: ignore[arg-type]
    return []


def value_text(value: Value, unit: Unit, by: By | None) -> str:
    """The whole value on one line: a breakdown is joined with "；"."""
    if by is None:
        return scalar_text(value, unit)  # type: ignore[arg-type]
    return "；".join(f"{label}：{text}" for label, text in breakdown(value, unit, by))


def plain(value: Any) -> Any:
    """JSON-safe data: Decimal → str, Bracket → {"upto", "rate"}; lists and dicts recursively."""
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, Bracket):
        return {"upto": plain(value.upto), "rate": plain(value.rate)}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value

"""Turning raw YAML values into typed values, one unit at a time, with precise errors.

Every check raises ValueError with a short reason; the loader adds the file and the path.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from settlement.identifiers import Category, Level
from settlement.rules import Bracket, ScalarValue, Value
from settlement.schema import By, Unit

_ONE = Decimal(1)


def parse_date(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"bad date {raw!r} (expected YYYY-MM-DD)") from None


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"expected a number, got {raw!r}")
    try:
        # str() first: 0.05 stays 0.05 rather than the float's binary expansion.
        return Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"expected a number, got {raw!r}") from None


def _fraction(raw: Any, what: str) -> Decimal:
    value = _decimal(raw)
    if not Decimal(0) <= value <= _ONE:
        raise ValueError(f"{what} {value} outside 0–1")
    return value


def _amount(raw: Any) -> Decimal | None:
    if raw is None:
        return None  # no cap
    value = _decimal(raw)
    if value < 0:
        raise ValueError(f"negative amount {value}")
    return value


def _scale(raw: Any) -> list[Bracket]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("a scale is a non-empty list of {upto, rate}")
    brackets: list[Bracket] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"upto", "rate"}:
            raise ValueError(f"a bracket has exactly the keys upto and rate, got {item!r}")
        brackets.append(Bracket(upto=_amount(item["upto"]), rate=_fraction(item["rate"], "rate")))
    uppers = [b.upto for b in brackets[:-1]]
    if any(u is None for u in uppers) or brackets[-1].upto is not None:
        raise ValueError("only the last bracket may (and must) have upto: null")
    bounded = [u for u in uppers if u is not None]
    if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
        raise ValueError("bracket bounds must increase")
    return brackets


def _listed(raw: Any, allowed: type[Category] | type[Level]) -> list[str]:
    if not isinstance(raw, list):
        raise ValueError(f"expected a list, got {raw!r}")
    names = {member.value for member in allowed}
    for item in raw:
        if item not in names:
            raise ValueError(f"unknown {allowed.__name__.lower()} {item!r}")
    return [str(item) for item in raw]


def parse_scalar(raw: Any, unit: Unit) -> ScalarValue:
    """One value of the given unit."""
    match unit:
        case Unit.CNY:
            return _amount(raw)
        case Unit.RATE:
            return _fraction(raw, "rate")
        case Unit.POINTS:
            return _fraction(raw, "rate increase")
        case Unit.SHARE:
            return _fraction(raw, "share")
        case Unit.BOOL:
            if not isinstance(raw, bool):
                raise ValueError(f"expected true or false, got {raw!r}")
            return raw
        case Unit.YEARS:
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise ValueError(f"expected a whole number of years, got {raw!r}")
            return raw
        case Unit.CATEGORIES:
            return _listed(raw, Category)
        case Unit.LEVELS:
            return _listed(raw, Level)
        case Unit.SCALE:
            return _scale(raw)
    raise ValueError(f"unknown unit {unit}")  # pragma: no cover - enum is exhaustive


def parse_value(raw: Any, unit: Unit, by: By | None) -> Value:
    """A value, or a mapping of values by hospital level or resident category."""
    if by is None:
        return parse_scalar(raw, unit)
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"values are broken down by {by.value}: expected a mapping")
    allowed = {m.value for m in (Level if by is By.LEVEL else Category)}
    parsed: dict[str, ScalarValue] = {}
    for key, item in raw.items():
        if key not in allowed:
            raise ValueError(f"unknown {by.value} {key!r}")
        parsed[str(key)] = parse_scalar(item, unit)
    return parsed

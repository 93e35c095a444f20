"""Placeholders in answer texts, filled from the region's own tables so figures cannot drift.

{diseases:20,11}      rows of 特殊慢性病病种及最高支付限额 by number: 高血压二级及以上1500元、…
{cap:15}              one row's annual cap: 3200元
{rehabilitation:1,6}  精准康复服务补贴 items by position (1-based): 白内障复明手术每例补贴1000元、…
{list:10}             the first n items of the answer's published_list, then 等N种
"""

import re
from typing import Protocol

from settlement.documents import ChronicDisease, ChronicDiseaseTable, RehabilitationTable
from settlement.money import whole_yuan

_PLACEHOLDER = re.compile(r"\{(?P<kind>[a-z]+):(?P<args>[0-9,]+)\}")


class _Listed(Protocol):
    """A PublishedList, structurally (answers.py imports this module, not the other way)."""

    @property
    def items(self) -> tuple[str, ...]: ...


# Whole yuan without decimals (the tables hold whole yuan): 1500元.
yuan = whole_yuan


def render(
    text: str,
    chronic: ChronicDiseaseTable | None,
    rehabilitation: RehabilitationTable | None,
    published: _Listed | None,
) -> str:
    """The text with every placeholder replaced from the region's own tables; ValueError names
    an unknown placeholder, or one whose table the region's rules do not name."""

    def replace(match: re.Match[str]) -> str:
        kind = match["kind"]
        numbers = [int(n) for n in match["args"].split(",") if n]
        if kind in ("diseases", "cap") and chronic is None:
            raise ValueError(f"{match.group()} needs tables.chronic_diseases in the region's rules")
        if kind == "rehabilitation" and rehabilitation is None:
            raise ValueError(f"{match.group()} needs tables.rehabilitation in the region's rules")
        if kind == "diseases" and chronic is not None:
            rows = [_disease(chronic, n) for n in numbers]
            return "、".join(f"{row.name}{yuan(row.annual_cap)}" for row in rows)
        if kind == "cap" and chronic is not None:
            return yuan(_disease(chronic, numbers[0]).annual_cap)
        if kind == "rehabilitation" and rehabilitation is not None:
            return "、".join(_rehabilitation_item(rehabilitation, n) for n in numbers)
        if kind == "list":
            if published is None:
                raise ValueError("{list:…} needs a published_list")
            shown = "、".join(published.items[: numbers[0]])
            return f"{shown}等{len(published.items)}种"
        raise ValueError(f"unknown placeholder {match.group()}")

    rendered = _PLACEHOLDER.sub(replace, text)
    if "{" in rendered or "}" in rendered:
        raise ValueError(f"malformed placeholder in {text!r}")
    return rendered


def _disease(table: ChronicDiseaseTable, number: int) -> ChronicDisease:
    for row in table.diseases:
        if row.number == number:
            return row
    raise ValueError(f"no chronic disease number {number}")


def _rehabilitation_item(table: RehabilitationTable, position: int) -> str:
    if not 1 <= position <= len(table.items):
        raise ValueError(f"no rehabilitation item {position}")
    item = table.items[position - 1]
    who = item.who or ""
    return f"{who}{item.name}每{item.per}补贴{yuan(item.amount)}"

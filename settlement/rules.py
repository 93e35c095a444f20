"""The rules files (policies/rules/<region>.yaml) as validated, typed objects.

A parameter carries its dated values and where they come from: a `reference` to a clause of a
seed document, or a `source` (a published local figure), or `assumption: true` with a reason.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from settlement.documents import Reference
from settlement.identifiers import Category, Fund, Setting
from settlement.schema import By, Unit


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A published figure outside the seeds: who said it, where, and the words."""

    title: str
    issuer: str | None = None
    href: str | None = None
    quote: str | None = None
    year: int | None = None


class Bracket(_Strict):
    upto: Decimal | None
    rate: Decimal


ScalarValue = Decimal | bool | int | list[str] | list[Bracket] | None
Value = ScalarValue | dict[str, ScalarValue]


class Parameter(_Strict):
    description: str
    unit: Unit
    by: By | None = None
    reference: Reference | None = None
    source: Source | None = None
    assumption: bool = False
    # An estimate until a published value replaced it: values in force before this day are
    # assumptions (`reason` says why); from this day the `source` or `reference` applies.
    assumption_until: date | None = None
    reason: str | None = None
    values: dict[str, Any] = Field(min_length=1)

    def estimated_on(self, day: date) -> bool:
        """Whether the value in force on `day` is an estimate."""
        return self.assumption or (
            self.assumption_until is not None and day < self.assumption_until
        )


class NoteWhen(_Strict):
    """When a note applies; an absent condition always holds."""

    settings: list[Setting] | None = None
    eligible: bool | None = None
    in_county: bool | None = None
    categories: list[Category] | None = None
    on_or_after: date | None = None


class Note(_Strict):
    id: str
    text: str = Field(min_length=1)
    reference: Reference
    when: NoteWhen = NoteWhen()
    kind: Literal["info", "layer_not_computed"] = "info"
    fund: str | None = None


class RulesFile(_Strict):
    region: str
    name: str  # the full name residents read (…县, …市)
    # On buttons (the name without 县/市); required for a region, not for national.
    short_name: str | None = None
    order: int | None = None  # place in lists and on buttons; regions without one come last
    # What residents call a fund here (扶贫济困医疗基金), where it differs from identifiers'.
    fund_names: dict[Fund, str] = {}
    documents: list[str]
    # Tables under policies/tables/ this region uses, by role (e.g. chronic_diseases).
    tables: dict[Literal["chronic_diseases", "rehabilitation"], str] = {}
    parameters: dict[str, Parameter] = {}
    notes: list[Note] = []


class DatedValues:
    """Values of one parameter, picked by effective date (the latest date ≤ the episode's)."""

    def __init__(self, values: dict[date, Value]) -> None:
        self._dates = sorted(values)
        self._values = values

    def at(self, day: date) -> Value:
        chosen = None
        for start in self._dates:
            if start <= day:
                chosen = start
        if chosen is None:
            raise LookupError(day)
        return self._values[chosen]

    @property
    def first_date(self) -> date:
        return self._dates[0]

    def span(self, day: date) -> tuple[date, date | None]:
        """The first and last day of the value in force on `day`; the last is None while no
        later value replaces it. LookupError when nothing is in force yet."""
        later = [start for start in self._dates if start > day]
        earlier = [start for start in self._dates if start <= day]
        if not earlier:
            raise LookupError(day)
        return earlier[-1], (later[0] - timedelta(days=1)) if later else None

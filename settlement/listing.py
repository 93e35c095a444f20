"""Every rule of a region in force on a day, with its provenance: the one listing behind
`healthaid policies show` and the gateway's /policies pages.

`policy_listing(policies, region, day)` returns a `Listing`: groups in settlement order (适用对象
first, then the funds of `Fund` in order, then 综合规定), each with its parameters and notes. A
parameter carries its value (typed and in words), the first and last day of that value, and
exactly what the rules file records as its origin: a clause of a document (quoted in full), a
published source, or an assumption with its reason — shown as 「估算」.

A parameter belongs to the fund its name starts with (`basic_insurance.…` → 基本医疗保险);
`eligibility.…` is 适用对象; anything else (`combined_annual_cap`) is 综合规定. A note belongs to
its `fund`, or else to 综合规定. Regions are whatever the loaded policies hold; none is named here.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from settlement.errors import InputError
from settlement.identifiers import CATEGORY_NAMES, FUND_NAMES, SETTING_NAMES, Fund
from settlement.policy import Policy, PolicySet
from settlement.rules import Note, Parameter, Value
from settlement.schema import SPECS
from settlement.wording import UNIT_NAMES, plain, table_rows, value_text

ESTIMATED = "估算"
ELIGIBILITY, GENERAL = "eligibility", "general"
GROUP_NAMES: dict[str, str] = {
    ELIGIBILITY: "适用对象",
    **{fund.value: name for fund, name in FUND_NAMES.items()},
    GENERAL: "综合规定",
}
GROUP_ORDER = (ELIGIBILITY, *(fund.value for fund in Fund), GENERAL)
_FUNDS = frozenset(fund.value for fund in Fund)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPEC_ORDER = {name: index for index, name in enumerate(SPECS)}


class UnknownRegion(InputError):
    """No rules file for this region; `known` is every (region, Chinese name) that has one."""

    def __init__(self, region: str, known: list[tuple[str, str]]) -> None:
        self.known = known
        listed = "、".join(f"{code}（{name}）" for code, name in known)
        super().__init__("region", f"没有地区“{region}”的政策；已有：{listed}")


@dataclass(frozen=True)
class ClauseQuote:
    """A clause of a source document, quoted in full (policies/documents/<document>.yaml)."""

    document: str  # document id, e.g. "<region>_2017"
    title: str  # the document's title as printed
    issuer: str
    number: str | None  # 文号, when printed
    year: int
    clause: str  # the clause cited, as the rules file writes it: 五（三）2
    heading: str  # the clause's printed heading
    text: str  # the clause's full text

    @property
    def label(self) -> str:
        """ "《title》（文号，2017年）五（三）2 heading", as both the CLI and the page cite it."""
        issued = f"{self.number}，{self.year}年" if self.number else f"{self.year}年"
        return f"《{self.title}》（{issued}）{self.clause} {self.heading}"


@dataclass(frozen=True)
class SourceQuote:
    """A published figure outside the seed documents, as the rules file records it."""

    title: str
    issuer: str | None
    href: str | None
    quote: str | None
    year: int | None


@dataclass(frozen=True)
class ListedParameter:
    name: str  # the parameter's name in policies/rules (settlement/schema.py)
    description: str
    unit: str  # settlement.schema.Unit value: CNY, rate, points, …
    unit_name: str  # 元, 比例, 百分点, …
    by: str | None  # "level" or "category" when the value is broken down
    value: Any  # JSON-safe (settlement.wording.plain): Decimals as strings, null = no cap
    text: str  # the value in words: "90%", "村卫生室：100元；乡镇卫生院：200元"
    rows: tuple[tuple[str, str], ...]  # a breakdown or bands as (label, value in words), or ()
    start: date  # first day this value is in force
    end: date | None  # last day, or None while no later value replaces it
    reference: ClauseQuote | None
    source: SourceQuote | None
    estimated: bool  # assumption: true in the rules file — a figure not found in any document
    reason: str | None  # why it is estimated, as the rules file says

    @property
    def period(self) -> str:
        """ "2017-01-01起" or "2021-11-01至2025-12-31"."""
        if self.end is None:
            return f"{self.start.isoformat()}起"
        return f"{self.start.isoformat()}至{self.end.isoformat()}"


@dataclass(frozen=True)
class ListedNote:
    """A rule that computes no amount (a note), with the clause it quotes."""

    id: str
    text: str
    reference: ClauseQuote
    conditions: str  # when it applies, in words ("住院；享受帮扶政策的对象"), or ""


@dataclass(frozen=True)
class Group:
    key: str  # a Fund value, "eligibility" or "general"
    name: str  # 基本医疗保险, 适用对象, 综合规定
    is_fund: bool
    parameters: tuple[ListedParameter, ...]
    notes: tuple[ListedNote, ...]


@dataclass(frozen=True)
class Listing:
    region: str
    name: str  # the region's Chinese name, from its rules file
    day: date
    groups: tuple[Group, ...]  # only groups with something in force, in GROUP_ORDER

    @property
    def parameter_count(self) -> int:
        return sum(len(g.parameters) for g in self.groups)

    @property
    def estimated_count(self) -> int:
        return sum(p.estimated for g in self.groups for p in g.parameters)


def known_regions(policies: PolicySet) -> list[tuple[str, str]]:
    """(region, Chinese name) of every region the policies hold, in their loading order."""
    return [(str(region), policy.name) for region, policy in policies.regions.items()]


def find_policy(policies: PolicySet, region: str) -> Policy:
    """The region's policy; UnknownRegion (an InputError naming `region`) if it has none."""
    for code, policy in policies.regions.items():
        if str(code) == region:
            return policy
    raise UnknownRegion(region, known_regions(policies))


def parse_day(text: str | None, today: date) -> date:
    """ "YYYY-MM-DD" as a date, `today` when absent or blank; InputError("date", …) otherwise
    (other ISO forms such as 20240501 too: the page and the CLI promise one format)."""
    if text is None or not text.strip():
        return today
    try:
        if not _ISO_DAY.fullmatch(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        shown = text if len(text) <= 20 else f"{text[:20]}…"
        message = f"不是有效日期：{shown}（请写成年-月-日，例如2024-05-01）"
        raise InputError("date", message) from None


def _clause(policy: Policy, document: str, clause: str) -> ClauseQuote:
    doc = policy.documents[document]
    found = doc.clause(clause)  # the loader checked every reference, so it is there
    return ClauseQuote(
        doc.id, doc.title, doc.issuer, doc.number, doc.year, clause, found.title, found.text
    )


def _parameter(policy: Policy, name: str, value: Value, day: date) -> ListedParameter:
    parameter: Parameter = policy.parameters[name]
    start, end = policy.dated[name].span(day)
    source = parameter.source
    return ListedParameter(
        name=name,
        description=parameter.description,
        unit=parameter.unit.value,
        unit_name=UNIT_NAMES[parameter.unit],
        by=parameter.by.value if parameter.by else None,
        value=plain(value),
        text=value_text(value, parameter.unit, parameter.by),
        rows=tuple(table_rows(value, parameter.unit, parameter.by)),
        start=start,
        end=end,
        reference=(
            _clause(policy, parameter.reference.document, parameter.reference.clause)
            if parameter.reference
            else None
        ),
        source=(
            SourceQuote(source.title, source.issuer, source.href, source.quote, source.year)
            if source
            else None
        ),
        estimated=parameter.assumption,
        reason=parameter.reason,
    )


def _conditions(note: Note) -> str:
    when = note.when
    parts: list[str] = []
    if when.settings:
        parts.append("、".join(SETTING_NAMES[s] for s in when.settings))
    if when.categories:
        parts.append("、".join(CATEGORY_NAMES[c] for c in when.categories))
    if when.eligible is not None:
        parts.append("享受帮扶政策的对象" if when.eligible else "不享受帮扶政策时")
    if when.in_county is not None:
        parts.append("县域内就医" if when.in_county else "县域外就医")
    return "；".join(parts)


def _note_in_force(note: Note, day: date) -> bool:
    return note.when.on_or_after is None or note.when.on_or_after <= day


def _group_of(name: str) -> str:
    prefix = name.split(".", 1)[0]
    return prefix if prefix in GROUP_NAMES and prefix != GENERAL else GENERAL


def policy_listing(policies: PolicySet, region: str, day: date) -> Listing:
    """Every parameter and note of `region` in force on `day`, grouped in settlement order.

    Raises UnknownRegion (an InputError) when the policies have no such region. A day before
    every parameter of the region gives a listing with no groups (notes included).
    """
    policy = find_policy(policies, region)
    in_force = policy.in_force(day)
    names = sorted(in_force, key=lambda n: _SPEC_ORDER.get(n, len(_SPEC_ORDER)))
    parameters: dict[str, list[ListedParameter]] = {key: [] for key in GROUP_ORDER}
    for name in names:
        parameters[_group_of(name)].append(_parameter(policy, name, in_force[name].value, day))
    notes: dict[str, list[ListedNote]] = {key: [] for key in GROUP_ORDER}
    # Notes carry no dates of their own beyond `on_or_after`: they are listed once the region's
    # rules have begun (some parameter is in force), not before its documents were issued.
    for note in policy.notes if in_force else ():
        if _note_in_force(note, day):
            group = note.fund if note.fund in GROUP_NAMES else GENERAL
            quote = _clause(policy, note.reference.document, note.reference.clause)
            notes[group].append(ListedNote(note.id, note.text, quote, _conditions(note)))
    groups = tuple(
        Group(
            key,
            policy.fund_name(Fund(key)) if key in _FUNDS else GROUP_NAMES[key],
            key in _FUNDS,
            tuple(parameters[key]),
            tuple(notes[key]),
        )
        for key in GROUP_ORDER
        if parameters[key] or notes[key]
    )
    return Listing(str(policy.region), policy.name, day, groups)


def _parameter_json(parameter: ListedParameter) -> dict[str, Any]:
    data = asdict(parameter)
    data["rows"] = [{"label": label, "text": text} for label, text in parameter.rows]
    data["from"] = data.pop("start").isoformat()
    end = data.pop("end")
    data["until"] = end.isoformat() if end else None
    return data


def to_json(listing: Listing) -> dict[str, Any]:
    """The listing as JSON-safe data (what `healthaid policies show --json` prints):

    {"region", "name", "date": "YYYY-MM-DD", "groups": [{"key", "name", "is_fund",
     "parameters": [{"name", "description", "unit", "unit_name", "by", "value", "text",
                     "rows": [{"label", "text"}], "from", "until" (null: open-ended),
                     "reference": {"document", "title", "issuer", "number", "year", "clause",
                                   "heading", "text"} | null,
                     "source": {"title", "issuer", "href", "quote", "year"} | null,
                     "estimated", "reason"}],
     "notes": [{"id", "text", "reference": {…as above}, "conditions"}]}]}
    """
    return {
        "region": listing.region,
        "name": listing.name,
        "date": listing.day.isoformat(),
        "groups": [
            {
                "key": group.key,
                "name": group.name,
                "is_fund": group.is_fund,
                "parameters": [_parameter_json(p) for p in group.parameters],
                "notes": [asdict(note) for note in group.notes],
            }
            for group in listing.groups
        ],
    }

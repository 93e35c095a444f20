"""Loading conversation cases and judging a reply against a turn's expected and forbidden facts.

A case file is YAML `{cases: [{id, kind, channel?, sender?, source, note?, turns: [{user,
expect?, forbid?}]}]}`. An item of `expect`/`forbid` is a substring of the reply, or a list of
alternatives (any one); an item that is a pure number ("2300", "50万", "1150.00") is compared
as a number with every number in the reply, so "1150" never matches "11500".
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CASE_DIR = ROOT / "tests" / "conversations"
KINDS = (
    "rule_not_calc",
    "ask_only_what_matters",
    "entities",
    "domain_not_refused",
    "form_survives",
    "impossible_amount",
    "personal_answer",
    "cadre_acts_for_resident",
    "say_no_more",
    "long_letter",
    "time",
    "general",
)
CHANNELS = ("sms", "cadre")
Item = str | list[str]
_NUMBER_ITEM = re.compile(r"^\d+(?:\.\d+)?万?元?$")
_NUMBER_IN_TEXT = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:\s*万)?")


class CaseError(ValueError):
    """A case file that does not follow the format (file, case id and what is wrong)."""


@dataclass(frozen=True)
class Turn:
    user: str
    expect: tuple[Item, ...] = ()
    forbid: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    source: str
    turns: tuple[Turn, ...]
    channel: str = "sms"
    sender: str | None = None
    note: str = ""
    file: str = ""


@dataclass
class TurnResult:
    user: str
    reply: str
    missing: list[Item] = field(default_factory=list)
    forbidden: list[Item] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.forbidden


def _items(raw: Any, where: str) -> tuple[Item, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CaseError(f"{where}: expect/forbid must be a list")
    items: list[Item] = []
    for item in raw:
        if isinstance(item, list) and item and all(isinstance(a, str | int) for a in item):
            items.append([str(a) for a in item])
        elif isinstance(item, str | int):
            items.append(str(item))
        else:
            raise CaseError(f"{where}: bad item {item!r}")
    return tuple(items)


def load_file(path: Path) -> list[Case]:
    """Every case of one file; CaseError names the file and case for any malformed one."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cases: list[Case] = []
    for raw in data.get("cases", []):
        where = f"{path.name}: {raw.get('id', '?')}"
        kind = raw.get("kind")
        if kind not in KINDS:
            raise CaseError(f"{where}: unknown kind {kind!r}")
        channel = raw.get("channel") or "sms"
        if channel not in CHANNELS:
            raise CaseError(f"{where}: unknown channel {channel!r}")
        turns = []
        for step in raw.get("turns") or []:
            turn = Turn(
                str(step["user"]),
                _items(step.get("expect"), where),
                _items(step.get("forbid"), where),
            )
            if not turn.expect and not turn.forbid:
                raise CaseError(f"{where}: a turn with nothing to check")
            turns.append(turn)
        if not turns:
            raise CaseError(f"{where}: no turns")
        sender = raw.get("sender")
        cases.append(
            Case(
                id=str(raw["id"]),
                kind=kind,
                source=str(raw.get("source") or ""),
                turns=tuple(turns),
                channel=channel,
                sender=str(sender) if sender else None,
                note=str(raw.get("note") or ""),
                file=path.name,
            )
        )
    return cases


def load_cases(directory: Path = CASE_DIR) -> list[Case]:
    """All cases of all files, ids unique across files."""
    cases = [case for path in sorted(directory.glob("*.yml")) for case in load_file(path)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{case.file}: duplicate id {case.id}")
        seen.add(case.id)
    return cases


def _numbers(text: str) -> set[Decimal]:
    values: set[Decimal] = set()
    for match in _NUMBER_IN_TEXT.finditer(text):
        raw = match.group().replace(",", "").replace(" ", "")
        factor = Decimal(10_000) if raw.endswith("万") else Decimal(1)
        try:
            values.add(Decimal(raw.rstrip("万")) * factor)
        except InvalidOperation:
            continue
    return values


def _number_of(item: str) -> Decimal | None:
    if not _NUMBER_ITEM.match(item):
        return None
    raw = item.rstrip("元")
    factor = Decimal(10_000) if raw.endswith("万") else Decimal(1)
    return Decimal(raw.rstrip("万")) * factor


def mentions(reply: str, item: Item) -> bool:
    """Whether the reply states the item (any alternative of a list)."""
    alternatives = item if isinstance(item, list) else [item]
    for alternative in alternatives:
        number = _number_of(alternative)
        if number is not None:
            if number in _numbers(reply):
                return True
        elif alternative in reply:
            return True
    return False


def judge(turn: Turn, reply: str) -> TurnResult:
    return TurnResult(
        turn.user,
        reply,
        missing=[item for item in turn.expect if not mentions(reply, item)],
        forbidden=[item for item in turn.forbid if mentions(reply, item)],
    )

"""The five source documents split into citable clauses, and the two Guyang annex tables.

policies/documents/<id>.yaml holds one document; policies/tables/ holds the 45 special chronic
diseases (特殊慢性病病种及最高支付限额) and the disability rehabilitation subsidies (精准康复服务
补贴标准). Every answer a resident gets quotes a clause from here, so the loaders refuse anything
doubtful with a PolicyError naming the file, the path inside it and the reason.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from settlement.errors import PolicyError
from settlement.regions import policies_dir
from settlement.yamlio import load_model

_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
# 五（三）2 → 5.3.2: a heading numeral, any number of （x） levels, an optional item number.
_NUMERAL = "[一二三四五六七八九十]+"
_NUMBER = re.compile(rf"(?P<head>{_NUMERAL})(?P<subs>(?:（{_NUMERAL}）)*)(?P<item>\d+)?")
_SPECIAL_IDS = {"前言": "0", "附件": "annex"}
# Residents and cadres type half-width brackets and stray spaces; the data uses full-width.
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）"})
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Spaces removed and half-width parentheses made full-width, for lookups."""
    return _WHITESPACE.sub("", text).translate(_HALF_TO_FULL)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _iso_date(value: Any) -> Any:
    # Only "YYYY-MM-DD" text: pydantic alone would also take timestamps and datetimes.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"must be a quoted ISO date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a real date: {value} ({exc})") from None


Text = Annotated[str, AfterValidator(_not_blank)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Amount = Annotated[Decimal, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Strict):
    """One citable unit: 五（三）2 of a document, with its printed heading and full text."""

    id: Annotated[str, Field(pattern=r"^(0|annex|[1-9]\d*(\.[1-9]\d*)*)$")]
    number: Text
    title: Text
    text: Text


class Document(_Strict):
    """A source document (文件) as published: who issued it, when, and its clauses in order."""

    id: Annotated[str, Field(pattern=r"^[a-z]+_\d{4}$")]
    title: Text
    issuer: Text
    number: Text | None = None  # 文号, only when printed
    date: IsoDate | None = None  # 印发日期, only when printed
    # "national" or a region's key; load_policies checks a rules file of that name exists.
    region: Annotated[str, Field(pattern=r"^[a-z]+$")]
    clauses: tuple[Clause, ...] = Field(min_length=1)

    @property
    def year(self) -> int:
        """The year it was issued: its printed date, else the year in its id (<region>_2017)."""
        return self.date.year if self.date is not None else int(self.id.rsplit("_", 1)[1])

    def clause(self, number: str) -> Clause:
        """The clause cited as `number` (五（三）5, 二(一)7, 附件); KeyError if there is none."""
        wanted = normalise(number)
        for clause in self.clauses:
            if normalise(clause.number) == wanted:
                return clause
        known = "、".join(c.number for c in self.clauses)
        raise KeyError(f"{self.title} ({self.id}) has no clause {number!r}; it has {known}")


class Reference(_Strict):
    """A clause of a document (policies/documents/<document>.yaml) and its number as printed:
    the one citation type of rules, notes, tables and answers."""

    document: Text
    clause: Text


class ChronicDisease(_Strict):
    """One row of the annex: a special chronic disease and its yearly cap (最高支付限额)."""

    number: Annotated[int, Field(gt=0)]
    name: Text
    annual_cap: Amount
    aliases: tuple[Text, ...]  # what a resident might type; each names one disease only


class ChronicDiseaseTable(_Strict):
    description: Text
    unit: Literal["CNY"]
    period: Literal["year"]
    reference: Reference
    # The number of rows the document prints (its title or clause says how many): a table with
    # another count is a transcription slip.
    rows: Annotated[int, Field(gt=0)]
    diseases: tuple[ChronicDisease, ...]
    # Names a resident is offered as examples when a disease is not in the table: a name, an
    # alias, or part of a name (糖尿病 for both its rows).
    examples: tuple[Text, ...] = ()
    # What the region's document says residents pay for these medicines, said after the caps.
    personal_share: Text | None = None

    @model_validator(mode="after")
    def _examples_are_in_the_table(self) -> "ChronicDiseaseTable":
        for example in self.examples:
            if self.find(example) is None and not any(example in d.name for d in self.diseases):
                raise ValueError(f"example {example!r} names no disease of the table")
        return self

    def find(self, name_or_alias: str) -> ChronicDisease | None:
        """The disease whose name or alias is exactly `name_or_alias`, spaces and brackets aside."""
        wanted = normalise(name_or_alias)
        for disease in self.diseases:
            if wanted in {normalise(n) for n in (disease.name, *disease.aliases)}:
                return disease
        return None


class RehabilitationItem(_Strict):
    """A rehabilitation service and its subsidy (补贴标准) per case (例) or session (次)."""

    name: Text
    amount: Amount
    per: Literal["例", "次"]
    who: Text | None  # the group it is for, when the clause names one (0-6岁智力儿童)


class RehabilitationTable(_Strict):
    description: Text
    unit: Literal["CNY"]
    reference: Reference
    items: tuple[RehabilitationItem, ...] = Field(min_length=1)


def default_policies_dir() -> Path:
    """The repository's policies/ directory, or $HEALTHAID_POLICIES (settlement/regions.py)."""
    return policies_dir()


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _validate(model: type[M], path: Path) -> M:
    return load_model(model, path)


def _expected_id(number: str) -> str | None:
    """The dotted id a printed number implies (五（三）2 → 5.3.2), or None if it is not one."""
    if number in _SPECIAL_IDS:
        return _SPECIAL_IDS[number]
    match = _NUMBER.fullmatch(number)
    if match is None:
        return None
    parts = [_chinese_int(match["head"])]
    parts += [_chinese_int(s) for s in re.findall(r"（(.+?)）", match["subs"])]
    if match["item"]:
        parts.append(int(match["item"]))
    return ".".join(str(p) for p in parts)


def _chinese_int(numeral: str) -> int:
    # Headings in these documents never pass 十九: 十 alone, 十x, or a single digit.
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + _CHINESE_DIGITS[numeral[1:]]
    return _CHINESE_DIGITS[numeral]


def _first_duplicate(items: Iterable[T], key: Callable[[T], str]) -> tuple[int, str] | None:
    """Index and key of the first item whose key an earlier item already had."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            return index, value
        seen.add(value)
    return None


def _check_document(path: Path, document: Document) -> None:
    file = str(path)
    if document.id != path.stem:
        reason = f"must be {path.stem!r}, the file's name (got {document.id!r})"
        raise PolicyError(file, "id", reason)
    clauses = document.clauses
    for field, duplicate in (
        ("id", _first_duplicate(clauses, lambda c: c.id)),
        ("number", _first_duplicate(clauses, lambda c: normalise(c.number))),
    ):
        if duplicate is not None:
            index, value = duplicate
            reason = f"duplicate clause {field} {value!r}"
            raise PolicyError(file, f"clauses[{index}].{field}", reason)
    for index, clause in enumerate(clauses):
        expected = _expected_id(clause.number)
        if expected is None:
            reason = f"{clause.number!r} is not a clause number like 五（三）2, 前言 or 附件"
            raise PolicyError(file, f"clauses[{index}].number", reason)
        if clause.id != expected:
            reason = f"id {clause.id!r} does not match {clause.number} (expected {expected!r})"
            raise PolicyError(file, f"clauses[{index}].id", reason)


def load_documents(directory: Path) -> dict[str, Document]:
    """Every policies/documents/*.yaml, by id."""
    documents: dict[str, Document] = {}
    for path in sorted(directory.glob("*.yaml")):
        document = _validate(Document, path)
        _check_document(path, document)
        documents[document.id] = document
    if not documents:
        raise PolicyError(str(directory), "", "no documents (*.yaml) found")
    return documents


def load_chronic_diseases(path: Path) -> ChronicDiseaseTable:
    """The annex table; as many rows as it declares (`rows`), numbered in order, names and
    aliases each naming one disease; PolicyError naming the file and path otherwise."""
    table = _validate(ChronicDiseaseTable, path)
    file = str(path)
    if len(table.diseases) != table.rows:
        reason = f"expected {table.rows} diseases, found {len(table.diseases)}"
        raise PolicyError(file, "diseases", reason)
    for index, disease in enumerate(table.diseases):
        if disease.number != index + 1:
            reason = f"rows must be numbered in order: expected {index + 1}, got {disease.number}"
            raise PolicyError(file, f"diseases[{index}].number", reason)
    # Names and aliases share one namespace: find() must never have two answers.
    owner: dict[str, int] = {}
    for index, disease in enumerate(table.diseases):
        aliases = [(f"aliases[{k}]", alias) for k, alias in enumerate(disease.aliases)]
        for where, value in [("name", disease.name), *aliases]:
            key = normalise(value)
            if key in owner:
                reason = f"{value!r} already names disease {owner[key]}"
                raise PolicyError(file, f"diseases[{index}].{where}", reason)
            owner[key] = disease.number
    return table


def load_rehabilitation(path: Path) -> RehabilitationTable:
    """The rehabilitation subsidy items, each name appearing once."""
    table = _validate(RehabilitationTable, path)
    duplicate = _first_duplicate(table.items, lambda item: normalise(item.name))
    if duplicate is not None:
        index, value = duplicate
        raise PolicyError(str(path), f"items[{index}].name", f"duplicate item {value!r}")
    return table

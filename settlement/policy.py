"""Loading and validating every policy file at start-up, and looking parameters up by date.

`load_policies()` reads policies/documents, policies/tables and policies/rules; any problem is a
PolicyError naming the file, the path inside it and the reason. A region's parameters are the
national defaults (rules/national.yaml) overridden by its own file.
"""

import difflib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from settlement.documents import (
    ChronicDiseaseTable,
    Document,
    Reference,
    RehabilitationTable,
    default_policies_dir,
    load_chronic_diseases,
    load_documents,
    load_rehabilitation,
)
from settlement.errors import ParameterNotFound, PolicyError
from settlement.identifiers import FUND_NAMES, Fund
from settlement.rules import DatedValues, Note, Parameter, RulesFile, Value
from settlement.schema import SPECS
from settlement.values import parse_date, parse_value
from settlement.yamlio import load_model

NATIONAL = "national"
ESTIMATED = "本地基础参数（估算）"
ESTIMATE_TEXT = "（估算参数，以当地医保经办机构结算为准）"


@dataclass(frozen=True)
class Resolved:
    """A parameter's value in force on a day, with its provenance."""

    name: str
    value: Value
    parameter: Parameter
    since: date  # the first day the value is in force (the date basis of an estimate)
    estimated: bool  # whether the value in force is an estimate (Parameter.estimated_on)


@dataclass(frozen=True)
class Citation:
    document: str
    clause: str
    assumption: bool = False


@dataclass(frozen=True)
class Policy:
    region: str  # the key, as Region (settlement/identifiers.py) validates it
    name: str
    parameters: dict[str, Parameter]
    dated: dict[str, DatedValues]
    notes: tuple[Note, ...]
    documents: dict[str, Document]
    chronic_diseases: ChronicDiseaseTable | None
    rehabilitation: RehabilitationTable | None
    fund_names: dict[Fund, str] = field(default_factory=dict)
    # Parameters in force per day, filled on first use: a county batch settles many episodes
    # on few distinct days, and picking dated values per lookup dominated its profile.
    _by_day: dict[date, dict[str, Resolved]] = field(default_factory=dict, compare=False)
    _citations: dict[Reference, "Citation"] = field(default_factory=dict, compare=False)
    _cite_texts: dict[str, str] = field(default_factory=dict, compare=False)
    _note_texts: dict[str, str] = field(default_factory=dict, compare=False)
    _rule_dates: dict[date, tuple[date, ...]] = field(default_factory=dict, compare=False)

    def fund_name(self, fund: Fund) -> str:
        """What residents of the region call the fund (rules `fund_names`), else its usual name."""
        return self.fund_names.get(fund) or FUND_NAMES[fund]

    def in_force(self, day: date) -> dict[str, Resolved]:
        """Every parameter with a value in force on `day`."""
        cached = self._by_day.get(day)
        if cached is None:
            cached = {}
            for name, dated in self.dated.items():
                try:
                    parameter = self.parameters[name]
                    since = dated.span(day)[0]
                    estimated = parameter.estimated_on(day)
                    cached[name] = Resolved(name, dated.at(day), parameter, since, estimated)
                except LookupError:
                    continue  # not yet in force on that day
            self._by_day[day] = cached
        return cached

    def rule_dates(self, day: date) -> tuple[date, ...]:
        """The first days in force of every value in force on `day`, oldest first: the date
        basis of an estimate for that day (「按…2017年、2021年起施行的规定估算」)."""
        cached = self._rule_dates.get(day)
        if cached is None:
            cached = tuple(sorted({resolved.since for resolved in self.in_force(day).values()}))
            self._rule_dates[day] = cached
        return cached

    def values_of(self, name: str) -> DatedValues | None:
        """Every dated value of a parameter, None where the region has no such rule;
        ParameterNotFound for a name settlement/schema.py does not define."""
        if name not in SPECS:
            raise ParameterNotFound(name)
        return self.dated.get(name)

    def get(self, name: str, day: date) -> Resolved | None:
        """The value in force on `day`, or None when the region has no such rule then."""
        if name not in SPECS:
            raise ParameterNotFound(name)
        return self.in_force(day).get(name)

    def cite(self, parameter: Parameter, day: date | None = None) -> Citation:
        """Where a parameter comes from (its value on `day`), as a resident would read it."""
        until = parameter.assumption_until
        if day is not None and until is not None and day < until and not parameter.assumption:
            return Citation(ESTIMATED, "", True)  # before a published value replaced the estimate
        if parameter.reference is not None:
            return self.cite_reference(parameter.reference)
        if parameter.source is not None:
            return Citation(parameter.source.title, "", parameter.assumption)
        return Citation(ESTIMATED, "", True)

    def cite_text(self, name: str, day: date | None = None) -> str:
        """ "（依据《…》五（三）2）" inside an explanation, or a warning for an estimate."""
        parameter = self.parameters[name]
        until = parameter.assumption_until
        if day is not None and until is not None and day < until and not parameter.assumption:
            return ESTIMATE_TEXT
        text = self._cite_texts.get(name)
        if text is None:
            citation = self.cite(parameter)
            if parameter.assumption:
                text = ESTIMATE_TEXT
            elif citation.clause:
                text = f"（依据《{citation.document}》{citation.clause}）"
            else:
                text = f"（依据{citation.document}）"
            self._cite_texts[name] = text
        return text

    def note_text(self, note: Note) -> str:
        """A note as the resident reads it, with its citation."""
        text = self._note_texts.get(note.id)
        if text is None:
            citation = self.cite_reference(note.reference)
            text = f"{note.text}（《{citation.document}》{citation.clause}）"
            self._note_texts[note.id] = text
        return text

    def cite_reference(self, reference: Reference) -> Citation:
        citation = self._citations.get(reference)
        if citation is None:
            citation = Citation(self.documents[reference.document].title, reference.clause)
            self._citations[reference] = citation
        return citation


@dataclass(frozen=True)
class PolicySet:
    """Every region's policy by key (the rules file's name; a Region is such a key)."""

    regions: dict[str, Policy]
    documents: dict[str, Document]  # every document of policies/documents, by id

    def __getitem__(self, region: str) -> Policy:
        return self.regions[region]


def _read_rules(path: Path) -> RulesFile:
    return load_model(RulesFile, path)


def _check_reference(
    file: str, where: str, reference: Reference, documents: dict[str, Document]
) -> None:
    document = documents.get(reference.document)
    if document is None:
        raise PolicyError(file, where, f"unknown document {reference.document!r}")
    try:
        document.clause(reference.clause)
    except KeyError:
        raise PolicyError(
            file, where, f"document {reference.document} has no clause {reference.clause!r}"
        ) from None


def _dated_values(file: str, name: str, parameter: Parameter) -> DatedValues:
    spec = SPECS.get(name)
    where = f"parameters.{name}"
    if spec is None:
        close = difflib.get_close_matches(name, SPECS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PolicyError(
            file, where, f"unknown parameter{hint} (names: docs/adding-a-region.md, Parameters)"
        )
    if parameter.unit != spec.unit:
        raise PolicyError(file, f"{where}.unit", f"must be {spec.unit.value}")
    if parameter.by != spec.by:
        expected = spec.by.value if spec.by else "absent"
        raise PolicyError(file, f"{where}.by", f"must be {expected}")
    if parameter.assumption_until and parameter.reference is None and parameter.source is None:
        raise PolicyError(file, where, "assumption_until needs the reference or source after it")
    if parameter.reference is None and parameter.source is None and not parameter.assumption:
        raise PolicyError(file, where, "missing reference (or source, or assumption: true)")
    if (parameter.assumption or parameter.assumption_until) and not parameter.reason:
        raise PolicyError(file, f"{where}.reason", "an assumption needs a reason")
    values: dict[date, Value] = {}
    for raw_day, raw_value in parameter.values.items():
        try:
            day = parse_date(raw_day)
            values[day] = parse_value(raw_value, parameter.unit, parameter.by)
        except ValueError as exc:
            raise PolicyError(file, f"{where}.values.{raw_day}", str(exc)) from None
    until = parameter.assumption_until
    if until is not None and until not in values:
        raise PolicyError(file, f"{where}.assumption_until", f"no value dated {until}")
    return DatedValues(values)


def _validate_rules(file: str, rules: RulesFile, documents: dict[str, Document]) -> None:
    for doc_id in rules.documents:
        if doc_id not in documents:
            raise PolicyError(file, "documents", f"unknown document {doc_id!r}")
    for name, parameter in rules.parameters.items():
        if parameter.reference is not None:
            _check_reference(file, f"parameters.{name}.reference", parameter.reference, documents)
    seen: set[str] = set()
    for index, note in enumerate(rules.notes):
        _check_reference(file, f"notes[{index}].reference", note.reference, documents)
        if note.id in seen:
            raise PolicyError(file, f"notes[{index}].id", f"duplicate note id {note.id!r}")
        seen.add(note.id)


def _region_policy(
    region: str,
    rules: RulesFile,
    national: RulesFile,
    dated: dict[str, DatedValues],
    documents: dict[str, Document],
    tables: dict[str, Any],
) -> Policy:
    parameters = {**national.parameters, **rules.parameters}
    chronic = rules.tables.get("chronic_diseases")
    rehab = rules.tables.get("rehabilitation")
    return Policy(
        region=region,
        name=rules.name,
        parameters=parameters,
        dated={name: dated[name] for name in parameters},
        notes=tuple(national.notes) + tuple(rules.notes),
        documents=documents,
        chronic_diseases=tables[chronic] if chronic else None,
        rehabilitation=tables[rehab] if rehab else None,
        fund_names={**national.fund_names, **rules.fund_names},
    )


def _load_tables(directory: Path) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.stem.endswith("chronic_diseases"):
            tables[path.stem] = load_chronic_diseases(path)
        elif path.stem.endswith("rehabilitation"):
            tables[path.stem] = load_rehabilitation(path)
        else:
            raise PolicyError(str(path), "", "unknown kind of table")
    return tables


def load_policies(directory: Path | None = None) -> PolicySet:
    """Read and validate everything under policies/; raise PolicyError on the first problem."""
    root = directory or default_policies_dir()
    documents = load_documents(root / "documents")
    tables = _load_tables(root / "tables")
    files = {path.stem: path for path in sorted((root / "rules").glob("*.yaml"))}
    if NATIONAL not in files:
        raise PolicyError(str(root / "rules"), "", "national.yaml (national defaults) missing")
    parsed: dict[str, RulesFile] = {}
    dated: dict[str, dict[str, DatedValues]] = {}
    for stem, path in files.items():
        parsed[stem], dated[stem] = _rules_file(stem, path, documents, tables)
    for problem in _orphan_documents(root, documents, files):
        raise problem
    national = parsed.pop(NATIONAL)
    regions = {}
    for stem, rules in parsed.items():
        merged = {**dated[NATIONAL], **dated[stem]}
        regions[stem] = _region_policy(stem, rules, national, merged, documents, tables)
    if not regions:
        raise PolicyError(str(root / "rules"), "", "no region: add policies/rules/<region>.yaml")
    return PolicySet(regions, documents)


def _rules_file(
    stem: str, path: Path, documents: dict[str, Document], tables: dict[str, Any]
) -> tuple[RulesFile, dict[str, DatedValues]]:
    """One rules file read and checked on its own; PolicyError on its first problem."""
    rules = _read_rules(path)
    if rules.region != stem:
        raise PolicyError(str(path), "region", f"must be {stem!r}, the file's name")
    if stem != NATIONAL and not rules.short_name:
        raise PolicyError(str(path), "short_name", "a region needs a short name (for buttons)")
    _validate_rules(str(path), rules, documents)
    for role, table in rules.tables.items():
        if table not in tables:
            raise PolicyError(str(path), f"tables.{role}", f"unknown table {table!r}")
    return rules, {n: _dated_values(str(path), n, p) for n, p in rules.parameters.items()}


def _orphan_documents(
    root: Path, documents: dict[str, Document], files: dict[str, Path]
) -> list[PolicyError]:
    return [
        PolicyError(
            str(root / "documents" / f"{document.id}.yaml"),
            "region",
            f"no rules/{document.region}.yaml for its region",
        )
        for document in documents.values()
        if document.region not in files
    ]


def policy_problems(directory: Path | None = None) -> list[PolicyError]:
    """Every problem of policies/ that load_policies would stop at, at most one per file, so
    a policy editor fixes them in one go (`healthaid policies check`). Documents and tables
    are read first: a problem there is the only one reported, since the rules refer to them.
    An empty list means load_policies(directory) succeeds."""
    root = directory or default_policies_dir()
    try:
        documents = load_documents(root / "documents")
        tables = _load_tables(root / "tables")
    except PolicyError as problem:
        return [problem]
    files = {path.stem: path for path in sorted((root / "rules").glob("*.yaml"))}
    problems: list[PolicyError] = []
    if NATIONAL not in files:
        problems.append(
            PolicyError(str(root / "rules"), "", "national.yaml (national defaults) missing")
        )
    for stem, path in files.items():
        try:
            _rules_file(stem, path, documents, tables)
        except PolicyError as problem:
            problems.append(problem)
    problems += _orphan_documents(root, documents, files)
    if not problems:
        try:
            load_policies(root)  # what only the files together can get wrong
        except PolicyError as problem:
            problems.append(problem)
    return problems


@cache
def default_policies() -> PolicySet:
    """The repository's policies, loaded once per process."""
    return load_policies()

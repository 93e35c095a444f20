"""YAML policy cases: {name, period, input, output} run against the real policies.

A case file is a list of cases; `name` is a full sentence saying what the rule does. `output`
lists the personal share and the layers that pay (a layer not listed must pay nothing), or an
`error` naming the field for input that must be refused. A failure reads file → case → field.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from settlement.errors import InputError, PolicyError
from settlement.estimate import estimate, parse_request
from settlement.money import yuan
from settlement.policy import PolicySet
from settlement.regions import policies_dir
from settlement.yamlio import load_yaml


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personal_pay: str | None = None
    layers: dict[str, str] = Field(default_factory=dict)
    notes_contain: list[str] = Field(default_factory=list)
    error: str | None = None  # the field an InputError must name


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=8)
    period: date
    input: dict[str, Any]
    output: Expected


@dataclass(frozen=True)
class LoadedCase:
    file: str
    case: Case

    @property
    def label(self) -> str:
        return f"{self.file} → {self.case.name}"


def default_cases_dir() -> Path:
    """policies/cases of the policies directory (settlement/regions.py)."""
    return policies_dir() / "cases"


def load_cases(directory: Path) -> list[LoadedCase]:
    loaded: list[LoadedCase] = []
    for path in sorted(directory.glob("*.yaml")):
        raw = load_yaml(path)
        if not isinstance(raw, list):
            raise PolicyError(str(path), "", "a case file is a list of cases")
        for index, item in enumerate(raw):
            try:
                loaded.append(LoadedCase(path.name, Case.model_validate(item)))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = f"[{index}]." + ".".join(str(p) for p in first["loc"])
                raise PolicyError(str(path), where, first["msg"]) from None
    return loaded


def check_case(loaded: LoadedCase, policies: PolicySet) -> list[str]:
    """Every mismatch as 'file → case → field: expected X, got Y'; empty when the case holds."""
    case = loaded.case
    expected = case.output
    data = {"date": case.period.isoformat(), **case.input}
    try:
        result = estimate(parse_request(data), policies=policies)
    except InputError as exc:
        if expected.error == exc.field:
            return []
        return [f"{loaded.label} → error: expected {expected.error}, got {exc.field} ({exc})"]
    problems: list[str] = []
    if expected.error is not None:
        problems.append(f"{loaded.label} → error: expected {expected.error}, got a result")
        return problems
    if expected.personal_pay is not None and yuan(result.personal_pay) != expected.personal_pay:
        got = yuan(result.personal_pay)
        problems.append(
            f"{loaded.label} → personal_pay: expected {expected.personal_pay}, got {got}"
        )
    paid = {layer.fund.value: yuan(layer.paid) for layer in result.layers}
    for fund, amount in expected.layers.items():
        if paid.get(fund) != amount:
            problems.append(
                f"{loaded.label} → layers.{fund}: expected {amount}, got {paid.get(fund)}"
            )
    for fund, amount in paid.items():
        if fund not in expected.layers and amount != "0.00":
            problems.append(f"{loaded.label} → layers.{fund}: expected nothing, got {amount}")
    for text in expected.notes_contain:
        if not any(text in note for note in result.notes):
            problems.append(f"{loaded.label} → notes: no note contains {text!r}")
    return problems


def run_cases(directory: Path, policies: PolicySet) -> tuple[list[list[str]], int]:
    """The problems of each failing case, and how many cases ran."""
    cases = load_cases(directory)
    results = [check_case(case, policies) for case in cases]
    return [problems for problems in results if problems], len(cases)

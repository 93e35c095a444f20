"""What every layer of the chain sees: the policy on the episode's day, the resident, the
episode, whether poverty tilts apply, and what the layers before it paid."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from settlement.errors import ParameterNotFound
from settlement.identifiers import Category, Fund
from settlement.model import Episode, Layer, Resident, Source
from settlement.money import ZERO, yuan
from settlement.policy import Policy, Resolved
from settlement.rules import Bracket, Parameter, ScalarValue
from settlement.schema import SPECS


@dataclass
class Context:
    policy: Policy
    resident: Resident
    episode: Episode
    eligible: bool
    layers: list[Layer] = field(default_factory=list)
    values: dict[str, Resolved] = field(default_factory=dict)
    paid_so_far: Decimal = ZERO

    def __post_init__(self) -> None:
        self.values = self.policy.in_force(self.episode.day)

    def param(self, name: str) -> Resolved | None:
        """The value in force on the episode's day, None where the region has no such rule;
        ParameterNotFound for a name the schema does not define (a typo in code)."""
        resolved = self.values.get(name)
        if resolved is None:
            # Only a miss can be a typo: the loader checked every name in force.
            if name not in SPECS:
                raise ParameterNotFound(name)
            return None
        return resolved

    def scalar(self, name: str, key: str | None = None) -> ScalarValue:
        """The value in force (by `key` when broken down by level or category), else None."""
        resolved = self.param(name)
        if resolved is None:
            return None
        value = resolved.value
        if isinstance(value, dict):
            return value.get(key) if key is not None else None
        return value

    def decimal(self, name: str, key: str | None = None) -> Decimal | None:
        # param() inlined: the chain reads a decimal about 16 times an episode.
        resolved = self.values.get(name)
        if resolved is None:
            if name not in SPECS:
                raise ParameterNotFound(name)
            return None
        value = resolved.value
        if isinstance(value, dict):
            value = value.get(key) if key is not None else None
        return value if isinstance(value, Decimal) else None

    def flag(self, name: str) -> bool:
        return self.scalar(name) is True

    def scale(self, name: str) -> list[Bracket] | None:
        value = self.scalar(name)
        return cast(list[Bracket], value) if isinstance(value, list) else None

    def names(self, name: str) -> list[str]:
        value = self.scalar(name)
        return [str(v) for v in value] if isinstance(value, list) else []

    def parameter(self, name: str) -> Parameter:
        return self.policy.parameters[name]

    def source(self, name: str) -> Source:
        citation = self.policy.cite(self.parameter(name), self.episode.day)
        return Source(citation.document, citation.clause)

    def cite_text(self, name: str) -> str:
        return self.policy.cite_text(name, self.episode.day)

    def is_assumption(self, *names: str) -> bool:
        """Whether any of the named values in force on the episode's day is an estimate."""
        values = self.values
        return any(n in values and values[n].estimated for n in names)

    def within_yearly_cap(self, fund: Fund, name: str, raw: Decimal) -> tuple[Decimal, str]:
        """`raw` (yuan) limited to what is left this year of the cap `name` (yuan per person
        per year) after the ledger's payments of `fund`, and the phrase the explanation adds
        when the cap binds (「，受每人每年…元限额，本次…元」), else "". No cap: `raw`, ""."""
        cap = self.decimal(name)
        if cap is None:
            return raw, ""
        left = max(ZERO, cap - self.resident.ledger.fund(fund))
        if raw <= left:
            return raw, ""
        return left, f"，受每人每年{yuan(cap)}元限额，本次{yuan(left)}元"

    def add(self, layer: Layer) -> None:
        self.layers.append(layer)
        self.paid_so_far += layer.paid

    @property
    def residual(self) -> Decimal:
        """What the resident would still pay after the layers so far."""
        return self.episode.total - self.paid_so_far

    def paid_by(self, fund: Fund) -> Decimal:
        return sum((layer.paid for layer in self.layers if layer.fund is fund), ZERO)

    @property
    def category_key(self) -> str:
        """Category whose benefits apply: an exited resident within continuation counts as poor."""
        if self.resident.category is Category.EXITED and self.eligible:
            return Category.POOR.value
        return self.resident.category.value

"""What the actions need from the registry, as a Protocol, so tests inject an in-memory fake.

The records are plain frozen dataclasses built inside the registry session: no ORM object, and
no full ID number or phone number, ever leaves the adapter (only the masked forms and the last
six characters needed to verify the resident).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from settlement.identifiers import Category, Disability, Region


@dataclass(frozen=True)
class ResidentRecord:
    id: int
    region: Region
    category: Category
    village: str
    exit_year: int | None
    disability: Disability
    family_doctor: str | None
    diseases: tuple[str, ...]
    masked_id: str  # 150222********1234
    id_tail: str  # the last 6 characters, compared with what the resident types
    card: tuple[str, ...]  # registry.residents.masked_card lines, for cadres
    estimate_fields: dict[str, Any] = field(default_factory=dict)  # registry.lookup
    # per disease name as recorded in the ledger: what the funds paid this year
    chronic_paid: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class CadreRecord:
    id: int
    display_name: str
    role: str  # "cadre" | "admin"
    region: Region | None
    village_names: tuple[str, ...]


class Registry(Protocol):
    """One method per step; each runs in its own committed transaction."""

    def resident_for_sender(self, sender_token: str, now: datetime) -> ResidentRecord | None:
        """The resident whose phone the sender token stands for (None: unknown/expired)."""
        ...

    def resident_for_id_token(self, id_token: str, now: datetime) -> ResidentRecord | None: ...

    def lock_state(self, sender_key: str, now: datetime) -> datetime | None: ...

    def record_failure(self, sender_key: str, now: datetime) -> int: ...

    def clear_failures(self, sender_key: str) -> None: ...

    def cadre(self, cadre_id: int) -> CadreRecord | None: ...

    def request_handoff(
        self,
        *,
        region: Region | None,
        sender_key: str,
        channel: str,
        campaign: str | None,
        summary: str,
        contact_token: str | None = None,
    ) -> int: ...

    def audit(
        self, actor: str, action: str, detail: str = "", resident_id: int | None = None
    ) -> None: ...

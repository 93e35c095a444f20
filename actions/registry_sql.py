"""The real Registry: registry/ functions over a lazily created SQLAlchemy session factory.

Nothing connects at import time (STYLE.md point 9): the engine is created on the first call of
get_registry(), from HEALTHAID_DATABASE_URL.
"""

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from actions.registry_port import CadreRecord, Registry, ResidentRecord
from registry import cadres, handoffs, idnumber, tokens, verification
from registry.db import get_engine, make_sessionmaker
from registry.lookup import estimate_fields
from registry.models import Resident, audit, year_to_date
from registry.residents import find_by_id_number, find_by_openid, find_by_phone, masked_card
from settlement.identifiers import Region


class SqlRegistry:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def resident_for_sender(self, sender_token: str, now: datetime) -> ResidentRecord | None:
        with self._sessions() as session:
            resolved = tokens.resolve(session, sender_token, now)
            if resolved is None:
                return None
            kind, value = resolved
            # A phone number belongs to a resident; a WeChat follower only once staff bound it.
            if kind == "phone":
                resident = find_by_phone(session, value)
            elif kind == "openid":
                resident = find_by_openid(session, value)
            else:
                return None
            return None if resident is None else _record(session, resident, now.year)

    def resident_for_id_token(self, id_token: str, now: datetime) -> ResidentRecord | None:
        with self._sessions() as session:
            resolved = tokens.resolve(session, id_token, now)
            if resolved is None or resolved[0] != "id_number":
                return None
            resident = find_by_id_number(session, resolved[1])
            return None if resident is None else _record(session, resident, now.year)

    def lock_state(self, sender_key: str, now: datetime) -> datetime | None:
        with self._sessions() as session:
            return verification.lock_state(session, sender_key, now)

    def record_failure(self, sender_key: str, now: datetime) -> int:
        with self._sessions() as session:
            failures = verification.record_failure(session, sender_key, now)
            session.commit()
            return failures

    def clear_failures(self, sender_key: str) -> None:
        with self._sessions() as session:
            verification.clear(session, sender_key)
            session.commit()

    def cadre(self, cadre_id: int) -> CadreRecord | None:
        with self._sessions() as session:
            cadre = cadres.get(session, cadre_id)
            if cadre is None:
                return None
            region = Region(cadre.region) if cadre.region else None
            return CadreRecord(
                cadre.id, cadre.display_name, cadre.role, region, tuple(cadre.village_names)
            )

    def request_handoff(
        self,
        *,
        region: Region | None,
        sender_key: str,
        channel: str,
        campaign: str | None,
        summary: str,
        contact_token: str | None = None,
    ) -> int:
        with self._sessions() as session:
            handoff = handoffs.request(
                session,
                region=region.value if region else None,
                sender_key=sender_key,
                channel=channel,
                campaign=campaign,
                summary=summary,
                contact_token=contact_token,
            )
            session.commit()
            return handoff.id

    def audit(
        self, actor: str, action: str, detail: str = "", resident_id: int | None = None
    ) -> None:
        with self._sessions() as session:
            audit(session, actor, action, detail, resident_id=resident_id)
            session.commit()


def _record(session: Session, resident: Resident, year: int) -> ResidentRecord:
    ledger = year_to_date(session, resident.id, year)
    chronic_paid: dict[str, Decimal] = {
        disease: sum(per_fund.values(), Decimal("0.00"))
        for disease, per_fund in ledger["diseases"].items()
    }
    fields: dict[str, Any] = estimate_fields(resident, dict(ledger))
    return ResidentRecord(
        id=resident.id,
        region=resident.region,
        category=resident.category,
        village=resident.village,
        exit_year=resident.exit_year,
        disability=resident.disability,
        family_doctor=resident.family_doctor,
        diseases=tuple(resident.disease_names),
        masked_id=idnumber.mask(resident.id_number),
        id_tail=idnumber.normalize(resident.id_number)[-6:],
        card=tuple(masked_card(resident)),
        estimate_fields=fields,
        chronic_paid=chronic_paid,
    )


@functools.cache
def get_registry() -> Registry:
    """The process-wide registry, created on first use (never at import)."""
    return SqlRegistry(make_sessionmaker(get_engine()))

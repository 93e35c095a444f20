"""A registered resident's facts as estimate input: category, disability, this year's ledger."""

from datetime import date
from typing import Any

from registry import idnumber
from registry.db import make_sessionmaker, ready_engine
from registry.models import Resident, audit, year_to_date
from registry.residents import find_by_id_number
from settlement.errors import InputError
from settlement.identifiers import region_name


def estimate_fields(resident: Resident, ledger: dict[str, Any]) -> dict[str, Any]:
    """Fields of settlement.estimate.EstimateRequest taken from the registry record."""
    chronic = {
        disease: sum(per_fund.values())
        for disease, per_fund in ledger["diseases"].items()
        if per_fund
    }
    fields: dict[str, Any] = {
        "region": resident.region.value,
        "category": resident.category.value,
        "disability": resident.disability.value,
        "paid_this_year": {
            fund.value: amount for fund, amount in ledger["funds"].items() if amount
        },
        "chronic_paid_this_year": chronic,
    }
    if resident.exit_year is not None:
        fields["exit_year"] = resident.exit_year
    return fields


def resident_estimate_fields(id_number: str, request: dict[str, Any]) -> dict[str, Any]:
    """Look the resident up (audited as a CLI lookup) and return their estimate fields.

    The requested region must match the registered one: an estimate under another region's
    rules would be wrong for this resident.
    """
    reason = idnumber.explain_invalid(id_number)
    if reason is not None:
        raise InputError("resident", reason)
    year = (
        date.fromisoformat(str(request["date"])).year if request.get("date") else date.today().year
    )
    engine = ready_engine()
    try:
        with make_sessionmaker(engine)() as session:
            resident = find_by_id_number(session, id_number)
            if resident is None:
                raise InputError(
                    "resident", f"登记系统中没有身份证号为{idnumber.mask(id_number)}的居民"
                )
            ledger = year_to_date(session, resident.id, year)
            audit(session, "cli", "estimate_lookup", f"year={year}", resident_id=resident.id)
            session.commit()
            fields = estimate_fields(resident, dict(ledger))
    finally:
        engine.dispose()
    if request.get("region") not in (None, fields["region"]):
        registered = region_name(fields["region"])
        raise InputError("region", f"该居民登记在{registered}，与所选地区不一致")
    return fields

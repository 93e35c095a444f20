"""Requests to talk to a person (转人工), for the region's cadres to pick up."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.channel_models import Handoff


def request(
    session: Session,
    *,
    region: str | None,
    sender_key: str,
    channel: str,
    campaign: str | None,
    summary: str,
) -> Handoff:
    handoff = Handoff(
        region=region, sender_key=sender_key, channel=channel, campaign=campaign, summary=summary
    )
    session.add(handoff)
    session.flush()  # the id is shown to the resident as a reference number
    return handoff


def open_handoffs(session: Session, region: str | None = None) -> list[Handoff]:
    query = select(Handoff).where(Handoff.status == "open").order_by(Handoff.at.desc())
    if region is not None:
        query = query.where(Handoff.region == region)
    return list(session.scalars(query))


def close(session: Session, handoff_id: int, region: str) -> bool:
    """Mark a request handled; only within the region it belongs to. True when closed."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.region != region or handoff.status != "open":
        return False
    handoff.status = "closed"
    return True

"""Reading a tracker: metadata, the latest intent and entities, the region, who is asking.

Shared by every action family; pure functions of the tracker, so each is tested by replaying a
tracker dict.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any

from actions.sdk import Tracker
from actions.vocabulary import to_region
from settlement.identifiers import Region, region_name

METADATA_SLOTS = ("channel", "campaign", "sender_token", "cadre_id")
ACTOR_LENGTH = 64  # registry.models.AuditLog.actor


def utcnow() -> datetime:
    return datetime.now(UTC)


def metadata(tracker: Tracker) -> dict[str, Any]:
    """The gateway's metadata: the session's, overridden by the latest message's."""
    merged: dict[str, Any] = {}
    session = tracker.get_slot("session_started_metadata")
    if isinstance(session, dict):
        merged.update(session)
    latest = (tracker.latest_message or {}).get("metadata")
    if isinstance(latest, dict):
        merged.update(latest)
    return merged


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Every value of `entity` in the latest message, in order."""
    found = (tracker.latest_message or {}).get("entities") or []
    return [str(e["value"]) for e in found if e.get("entity") == entity and e.get("value")]


def first_entity(tracker: Tracker, entity: str) -> str | None:
    values = entity_values(tracker, entity)
    return values[0] if values else None


def latest_text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text")
    return text if isinstance(text, str) else ""


def known_region(tracker: Tracker) -> Region | None:
    """Region from the message (entity), else the slot, else the gateway's metadata."""
    for value in (first_entity(tracker, "region"), tracker.get_slot("region")):
        region = to_region(value)
        if region is not None:
            return region
    return to_region(metadata(tracker).get("region"))


def sender_key(tracker: Tracker) -> str:
    """The key for locks and handoffs: the gateway's sender id is already a keyed hash."""
    return str(tracker.sender_id)


def actor(tracker: Tracker) -> str:
    """Who is asking, for the audit log: channel and a short hash, never a raw identifier."""
    cadre_id = cadre_of(tracker)
    if cadre_id is not None:
        return f"cadre:{cadre_id}"
    channel = str(metadata(tracker).get("channel") or tracker.get_slot("channel") or "unknown")
    digest = hashlib.sha256(sender_key(tracker).encode()).hexdigest()[:16]
    return f"{channel}:{digest}"[:ACTOR_LENGTH]


def cadre_of(tracker: Tracker) -> int | None:
    """The signed-in cadre: metadata first (the gateway authenticated them), then the slot."""
    for value in (metadata(tracker).get("cadre_id"), tracker.get_slot("cadre_id")):
        if value is None or value == "":
            continue
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return None


def sender_token(tracker: Tracker) -> str | None:
    value = metadata(tracker).get("sender_token") or tracker.get_slot("sender_token")
    return str(value) if value else None


def region_buttons() -> list[dict[str, str]]:
    """Buttons (numbered choices on SMS) whose payloads set the region entity."""
    return [
        {"title": region_name(region), "payload": f'/inform{{"region":"{region.value}"}}'}
        for region in Region.all()
    ]

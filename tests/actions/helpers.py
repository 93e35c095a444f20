"""Replaying trackers: realistic tracker dicts, running an action, the dispatcher's messages."""

import asyncio
from typing import Any

from actions.sdk import Action, CollectingDispatcher, DomainDict, EventType, Tracker

SENDER = "u_3f1c9a0b2d4e"  # the gateway's keyed hash of the phone, never the phone itself

DOMAIN: DomainDict = {
    "forms": {
        "estimate_form": {"required_slots": ["region", "setting", "total", "level"]},
        "verify_form": {"required_slots": ["digits"]},
    },
    # The metadata slots as bot/domain.yml declares them (custom mappings, no form condition).
    "slots": {
        name: {"type": "text", "mappings": [{"type": "custom"}]}
        for name in ("channel", "campaign", "sender_token", "cadre_id")
    },
}


def message(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """latest_message as Rasa sends it to the action server."""
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
        "entities": entities or [],
        "metadata": metadata or {"channel": "sms"},
    }


def entity(name: str, value: str, start: int = 0) -> dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "start": start,
        "end": start + len(value),
        "extractor": "DIETClassifier",
    }


def tracker(
    latest: dict[str, Any],
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    sender: str = SENDER,
    new_slots: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker after one user turn.

    `slots` were set in earlier turns; `new_slots` were just mapped from this message (the
    slots a form validates).
    """
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.1},
    ]
    for name, value in (slots or {}).items():
        events.append({"event": "slot", "name": name, "value": value, "timestamp": 1.5})
    events += [
        {"event": "action", "name": "action_listen", "timestamp": 1.9},
        {"event": "user", "text": latest["text"], "parse_data": latest, "timestamp": 2.0},
    ]
    for name, value in (new_slots or {}).items():
        events.append({"event": "slot", "name": name, "value": value, "timestamp": 2.1})
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": dict(slots or {}) | dict(new_slots or {}),
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def run(action: Action, state: Tracker) -> tuple[list[EventType], list[dict[str, Any]]]:
    """Run the action as the action server does; the events and the messages sent."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, DOMAIN))
    return events, dispatcher.messages


def text_message(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What CollectingDispatcher records for utter_message(text=…, buttons=…)."""
    return {
        "text": text,
        "buttons": buttons or [],
        "elements": [],
        "custom": {},
        "template": None,
        "response": None,
        "image": None,
        "attachment": None,
    }

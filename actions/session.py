"""action_session_start and the per-turn metadata slots (action_validate_slot_mappings).

The gateway sends {channel, campaign, topic, region, sender_token, cadre_id} as metadata. At
session start they become slots. A campaign's topic is not answered here: the gateway opens a
campaign conversation with the topic's intent (`/ask_<topic>`), which action_answer_topic
answers, so answering here too would say it twice. Every later turn the custom slot mappings
keep the four metadata slots current.
"""

from typing import Any

from actions.context import METADATA_SLOTS, metadata
from actions.sdk import (
    Action,
    ActionExecuted,
    CollectingDispatcher,
    DomainDict,
    EventType,
    SessionStarted,
    SlotSet,
    Tracker,
    ValidationAction,
)
from actions.vocabulary import to_region

# Kept from the previous session: facts about the resident, not about one conversation.
# `verified` is deliberately not carried over: a new session verifies again.
CARRY_OVER = ("region", "category")


def metadata_slots(meta: dict[str, Any]) -> dict[str, Any]:
    """Slot values from the metadata; cadre_id as text, as the domain declares it."""
    values: dict[str, Any] = {}
    for name in METADATA_SLOTS:
        value = meta.get(name)
        if value is not None and value != "":
            values[name] = str(value)
    return values


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        meta = metadata(tracker)
        events: list[EventType] = [SessionStarted()]
        for name in CARRY_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        events += [SlotSet(name, value) for name, value in metadata_slots(meta).items()]
        region = to_region(meta.get("region")) or to_region(tracker.get_slot("region"))
        if region is not None and tracker.get_slot("region") != region.value:
            events.append(SlotSet("region", region.value))
        events.append(ActionExecuted("action_listen"))
        return events


class ValidateSlotMappings(ValidationAction):
    """Custom slot mappings (domain `type: custom`): the metadata slots, every turn."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def _from_metadata(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        value = metadata_slots((tracker.latest_message or {}).get("metadata") or {}).get(slot)
        if value is None or tracker.get_slot(slot) == value:
            return {}
        return {slot: value}

    def extract_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._from_metadata(tracker, "channel")

    def extract_campaign(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._from_metadata(tracker, "campaign")

    def extract_sender_token(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._from_metadata(tracker, "sender_token")

    def extract_cadre_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._from_metadata(tracker, "cadre_id")

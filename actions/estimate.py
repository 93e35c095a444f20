"""estimate_form validation, action_estimate and action_estimate_detail (thin adapters).

The rules live in actions/estimate_logic.py; these classes only read the tracker and emit
events. A verified resident's category, exit year and this year's ledger come from the registry
(registry.lookup.estimate_fields), so they are never asked.
"""

from typing import Any

from actions import estimate_logic as logic
from actions.answers import default_chronic_table
from actions.context import first_entity, latest_intent, latest_text, sender_token, utcnow
from actions.numerals import read_amount
from actions.registry_port import Registry
from actions.registry_sql import get_registry
from actions.sdk import (
    Action,
    CollectingDispatcher,
    DomainDict,
    EventType,
    FormValidationAction,
    SlotSet,
    Tracker,
)
from actions.vocabulary import to_category, to_level, to_region, to_setting

FORM_SLOTS = ("region", "setting", "level", "total", "out_of_catalogue", "disease", "category")
NO_ESTIMATE_YET = "还没有算过。请告诉我：哪个地区、住院还是门诊、哪级医院、一共花了多少钱。"
_AMOUNT_INTENTS = {"inform", "estimate_cost", "correct"}


def _amount_span(tracker: Tracker, slot: str) -> str | None:
    """The amount the resident just gave for `slot`: the entity, or the text when asked for it."""
    entity = first_entity(tracker, "amount")
    if entity and latest_intent(tracker) in _AMOUNT_INTENTS | {None}:
        return entity
    if tracker.get_slot("requested_slot") == slot:
        text = latest_text(tracker)
        if read_amount(text) is not None or slot == "out_of_catalogue":
            return text
    return None


class ValidateEstimateForm(FormValidationAction):
    def name(self) -> str:
        return "validate_estimate_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        verified = tracker.get_slot("verified") is True
        return logic.required_slots(
            tracker.get_slot("region"), tracker.get_slot("setting"), verified
        )

    async def extract_total(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        span = _amount_span(tracker, "total")
        return {} if span is None else {"total": span}

    async def extract_out_of_catalogue(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "out_of_catalogue":
            return {}
        span = _amount_span(tracker, "out_of_catalogue")
        return {} if span is None else {"out_of_catalogue": span}

    async def extract_disease(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The domain maps the `disease` entity; this method exists because the slot is asked
        # only for 固阳 chronic care, outside the domain's list, where rasa_sdk wants one.
        return {}

    def validate_total(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        check = logic.check_total(value)
        if check.message:
            dispatcher.utter_message(text=check.message)
        return {"total": check.value}

    def validate_out_of_catalogue(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        check = logic.check_out_of_catalogue(value, latest_intent(tracker))
        if check.message:
            dispatcher.utter_message(text=check.message)
        return {"out_of_catalogue": check.value}

    def validate_region(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        region = to_region(value)
        return {"region": region.value if region else None}

    def validate_setting(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        setting = to_setting(value)
        return {"setting": setting.value if setting else None}

    def validate_level(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        level = to_level(value)
        return {"level": level.value if level else None}

    def validate_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        category = to_category(value)
        return {"category": category.value if category else None}

    def validate_disease(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only Guyang asks for the disease; its annex names the 45 that count (附件).
        row = default_chronic_table().find(str(value)) if value else None
        if row is None:
            dispatcher.utter_message(
                text=f"“{value}”不在固阳县45种特殊慢性病名单里。请说名单里的病名，比如：高血压、糖尿病。"
            )
            return {"disease": None}
        return {"disease": row.name}


class ActionEstimate(Action):
    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        return "action_estimate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = {name: tracker.get_slot(name) for name in FORM_SLOTS}
        registered = self._registered_fields(tracker)
        reply = logic.estimate_reply(slots, registered)
        dispatcher.utter_message(text=reply.text)
        return [SlotSet("estimate_detail", reply.detail)]

    def _registered_fields(self, tracker: Tracker) -> dict[str, Any] | None:
        """A verified resident's registry facts; None for everyone else."""
        token = sender_token(tracker)
        if tracker.get_slot("verified") is not True or token is None:
            return None
        registry = self._registry or get_registry()
        record = registry.resident_for_sender(token, utcnow())
        return dict(record.estimate_fields) if record is not None else None


class ActionEstimateDetail(Action):
    def name(self) -> str:
        return "action_estimate_detail"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lines = tracker.get_slot("estimate_detail")
        if not lines:
            dispatcher.utter_message(text=NO_ESTIMATE_YET)
            return []
        dispatcher.utter_message(text="\n".join(str(line) for line in lines))
        return []

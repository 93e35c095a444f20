"""Personal lookups: a resident's own benefits (verified) and a cadre's lookup of a resident.

action_my_benefits answers only a verified sender (verify_form, validate_verify_form);
action_lookup_resident answers only a signed-in cadre, and only for residents of the cadre's
own villages. Both are audited; replies carry masked identifiers only.
"""

from datetime import datetime

from actions.benefits import benefits_text
from actions.context import (
    actor,
    cadre_of,
    first_entity,
    latest_intent,
    latest_text,
    sender_key,
    sender_token,
    utcnow,
)
from actions.registry_port import Registry
from actions.registry_sql import get_registry
from actions.sdk import (
    Action,
    CollectingDispatcher,
    DomainDict,
    EventType,
    FollowupAction,
    FormValidationAction,
    SlotSet,
    Tracker,
)
from actions.verification import Outcome, digits_in, verify

NOT_A_CADRE = "这个功能只对登录的村干部开放。"
ASK_ID = "请发送要查询的居民身份证号（系统会自动加密）。"
NOT_FOUND = "没有找到这位居民，或查询已过期（30分钟），请重新发送身份证号。"
NOT_YOUR_VILLAGE = "这位居民不在您负责的村，不能查询。如确需查询，请联系管理员。"
UNKNOWN_CADRE = "无法确认您的干部身份，请重新登录后再查。"
EXPIRED = "登记信息暂时查不到了，请稍后再试，或回复“人工”。"


class _RegistryUser:
    """Holds an injected registry (tests) or reaches the process-wide one on first use."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    @property
    def registry(self) -> Registry:
        return self._registry or get_registry()


def _given_digits(tracker: Tracker) -> str | None:
    """The resident's answer: the slot (domain mapping), the entity, or six characters typed."""
    for value in (tracker.get_slot("digits"), first_entity(tracker, "digits")):
        if value:
            return str(value)
    if latest_intent(tracker) == "provide_digits":
        return digits_in(latest_text(tracker))
    return None


def verification_events(outcome: Outcome) -> list[EventType]:
    """Slot events for one step; the digits slot is always emptied (no slot keeps ID digits)."""
    done = SlotSet("requested_slot", None)  # ends the form early (Rasa's documented way)
    if outcome.status == "verified":
        return [SlotSet("digits", None), SlotSet("verified", True), done]
    if outcome.status == "ask":
        return [SlotSet("requested_slot", "digits")]
    if outcome.status == "wrong":
        return [SlotSet("digits", None), SlotSet("requested_slot", "digits")]
    return [SlotSet("digits", None), SlotSet("verified", False), done]


class ValidateVerifyForm(_RegistryUser, FormValidationAction):
    """Runs the whole step itself: the lock and the registry decide, not slot mappings."""

    def name(self) -> str:
        return "validate_verify_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome = verify(
            self.registry,
            sender_key=sender_key(tracker),
            token=sender_token(tracker),
            digits=_given_digits(tracker),
            now=utcnow(),
            actor=actor(tracker),
        )
        if outcome.message:
            dispatcher.utter_message(text=outcome.message)
        return verification_events(outcome)


class ActionMyBenefits(_RegistryUser, Action):
    def name(self) -> str:
        return "action_my_benefits"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        verified = tracker.get_slot("verified")
        if verified is False:
            # validate_verify_form has already said why; let a later request try again.
            return [SlotSet("verified", None)]
        token = sender_token(tracker)
        if verified is not True or token is None:
            return [FollowupAction("verify_form")]
        now = utcnow()
        record = self.registry.resident_for_sender(token, now)
        if record is None:
            dispatcher.utter_message(text=EXPIRED)
            return [SlotSet("verified", None)]
        self.registry.audit(actor(tracker), "benefits_lookup", resident_id=record.id)
        dispatcher.utter_message(text=benefits_text(record, now.date()))
        return []


class ActionLookupResident(_RegistryUser, Action):
    def name(self) -> str:
        return "action_lookup_resident"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=cadre_lookup(self.registry, tracker, utcnow()))
        return []


def cadre_lookup(registry: Registry, tracker: Tracker, now: datetime) -> str:
    """The resident's masked card, for a cadre of the resident's village; audited either way."""
    cadre_id = cadre_of(tracker)
    if cadre_id is None:
        return NOT_A_CADRE
    who = actor(tracker)
    cadre = registry.cadre(cadre_id)
    if cadre is None:
        registry.audit(who, "cadre_lookup_refused", "unknown cadre")
        return UNKNOWN_CADRE
    token = first_entity(tracker, "id_token")
    if token is None:
        return ASK_ID
    record = registry.resident_for_id_token(token, now)
    if record is None:
        registry.audit(who, "cadre_lookup_not_found")
        return NOT_FOUND
    if record.village not in cadre.village_names:
        registry.audit(who, "cadre_lookup_refused", "not the cadre's village", record.id)
        return NOT_YOUR_VILLAGE
    registry.audit(who, "cadre_lookup", resident_id=record.id)
    return "\n".join(record.card)

"""Personal lookups: a resident's own benefits (verified) and a cadre's lookup of a resident.

action_my_benefits answers only a verified sender (verify_form, validate_verify_form);
action_lookup_resident answers only a signed-in cadre, and only for residents of the cadre's
own villages. Both are audited; replies carry masked identifiers only.
"""

from datetime import datetime

from actions.answers import Topic, default_answers, format_answer
from actions.benefits import benefits_text
from actions.context import (
    actor,
    cadre_of,
    first_entity,
    known_region,
    latest_intent,
    latest_text,
    sender_key,
    sender_token,
    utcnow,
)
from actions.registry_port import Registry, ResidentRecord
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
NOT_A_CADRE_PERSONAL = (
    "查别人的待遇只对登录的村干部开放。本人可以发“我的待遇”查自己的；"
    "问政策可以直接问，比如：贫困户住院能报几成。"
)
FOLLOW_UP_HINT = "可以接着问：他慢病额度还剩多少、帮他算县医院住院1万自己出多少。"


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


def with_region_overview(outcome: Outcome, tracker: Tracker) -> str:
    """An unregistered sender who asked what they can get still hears what their region gives
    (「俺能享受啥」 from a phone not on file)."""
    message = outcome.message or ""
    region = known_region(tracker)
    if outcome.status != "unregistered" or region is None:
        return message
    overview = format_answer(default_answers().answer(Topic.OVERVIEW, region))
    return f"{message}\n{overview}"


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
            dispatcher.utter_message(text=with_region_overview(outcome, tracker))
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
        # Later rule questions are answered for the resident's own region.
        return [SlotSet("region", record.region.value)]


class ActionLookupResident(_RegistryUser, Action):
    """A cadre's lookup (「查一下居民 <ID>」), and follow-ups about the same resident
    (「他慢病额度还剩多少」): the resident looked up is remembered as `subject` (the gateway's
    expiring token, never the ID number) and every follow-up is checked and audited again."""

    def name(self) -> str:
        return "action_lookup_resident"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        now = utcnow()
        token = first_entity(tracker, "id_token")
        if token is None and cadre_of(tracker) is not None and tracker.get_slot("subject"):
            record = subject_record(self.registry, tracker, now, "cadre_followup")
            if record is None:
                dispatcher.utter_message(text=NOT_FOUND)
                return [SlotSet("subject", None)]
            dispatcher.utter_message(text=benefits_text(record, now.date()))
            return []
        if token is None and cadre_of(tracker) is None:
            sender = sender_token(tracker)
            if sender and self.registry.resident_for_sender(sender, now) is not None:
                # 「俺家娃在你们这登记过 他能享受啥」 from the phone registered for the child:
                # the household's own record, after the usual verification.
                return [FollowupAction("action_my_benefits")]
            dispatcher.utter_message(text=NOT_A_CADRE_PERSONAL)
            return []
        reply, found = cadre_lookup(self.registry, tracker, now)
        dispatcher.utter_message(text=reply)
        return [SlotSet("subject", token)] if found else []


def subject_record(
    registry: Registry, tracker: Tracker, now: datetime, action: str
) -> ResidentRecord | None:
    """The resident a signed-in cadre looked up, still in the cadre's villages; audited.

    None when there is no cadre, no subject, the token expired or the village does not match.
    """
    cadre_id, token = cadre_of(tracker), tracker.get_slot("subject")
    if cadre_id is None or not token:
        return None
    cadre = registry.cadre(cadre_id)
    record = registry.resident_for_id_token(str(token), now)
    if cadre is None or record is None or record.village not in cadre.village_names:
        registry.audit(actor(tracker), f"{action}_refused")
        return None
    registry.audit(actor(tracker), action, resident_id=record.id)
    return record


def cadre_lookup(registry: Registry, tracker: Tracker, now: datetime) -> tuple[str, bool]:
    """The resident's masked card, for a cadre of the resident's village; audited either way.

    Returns the reply and whether a resident was found and shown."""
    cadre_id = cadre_of(tracker)
    if cadre_id is None:
        return NOT_A_CADRE, False
    who = actor(tracker)
    cadre = registry.cadre(cadre_id)
    if cadre is None:
        registry.audit(who, "cadre_lookup_refused", "unknown cadre")
        return UNKNOWN_CADRE, False
    token = first_entity(tracker, "id_token")
    if token is None:
        return ASK_ID, False
    record = registry.resident_for_id_token(token, now)
    if record is None:
        registry.audit(who, "cadre_lookup_not_found")
        return NOT_FOUND, False
    if record.village not in cadre.village_names:
        registry.audit(who, "cadre_lookup_refused", "not the cadre's village", record.id)
        return NOT_YOUR_VILLAGE, False
    registry.audit(who, "cadre_lookup", resident_id=record.id)
    return "\n".join((*record.card, FOLLOW_UP_HINT)), True

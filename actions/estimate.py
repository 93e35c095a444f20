"""estimate_form validation, action_estimate and action_estimate_detail (thin adapters).

The rules live in actions/estimate_logic.py; these classes only read the tracker and emit
events. A verified resident's category, exit year and this year's ledger come from the registry
(registry.lookup.estimate_fields), so they are never asked.
"""

from typing import Any

from actions import estimate_logic as logic
from actions.answers import (
    Topic,
    chronic_list_name,
    chronic_table,
    default_answers,
    format_answer,
)
from actions.context import (
    cadre_of,
    first_entity,
    known_region,
    latest_intent,
    latest_text,
    sender_token,
    utcnow,
)
from actions.fallback import only_our_regions
from actions.lookup import subject_record
from actions.registry_port import Registry
from actions.registry_sql import get_registry
from actions.sdk import (
    Action,
    ActionExecutionRejected,
    CollectingDispatcher,
    DomainDict,
    EventType,
    FollowupAction,
    FormValidationAction,
    SlotSet,
    Tracker,
)
from actions.topics import asks_going_on, previous_topic
from actions.vocabulary import to_category, to_level, to_region, to_setting
from settlement.identifiers import Region
from understanding.numerals import read_amount
from understanding.reader import episode_facts, stops_calculating, topic_cue, topic_cues

FORM_SLOTS = ("region", "setting", "level", "total", "out_of_catalogue", "disease", "category")
NO_ESTIMATE_YET = "还没有算过。请告诉我：哪个地区、住院还是门诊、哪级医院、一共花了多少钱。"
_AMOUNT_INTENTS = {"inform", "estimate_cost", "correct"}
# A turn of these that fills nothing is a stray answer: the form asks again in other words.
# Any other intent (a topic question, help, 人工…) lets the form reject the turn, so the
# rules answer it and the form goes on afterwards.
SIDE_INTENTS = frozenset({"help", "out_of_scope", "nlu_fallback", "human_handoff", "goodbye"})
STRAY_INTENTS = frozenset(
    {"inform", "affirm", "deny", "correct", "estimate_cost", "greet", "thanks", "provide_digits"}
)


def _amount_span(tracker: Tracker, slot: str) -> str | None:
    """The amount the resident just gave for `slot`: the entity, or the text when asked for it."""
    entity = first_entity(tracker, "amount")
    if entity and latest_intent(tracker) in _AMOUNT_INTENTS | {None}:
        return entity
    if tracker.get_slot("requested_slot") == slot:
        text = latest_text(tracker)
        if read_amount(text) is not None:
            return text
    return None


def _registered_fields(registry: Registry | None, tracker: Tracker) -> dict[str, Any] | None:
    """The registry facts of whom the estimate is for: a verified resident, or the resident a
    signed-in cadre looked up (checked against the cadre's villages and audited); None for
    everyone else."""
    now = utcnow()
    source = registry or get_registry()
    if cadre_of(tracker) is not None and tracker.get_slot("subject"):
        subject = subject_record(source, tracker, now, "cadre_estimate")
        return dict(subject.estimate_fields) if subject is not None else None
    token = sender_token(tracker)
    if tracker.get_slot("verified") is not True or token is None:
        return None
    record = source.resident_for_sender(token, now)
    return dict(record.estimate_fields) if record is not None else None


def _side_question(tracker: Tracker) -> bool:
    intent = latest_intent(tracker) or ""
    topic = intent.startswith("ask_") and intent != "ask_detail"
    return topic or intent in SIDE_INTENTS


OUTSIDE_LOOKBACK = 3  # user turns back to look for an out-of-catalogue part said before


def _outside_said(tracker: Tracker) -> str | None:
    """The out-of-catalogue part of this message, or of one of the last few before it since
    the last estimate (「目录外的药花了8000 能不能补点」 then 「总共花了2万5」)."""
    said = first_entity(tracker, "out_of_catalogue")
    if said is not None:
        return said
    turns = 0
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_estimate":
            return None
        if event.get("event") != "user":
            continue
        turns += 1
        if turns == 1:
            continue  # the latest message, read above
        if turns > OUTSIDE_LOOKBACK:
            return None
        for found in (event.get("parse_data") or {}).get("entities") or []:
            if found.get("entity") == "out_of_catalogue" and found.get("value") is not None:
                return str(found["value"])
    return None


def _answers_asked(tracker: Tracker) -> bool:
    """Whether the message holds what the form asks for (「-5000」 while the total is asked,
    however the classifier labelled it): then it is an answer, checked like any other."""
    asked = tracker.get_slot("requested_slot")
    if asked == "total":
        return read_amount(latest_text(tracker)) is not None
    return isinstance(asked, str) and first_entity(tracker, asked) is not None


def _resuming(tracker: Tracker) -> bool:
    """Whether the form comes back after another action answered the latest message (its
    validation then sees that message again, and must not reject it twice)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        name = event.get("name") if event.get("event") == "action" else None
        if name and name not in ("estimate_form", "action_listen", "validate_estimate_form"):
            return True
    return False


def _filled(events: list[EventType]) -> bool:
    return any(
        event.get("event") == "slot"
        and event.get("name") in FORM_SLOTS
        and event.get("value") is not None
        for event in events
    )


ASK_REGION = "您是哪个地方的？"
REASK_REGION = "还需要知道您是哪个地方的，各地政策不一样："


class ActionAskRegion(Action):
    """The estimate form's region question, with one button per region of policies/ (short
    names, in the rules' order): the list of regions is data, so it is not a domain response.
    After a turn that filled nothing (`reask`) it says why the region is needed."""

    def name(self) -> str:
        return "action_ask_region"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = REASK_REGION if tracker.get_slot("reask") else ASK_REGION
        buttons = [
            {"title": region.short, "payload": f'/inform{{"region":"{region.value}"}}'}
            for region in Region.all()
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ValidateEstimateForm(FormValidationAction):
    """Fills and checks the estimate form. A turn that fills nothing (a stray answer such as
    「贫困户」 while the level is asked) sets `reask`, so the form asks again in other words
    (the response variation conditioned on it) instead of being rejected and lost."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        return "validate_estimate_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if stops_calculating(latest_text(tracker)):
            # 「先不算了 俺想问问慢性病药能报不」: the form ends with nothing estimated (no total:
            # action_estimate, which the completed form's rule runs next, says so and answers a
            # rule question of the same message).
            return [SlotSet("total", None), SlotSet("requested_slot", None)]
        if _side_question(tracker) and not _resuming(tracker) and not _answers_asked(tracker):
            # A question beside the form (「一站式结算在哪办」「住院要先交押金吗」) fills nothing:
            # the form's turn is rejected even when the message named a region or setting (which
            # Rasa's slot extraction already counted as an answer), and the interruption rules
            # answer it before the form goes on.
            return [ActionExecutionRejected("estimate_form")]
        place = first_entity(tracker, "place")
        if place and not first_entity(tracker, "region") and not tracker.get_slot("region"):
            dispatcher.utter_message(text=only_our_regions(place))
        events = await super().run(dispatcher, tracker, domain)
        asked = tracker.get_slot("requested_slot")
        if asked and not _filled(events) and latest_intent(tracker) in STRAY_INTENTS:
            events.append(SlotSet("reask", True))
        elif tracker.get_slot("reask"):
            events.append(SlotSet("reask", None))
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = {name: tracker.get_slot(name) for name in FORM_SLOTS}
        registered = _registered_fields(self._registry, tracker)
        needed = logic.required_slots(slots, registered is not None, registered)
        said_outside = _outside_said(tracker) is not None
        if said_outside and "out_of_catalogue" not in needed:
            needed.append("out_of_catalogue")  # checked against the total, then counted
        return needed

    async def extract_total(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        span = _amount_span(tracker, "total")
        return {} if span is None else {"total": span}

    async def extract_out_of_catalogue(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = first_entity(tracker, "out_of_catalogue")  # 「目录外的有三万」「都是目录内的」
        if said is not None:
            return {"out_of_catalogue": said}
        before = _outside_said(tracker)  # said a turn or two before the bill
        if before is not None and not tracker.get_slot("out_of_catalogue"):
            return {"out_of_catalogue": before}
        if tracker.get_slot("requested_slot") != "out_of_catalogue":
            return {}
        span = _amount_span(tracker, "out_of_catalogue")
        return {} if span is None else {"out_of_catalogue": span}

    async def extract_disease(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The domain maps the `disease` entity; this method exists because the slot is asked
        # only where a region's rules name a chronic disease table, outside the domain's list,
        # where rasa_sdk wants one.
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
        check = logic.check_out_of_catalogue(
            value, latest_intent(tracker), tracker.get_slot("total")
        )
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
        # Asked only where the region's rules name a table of chronic diseases (its annex).
        region = known_region(tracker)
        table = chronic_table(region)
        if table is None:
            return {"disease": str(value) if value else None}
        row = table.find(str(value)) if value else None
        if row is None:
            examples = "、".join(table.examples or [d.name for d in table.diseases[:2]])
            listed = chronic_list_name(region, table) if region else "名单"
            dispatcher.utter_message(
                text=f"“{value}”不在{listed}里。请说名单里的病名，比如：{examples}。"
            )
            return {"disease": None}
        return {"disease": row.name}


STOPPED = "好的，先不算了。"


def _answered_this_turn(tracker: Tracker) -> bool:
    """Whether action_answer_topic already ran after the latest message (the topic rule
    answered it before the form ended)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == "action_answer_topic":
            return True
    return False


SAID_LOOKBACK = 6  # user turns back to look for what was said of the person and the stay


def _said_for_this_estimate(tracker: Tracker) -> list[str]:
    """The resident's last SAID_LOOKBACK messages: where 「娃是重度残疾」 or 「今年第二回住院」
    was said before the bill, and still counts when a correction (「不对，是3万」) redoes it."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            texts.append(str(event.get("text") or ""))
            if len(texts) >= SAID_LOOKBACK:
                break
    return texts


class ActionEstimate(Action):
    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        return "action_estimate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = {name: tracker.get_slot(name) for name in FORM_SLOTS}
        if not slots.get("total"):
            # The form ended without a bill: the resident stopped it (「先不算了」).
            dispatcher.utter_message(text=STOPPED)
            topic = topic_cue(latest_text(tracker))
            if topic is not None and not _answered_this_turn(tracker):
                return [
                    SlotSet("requested_topic", topic),
                    FollowupAction("action_answer_topic"),
                ]
            return []
        registered = _registered_fields(self._registry, tracker)
        said = episode_facts("。".join(_said_for_this_estimate(tracker)))
        reply = logic.estimate_reply(slots, registered, said=said)
        dispatcher.utter_message(text=reply.text)
        also = also_asked(latest_text(tracker), slots.get("region"))
        if also is not None:
            dispatcher.utter_message(text=also)
        return [SlotSet("estimate_detail", reply.detail)]


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


# Questions about the process a bill message may ask besides the amount (「花了八千五 自己掏
# 多少 还要交押金不」): answered after the estimate. Rates, caps and funds are the estimate.
ALSO_TOPICS = (Topic.TREAT_FIRST, Topic.ONE_STOP, Topic.PREMIUM, Topic.FAMILY_DOCTOR)


def also_asked(text: str, region: object) -> str | None:
    """The answer to a process question asked in the same message as the bill, if any."""
    try:
        known = Region(str(region))
    except ValueError:
        return None
    for name in topic_cues(text):
        topic = Topic(name) if name in {t.value for t in ALSO_TOPICS} else None
        if topic is not None:
            return format_answer(default_answers().answer(topic, known))
    return None


RE_ESTIMATE_ENTITIES = ("region", "setting", "level", "category", "disease", "out_of_catalogue")


class ActionOutsideForm(Action):
    """An answer when nothing was asked (inform/affirm/deny, no form): an amount, typically
    after a rule answer offered to calculate, starts the estimate with what is already known
    (the form reads the amount at activation); anything else asks what the resident wants."""

    def name(self) -> str:
        return "action_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if latest_intent(tracker) == "inform":
            if first_entity(tracker, "amount") is not None:
                return [FollowupAction("estimate_form")]
            # 「住院呢 也是七成？」 right after a rule's answer: the same rule, asked on.
            topic = previous_topic(tracker)
            if topic is not None and asks_going_on(latest_text(tracker)):
                return [
                    SlotSet("requested_topic", topic.value),
                    FollowupAction("action_answer_topic"),
                ]
            # 「那要是在镇卫生院住呢」 after an estimate: the same bill, one fact changed.
            changed = any(first_entity(tracker, name) for name in RE_ESTIMATE_ENTITIES)
            if changed and tracker.get_slot("total"):
                return [FollowupAction("estimate_form")]
        dispatcher.utter_message(response="utter_anything_else")
        return []

"""action_answer_topic: the topic's answer for the resident's region, with its clause.

When the answer depends on the region and none is known, the assistant asks once (buttons) and
remembers the topic in `requested_topic`; the region's arrival (intent inform) answers it. Asked
once already and still no region: the national answer, said to be national.
"""

from dataclasses import dataclass, field

from actions.answer_templates import yuan
from actions.answers import (
    AnswerBook,
    Reference,
    Topic,
    citation,
    default_answers,
    default_chronic_table,
    default_documents,
    format_answer,
)
from actions.context import first_entity, known_region, latest_intent, region_buttons
from actions.sdk import Action, CollectingDispatcher, DomainDict, EventType, SlotSet, Tracker
from settlement.identifiers import Region

ASK_REGION = "这个问题各地规定不同。请问您是哪个地区的？"
CHRONIC_PERSONAL_SHARE = "贫困人口用药个人只负担5%"


@dataclass(frozen=True)
class TopicReply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    requested_topic: str | None = None  # the topic now waiting for a region


def topic_of(intent: str | None, requested: object) -> Topic | None:
    """ask_<topic> names the topic; any other intent (inform) continues the waiting topic."""
    if intent and intent.startswith("ask_"):
        try:
            return Topic(intent.removeprefix("ask_"))
        except ValueError:
            return None
    if isinstance(requested, str):
        try:
            return Topic(requested)
        except ValueError:
            return None
    return None


def topic_reply(
    topic: Topic,
    region: Region | None,
    *,
    already_asked: bool,
    disease: str | None = None,
    book: AnswerBook | None = None,
) -> TopicReply:
    """What to say: the region's answer, a one-time region question, or the national answer."""
    answers = book or default_answers()
    if region is None and answers.needs_region[topic] and not already_asked:
        return TopicReply(ASK_REGION, region_buttons(), requested_topic=topic.value)
    if topic is Topic.CHRONIC_DISEASE and region is Region.GUYANG and disease:
        specific = chronic_disease_line(disease)
        if specific is not None:
            return TopicReply(specific)
    text = format_answer(answers.answer(topic, region))
    if region is None and answers.needs_region[topic]:
        text += "告诉我您所在地区，可以查当地规定。"
    return TopicReply(text)


def chronic_disease_line(disease: str) -> str:
    """One Guyang disease and its annual cap (附件), or why it is not in the list."""
    table = default_chronic_table()
    row = table.find(disease)
    source = cite_annex()
    if row is None:
        return (
            f"“{disease}”不在固阳县45种特殊慢性病名单里，不能按特殊慢性病报销。"
            f"如有疑问请回复“人工”。（{source}）"
        )
    return (
        f"{row.name}在固阳县45种特殊慢性病名单里，年度最高支付限额{yuan(row.annual_cap)}，"
        f"{CHRONIC_PERSONAL_SHARE}。（{source}）"
    )


def cite_annex() -> str:
    return citation(Reference(document="guyang_2017", clause="附件"), default_documents())


def region_events(tracker: Tracker, region: Region | None) -> list[EventType]:
    """Remember a region learnt from the message or the metadata."""
    if region is None or tracker.get_slot("region") == region.value:
        return []
    return [SlotSet("region", region.value)]


class ActionAnswerTopic(Action):
    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_topic")
        topic = topic_of(latest_intent(tracker), requested)
        if topic is None:
            dispatcher.utter_message(
                text="抱歉，我没听懂您想问哪项政策。可以回复“帮助”看看我能做什么。"
            )
            return []
        region = known_region(tracker)
        reply = topic_reply(
            topic,
            region,
            already_asked=requested == topic.value,
            disease=first_entity(tracker, "disease") or tracker.get_slot("disease"),
        )
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        events = region_events(tracker, region)
        if reply.requested_topic != requested:
            events.append(SlotSet("requested_topic", reply.requested_topic))
        return events

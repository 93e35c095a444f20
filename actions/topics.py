"""action_answer_topic: the topic's answer for the resident's region, with its clause.

When the answer depends on the region and none is known, the assistant asks once (buttons) and
remembers the topic in `requested_topic`; the region's arrival (intent inform) answers it. Asked
once already and still no region: the national answer, said to be national.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from actions.answer_templates import yuan
from actions.answers import (
    AnswerBook,
    Topic,
    chronic_list_name,
    chronic_table,
    citation,
    default_answers,
    default_documents,
    format_answer,
)
from actions.benefits import continuation
from actions.clause_search import EXTRA_MIN_SCORE, detail
from actions.context import (
    first_entity,
    known_region,
    latest_intent,
    latest_text,
    region_buttons,
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
    SlotSet,
    Tracker,
)
from settlement.documents import Reference
from settlement.identifiers import Region
from understanding.letters import other_questions
from understanding.reader import exit_year, topic_cue, topic_cues

ASK_REGION = "这个问题各地规定不同。请问您是哪个地区的？"
# After a rule that a bill's amount makes concrete: the offer to calculate (issue kind 1).
OFFER = "想知道自己要掏多少，把总费用发给我，我帮您算。"
OFFER_TOPICS = frozenset({Topic.RATES, Topic.ANNUAL_CAP, Topic.DEDUCTIBLE})
NATIONAL_WORD = "国家"
FIRST_PERSON = ("我", "俺", "咱", "自个儿", "本人")
VERIFY_FIRST = "您的号码已登记，可以按您本人的情况回答。"
LETTER_CHARS = 60  # a message this long may ask two things
GENERIC_TOPICS = frozenset({"rates", "overview"})
FIGURE_WORDS = ("多少钱", "好多钱", "多少", "好多", "几千", "几万", "几百", "啥项目", "哪些项目")
# Asking for money, not a share: a rate (「报70%」) does not answer 「能给好多钱」.
DEDUCTIBLE_WORDS = ("起付", "门槛")
MONEY_WORDS = ("多少钱", "好多钱", "几千", "几万", "几百", "多少元", "多少块")
NO_FIGURE = "文件没有写具体数额，以当地医保经办机构的规定为准。"
# A Guyang question naming a disease of the annex is answered with that disease's cap.
DISEASE_TOPICS = frozenset(
    {Topic.CHRONIC_DISEASE, Topic.ANNUAL_CAP, Topic.RATES, Topic.MAJOR_DISEASES}
)


@dataclass(frozen=True)
class TopicReply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    requested_topic: str | None = None  # the topic now waiting for a region


def topic_of(intent: str | None, requested: object, text: str = "") -> Topic | None:
    """The topic of a rule question: its cue words first (「报几成」 is about rates whatever the
    classifier said), else the intent ask_<topic>; any other intent (inform) continues the
    topic waiting for a region."""
    if intent and intent.startswith("ask_"):
        cue = topic_cue(text) if text else None
        for name in (cue, intent.removeprefix("ask_")):
            if name is None:
                continue
            try:
                return Topic(name)
            except ValueError:
                continue
        return None
    if isinstance(requested, str):
        try:
            return Topic(requested)
        except ValueError:
            return None
    return None


# A question going on from the last answer (「住院呢 也是七成？」「那在市里住呢 也不交？」).
_GOING_ON_ENDS = ("呢", "吗", "？", "?", "不", "么", "没", "嘛")
_GOING_ON_WORDS = ("也是", "也不", "也能", "也要", "也有", "也一样", "一样吗", "一样不", "还是")


def asks_going_on(text: str) -> bool:
    """Whether a message asks on from the last answer rather than telling a fact."""
    stripped = text.strip().rstrip("。.！! ")
    return stripped.endswith(_GOING_ON_ENDS) or any(w in text for w in _GOING_ON_WORDS)


def previous_topic(tracker: Tracker) -> Topic | None:
    """The topic answered just before this message (action_answer_topic the last action before
    the listen that heard it), read from the message it answered; None otherwise."""
    events = list(reversed(tracker.events))
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return None
    between = events[users[0] + 1 : users[1]]
    actions = [
        e.get("name")
        for e in between
        if e.get("event") == "action" and e.get("name") != "action_listen"
    ]
    if not actions or actions[0] != "action_answer_topic":
        return None
    asked = events[users[1]]
    intent = ((asked.get("parse_data") or {}).get("intent") or {}).get("name")
    return topic_of(intent, None, str(asked.get("text") or ""))


GOING_ON_CHARS = 16  # 「住院呢 也一样吗」: a short question, no rule named of its own


def going_on_from(tracker: Tracker) -> Topic | None:
    """The previous answer's topic when this message only asks on from it (short, a
    question, no cue word of its own), whatever the classifier said; else None."""
    text = latest_text(tracker)
    if len(text) > GOING_ON_CHARS or topic_cue(text) is not None or not asks_going_on(text):
        return None
    return previous_topic(tracker)


def topic_reply(
    topic: Topic,
    region: Region | None,
    *,
    already_asked: bool,
    disease: str | None = None,
    book: AnswerBook | None = None,
    question: str = "",
) -> TopicReply:
    """What to say: the region's answer, a one-time region question, or the national answer.

    A question about the national document (「国家…」) is answered nationally without asking. A
    question asking for a figure the answer does not give (「能给好多钱」) is told so plainly
    (NO_FIGURE) instead of reading a rule as an amount (issue kind 9).
    """
    answers = book or default_answers()
    national_asked = region is None and NATIONAL_WORD in question
    if region is None and answers.needs_region[topic] and not already_asked and not national_asked:
        return TopicReply(ASK_REGION, region_buttons(), requested_topic=topic.value)
    if topic in DISEASE_TOPICS and region is not None and disease:
        line = chronic_disease_line(region, disease)
        if line is not None:
            return TopicReply(line)
    answer = answers.answer(topic, region)
    text = format_answer(answer)
    year = exit_year(question)
    if year is not None and region is not None:
        # 「我家2019年脱贫 现在还能享受吗」: the continuation worked out for that year, today.
        told = continuation(region, year, date.today())
        if told is not None:
            text += f"您家{told}。"
    # 「大病保险起付线多少」 asks the deductible's amount whatever topic answers it.
    asked = Topic.DEDUCTIBLE if any(w in question for w in DEDUCTIBLE_WORDS) else topic
    money = asks_money(question) or asked in (Topic.DEDUCTIBLE, Topic.ANNUAL_CAP)
    if asks_figure(question) and not states_figure(answer.text, asked, money):
        text += NO_FIGURE
    if region is None and answers.needs_region[topic] and not national_asked:
        text += "告诉我您所在地区，可以查当地规定。"
    elif topic in OFFER_TOPICS:
        text += OFFER
    return TopicReply(text)


_PARTS = re.compile(r"[\s，,。？?！!；;]+")


def second_topics(question: str, first: Topic, region: Region | None) -> list[str]:
    """A letter often asks two things (「药咋报？发票找哪个部门？」): for a long message with the
    region known, the next topic it names is answered too; so for a short one whose later part
    (after a space or a stop) asks another rule (「住院要交押金不 出院咋结账」)."""
    if region is None:
        return []
    if len(question) < LETTER_CHARS:
        parts = [part for part in _PARTS.split(question) if part]
        named = [name for part in parts[1:] for name in topic_cues(part)]
        if not named:
            return []
    else:
        named = topic_cues(question)
    for name in named:
        if name != first.value and name not in GENERIC_TOPICS:
            try:
                return [format_answer(default_answers().answer(Topic(name), region))]
            except ValueError:
                continue
    return []


_STALE_NOTE = re.compile(r"这是\d{4}年的文件，[^。]*为准。")


def without_repeated_note(text: str, said: str) -> str:
    """「这是2017年的文件，现行规定以…为准。」 once per reply, not after every part."""
    for note in set(_STALE_NOTE.findall(text)):
        if note in said:
            text = text.replace(note, "")
    return text


def letter_of(tracker: Tracker) -> str | None:
    """The whole letter the gateway condensed this message from (latest message only)."""
    latest = (tracker.latest_message or {}).get("metadata")
    letter = latest.get("letter") if isinstance(latest, dict) else None
    return letter if isinstance(letter, str) and letter else None


def further_answer(letter: str, first: Topic, region: Region | None, said: str) -> str | None:
    """The answer to a letter's next question (「还有就是这药是自己去买还是有人送」): the topic
    its cue word names, if another than the first; else the sentence of the documents that
    answers it (`detail`, not repeating what was said); else None."""
    if region is None:
        return None
    for question in other_questions(letter):
        for name in topic_cues(question):
            if name != first.value and name not in GENERIC_TOPICS:
                try:
                    return format_answer(default_answers().answer(Topic(name), region))
                except ValueError:
                    continue
        sentence = detail(question, region, said, EXTRA_MIN_SCORE)
        if sentence is not None:
            return sentence
    return None


def asks_figure(question: str) -> bool:
    """「能给好多钱」「起付线多少」「赔多少」: the resident wants an amount."""
    return any(word in question for word in FIGURE_WORDS)


# For these topics only the topic's own amount counts: 「起付标准至10万元之间」 is a band's
# bound, not the deductible a resident asks about (「起付标准是好多钱」).
_OWN_FIGURE = {
    Topic.DEDUCTIBLE: re.compile(r"起付(?:线|标准)(?:为|是|：)?\d"),
}


def asks_money(question: str) -> bool:
    return any(word in question for word in MONEY_WORDS)


def states_figure(answer: str, topic: Topic | None = None, money: bool = True) -> bool:
    """The answer itself gives the figure asked about (an amount; for 「能报多少」 a rate does
    too) or says that the document gives none."""
    if "没有写" in answer:
        return True
    own = _OWN_FIGURE.get(topic) if topic is not None else None
    if own is not None:
        return bool(own.search(answer))
    return "元" in answer or (not money and ("%" in answer or "成" in answer))


def chronic_disease_line(region: str, disease: str) -> str | None:
    """The rows of the region's chronic disease table for a disease and their annual caps, or
    why it is not in the table; None for a region whose rules name no such table.

    「糖尿病」 alone names two rows (with and without insulin): both are given."""
    table = chronic_table(region)
    if table is None:
        return None
    row = table.find(disease)
    rows = [row] if row is not None else [r for r in table.diseases if disease in r.name]
    source = citation(Reference(**table.reference.model_dump()), default_documents())
    listed = chronic_list_name(region, table)
    if not rows:
        return (
            f"“{disease}”不在{listed}里，不能按特殊慢性病报销。如有疑问请回复“人工”。（{source}）"
        )
    caps = "；".join(f"{r.name}年度最高支付限额{yuan(r.annual_cap)}" for r in rows)
    share = f"，{table.personal_share}" if table.personal_share else ""
    return f"{listed}里有：{caps}{share}。（{source}）"


def region_events(tracker: Tracker, region: Region | None) -> list[EventType]:
    """Remember a region learnt from the message or the metadata."""
    if region is None or tracker.get_slot("region") == region.value:
        return []
    return [SlotSet("region", region.value)]


class ActionAnswerTopic(Action):
    """The topic's answer. A registered resident who asks about themselves (「我住院是不是不用交
    起付线」) with no region known is verified first: the personal answer (their region, category,
    disability, chronic caps) answers better than a question about where they live."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        return "action_answer_topic"

    def _registered_asker(self, tracker: Tracker) -> bool:
        token = sender_token(tracker)
        if token is None or tracker.get_slot("verified") is not None:
            return False
        if not any(word in latest_text(tracker) for word in FIRST_PERSON):
            return False
        registry = self._registry or get_registry()
        return registry.resident_for_sender(token, utcnow()) is not None

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_topic")
        topic = topic_of(latest_intent(tracker), requested, latest_text(tracker))
        going_on = going_on_from(tracker)
        if going_on is not None:
            topic = going_on
        if topic is None:
            dispatcher.utter_message(
                text="抱歉，我没听懂您想问哪项政策。可以回复“帮助”看看我能做什么。"
            )
            return []
        region = known_region(tracker)
        if region is None and self._registered_asker(tracker):
            dispatcher.utter_message(text=VERIFY_FIRST)
            return [FollowupAction("verify_form")]
        question = latest_text(tracker)
        reply = topic_reply(
            topic,
            region,
            already_asked=requested == topic.value,
            disease=first_entity(tracker, "disease") or tracker.get_slot("disease"),
            question=question,
        )
        extra = alone = None
        if not reply.buttons:
            alone = detail(question, region, reply.text)
            extra = alone or detail(question, region, reply.text, EXTRA_MIN_SCORE)
        if (
            extra is not None
            and alone is not None
            and topic_cue(question) is None
            and going_on is None
        ):
            # No cue word named the topic (the classifier's guess) and a sentence of the
            # documents answers the question itself: that sentence is the answer.
            dispatcher.utter_message(text=extra)
            return region_events(tracker, region)
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        letter = letter_of(tracker)
        if letter is not None and not reply.buttons:
            # A letter's own next question, not another topic its main question mentions.
            # Its next question comes before a detail of the first: an SMS has only so much room.
            further = further_answer(letter, topic, region, reply.text)
            extras = [further] if further else ([extra] if extra else [])
        else:
            extras = second_topics(question, topic, region) or ([extra] if extra else [])
        said = reply.text
        for more in extras:
            dispatcher.utter_message(text=without_repeated_note(more, said))
            said += more
        events = region_events(tracker, region)
        if reply.requested_topic != requested:
            events.append(SlotSet("requested_topic", reply.requested_topic))
        return events

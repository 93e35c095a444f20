"""action_fallback_search: quote a confident clause for an unrecognised question, else say
politely what the assistant can do, with example questions.
"""

import logging

from actions.clause_search import confident, detail, quote, search
from actions.context import first_entity, known_region, latest_text
from actions.sdk import Action, CollectingDispatcher, DomainDict, EventType, Tracker
from settlement.identifiers import Region
from understanding.reader import mentions_domain
from understanding.words import load_lexicon

logger = logging.getLogger(__name__)

POLITE_FALLBACK = (
    "我只能回答健康帮扶政策方面的问题，比如：\n"
    "1. 住院要交押金吗\n"
    "2. 县医院住院花了2万自己掏多少\n"
    "3. 慢性病有哪些能报\n"
    "需要真人帮忙请回复“人工”。"
)


# A remark that is not about health benefits while a form waits for an answer: no list of
# example questions (the resident is in the middle of one); the form then asks again.
MID_FORM_ASIDE = "这个我帮不上忙。咱们接着说刚才的事："
# A resident saying how they feel (policies/words/common.yaml `feelings`): kindness first.
FEELINGS = (
    "您辛苦了，别太着急。看病花钱的事我帮您一起想办法：能报多少、还有哪些救助都可以问我；"
    "想找人说说，回复“人工”，工作人员会联系您。"
)
FEELINGS_MID_FORM = "您辛苦了，别太着急。咱们接着说刚才的事："

# A health-benefit question nothing answers: never the refusal above (issue kind 4).
NOT_IN_DOCUMENTS = (
    "这个问题文件里没有写，我不能乱说。可以问当地医保经办机构，或回复“人工”请工作人员帮您"
    "问清楚；也可以换个说法，比如：住院能报几成、慢性病怎么报。"
)
ONLY_OUR_REGIONS = (
    "目前只有{regions}的政策，{place}的规定我查不到。"
    "请问当地医保经办机构，或回复“人工”请工作人员帮忙。"
)


def only_our_regions(place: str) -> str:
    """「目前只有…的政策，成都的规定我查不到。…」: the short names of the regions of policies/."""
    names = "、".join(region.short for region in Region.all())
    return ONLY_OUR_REGIONS.format(regions=names, place=place)


def fallback_reply(text: str, region: Region | None = None, place: str | None = None) -> str:
    """A confident clause; else for a place outside our regions, which regions we cover; else
    for a health-benefit question, that the documents do not say (and 人工); else the refusal."""
    if place is not None:
        return only_our_regions(place)
    sentence = detail(text, region)
    if sentence is not None:
        return sentence
    hits = search(text, region)
    hit = confident(hits, text)
    if hit is not None:
        return quote(hit, text)
    if mentions_domain(text):
        return NOT_IN_DOCUMENTS
    return feelings_reply(text) or POLITE_FALLBACK


def feelings_reply(text: str) -> str | None:
    """FEELINGS for a resident saying how hard things are, else None (words:
    policies/words/common.yaml `feelings`; words of despair go to a person: action_handoff)."""
    if any(word in text for word in load_lexicon().cue("feelings")):
        return FEELINGS
    return None


class ActionFallbackSearch(Action):
    def name(self) -> str:
        return "action_fallback_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        region = known_region(tracker)
        # A place outside our regions counts only when the message names none of ours.
        place = None if first_entity(tracker, "region") else first_entity(tracker, "place")
        reply = fallback_reply(text, region, place)
        if tracker.active_loop_name and reply in (POLITE_FALLBACK, FEELINGS):
            reply = FEELINGS_MID_FORM if reply == FEELINGS else MID_FORM_ASIDE
        # The text itself may be personal: only at debug level, never at info.
        logger.debug("fallback search for %r (region %s)", text, region)
        dispatcher.utter_message(text=reply)
        return []

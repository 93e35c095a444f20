"""action_fallback_search: quote a confident clause for an unrecognised question, else say
politely what the assistant can do, with example questions.
"""

import logging

from actions.clause_search import confident, quote, search
from actions.context import known_region, latest_text
from actions.sdk import Action, CollectingDispatcher, DomainDict, EventType, Tracker
from settlement.identifiers import Region

logger = logging.getLogger(__name__)

POLITE_FALLBACK = (
    "我只能回答健康帮扶政策方面的问题，比如：\n"
    "1. 住院要交押金吗\n"
    "2. 县医院住院花了2万自己掏多少\n"
    "3. 慢性病有哪些能报\n"
    "需要真人帮忙请回复“人工”。"
)


def fallback_reply(text: str, region: Region | None = None) -> str:
    hits = search(text, region)
    hit = confident(hits, text)
    if hit is None:
        return POLITE_FALLBACK
    return quote(hit, text)


class ActionFallbackSearch(Action):
    def name(self) -> str:
        return "action_fallback_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        region = known_region(tracker)
        reply = fallback_reply(text, region)
        # The text itself may be personal: only at debug level, never at info.
        logger.debug("fallback search for %r (region %s)", text, region)
        dispatcher.utter_message(text=reply)
        return []

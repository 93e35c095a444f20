"""action_handoff: the region's responsible unit (policies/answers) and a handoff record.

The record's summary is built from the conversation's slots; the resident's own words only
for a long letter (the gateway's metadata `letter`, ID numbers already replaced by tokens and
phone numbers masked), which a person must read whole.
"""

from actions.answers import AnswerBook, citation, default_answers, default_documents
from actions.context import actor, known_region, latest_text, metadata, sender_key
from actions.registry_port import Registry
from actions.registry_sql import get_registry
from actions.sdk import Action, CollectingDispatcher, DomainDict, EventType, Tracker
from settlement.identifiers import SETTING_NAMES, Region, Setting, region_name
from understanding.reader import despairs

RECORDED = "已为您登记人工服务，工作人员会尽快联系您。"
# Words of despair (understanding.reader.despairs) reach a person whatever else is said
# (correct_intent): said first to the resident, and first in the request's summary.
DESPAIR = "听您这么说，我很担心您。请马上告诉身边的家人或村医，别一个人扛着。"
DESPAIR_SUMMARY = "【请尽快联系】居民说了想不开的话"
LETTER_KEPT = 8000  # gateway.text.MAX_MESSAGE_CHARS: the whole letter the gateway kept
NO_REGION = "也可以直接咨询当地医保经办机构或卫生健康部门。"


def contact_text(region: Region | None, book: AnswerBook | None = None) -> str:
    """Who to turn to, as the documents name them; a phone only when the deployment set one."""
    if region is None:
        return RECORDED + NO_REGION
    contact = (book or default_answers()).contacts[region]
    phone = f"，电话{contact.phone}" if contact.phone else ""
    where = f"{region_name(region)}{contact.unit}{phone}"
    source = citation(contact.reference, default_documents())
    return f"{RECORDED}也可以找{where}（{source}）。"


def handoff_summary(tracker: Tracker, region: Region | None) -> str:
    parts = [f"地区：{region_name(region) if region else '未知'}"]
    topic = tracker.get_slot("requested_topic")
    if topic:
        parts.append(f"待答话题：{topic}")
    setting, total = tracker.get_slot("setting"), tracker.get_slot("total")
    if setting in {s.value for s in Setting} and total:
        parts.append(f"估算：{SETTING_NAMES[Setting(setting)]}{total}元")
    if tracker.get_slot("verified") is True:
        parts.append("已核实身份")
    letter = metadata(tracker).get("letter")
    if isinstance(letter, str) and letter:
        parts.append(f"来信全文：{letter[:LETTER_KEPT]}")
    return "；".join(parts)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class ActionHandoff(Action):
    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        registry = self._registry or get_registry()
        if despairs(latest_text(tracker)):
            # 「不想活了」: a person first, and the cadres see why before they open it.
            region = record_handoff(registry, tracker, DESPAIR_SUMMARY)
            dispatcher.utter_message(text=DESPAIR + contact_text(region))
            return []
        region = record_handoff(registry, tracker)
        dispatcher.utter_message(text=contact_text(region))
        return []


def record_handoff(registry: Registry, tracker: Tracker, why: str | None = None) -> Region | None:
    """A request for a person for this sender (the cadres' inbox), audited; `why` goes first in
    its summary when the assistant asked for the person itself. Returns the region used."""
    region = known_region(tracker)
    meta = metadata(tracker)
    summary = handoff_summary(tracker, region)
    handoff_id = registry.request_handoff(
        region=region,
        sender_key=sender_key(tracker),
        channel=str(meta.get("channel") or tracker.get_slot("channel") or "unknown"),
        campaign=meta.get("campaign") or tracker.get_slot("campaign"),
        summary=f"{why}；{summary}" if why else summary,
        # The gateway's token for the raw phone or OpenID: kept so a cadre can answer.
        contact_token=_text_or_none(meta.get("sender_token")),
    )
    registry.audit(actor(tracker), "handoff", f"handoff={handoff_id}")
    return region

"""The synchronous half of the pipeline: everything decided with the database, in one
transaction, before Rasa is asked (dedupe, opt-out, campaign, redaction, the message log).

Runs in a worker thread (SQLAlchemy sessions here are synchronous).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from gateway import handoff, letters, replies
from gateway.channels.sms_format import choice_for_reply
from gateway.messages import Channel
from gateway.rasa_client import MESSAGE_KEY, Button
from gateway.shared import MessageLimits, SenderMemory
from gateway.text import clip, redact_id_numbers
from registry import broadcast_stats, campaigns, tokens, traffic
from registry.people_models import Campaign
from registry.traffic import Claim

# duplicate: another copy of the message is (or was) answered elsewhere; replay: such a copy,
# given that copy's answer; silent: opted out, or a message for the person answering in a
# handoff (gateway/handoff.py); reply: the gateway answers; ask: Rasa answers.
Decision = Literal["duplicate", "replay", "silent", "reply", "ask"]


@dataclass(frozen=True)
class Turn:
    """One inbound message, channel-independent. `sender` is the raw phone, OpenID or web
    session id: it never leaves this process except as a keyed hash or a secret token."""

    channel: Channel
    sender: str = field(repr=False)
    text: str = field(repr=False)
    provider_id: str | None = None  # retry-stable id for dedupe; None for the widget
    scene: str | None = None  # WeChat parametric QR scene
    campaign_code: str | None = None  # the widget opened from /c/{code}
    start: bool = False  # a campaign start without text (subscribe, SCAN, link opened)
    cadre_id: int | None = None  # only for an authenticated widget session
    cadre_region: str | None = None


@dataclass
class Prepared:
    decision: Decision
    sender_key: str = ""
    text: str = field(default="", repr=False)  # what Rasa gets: normalised and redacted
    metadata: dict[str, Any] = field(default_factory=dict)
    message_id: int | None = None
    reply: str = ""
    topic: str | None = None  # known already (campaign start, button payload)
    claim: Claim | None = None  # on the provider message id; None without one
    provider_id: str | None = None  # the claimed provider message id


def _button_choice(text: str, buttons: list[Button]) -> Button | None:
    """The offered button a reply picks: its payload (widget), its title, or its number."""
    for button in buttons:
        if text in (button.payload, button.title):
            return button
    payload = choice_for_reply(text, [(b.title, b.payload) for b in buttons])
    return next((b for b in buttons if b.payload == payload), None) if payload else None


def _topic_of(payload: str) -> str | None:
    # "/ask_treat_first" or '/ask_premium{"region": "<key>"}' → the topic name
    if payload.startswith("/ask_"):
        return payload[5:].split("{", 1)[0] or None
    return None


def _campaign(session: Session, turn: Turn) -> tuple[Campaign | None, bool]:
    """The campaign this message names (link, scene, keyword) and whether it starts one."""
    if turn.campaign_code:
        return campaigns.by_code(session, turn.campaign_code), turn.start
    if turn.scene:
        return campaigns.by_scene(session, turn.scene), True
    if turn.channel == "sms" and (found := campaigns.by_keyword(session, turn.text)):
        return found, True
    return None, False


def prepare(
    session: Session,
    turn: Turn,
    sender_key: str,
    *,
    memory: SenderMemory,
    limits: MessageLimits,
    lease: timedelta,
) -> Prepared:
    """Decide what happens to `turn`; the caller commits the session afterwards.

    A message with a provider id is claimed for `lease` first (registry.traffic.claim): a copy
    that another worker is answering, or has answered, is a duplicate.
    """
    claim = None
    if turn.provider_id:
        claim = traffic.claim(session, turn.channel, turn.provider_id, lease)
        if not claim.answers:
            return Prepared("duplicate", sender_key, claim=claim)
    prepared = _decide(session, turn, sender_key, memory, limits)
    prepared.claim, prepared.provider_id = claim, turn.provider_id
    if turn.provider_id and prepared.message_id is not None:
        traffic.attach_message(session, turn.channel, turn.provider_id, prepared.message_id)
    return prepared


def _decide(
    session: Session, turn: Turn, sender_key: str, memory: SenderMemory, limits: MessageLimits
) -> Prepared:
    word = turn.text.strip().upper()
    sms = turn.channel == "sms"
    if turn.channel in ("sms", "wechat"):
        # On SMS 退订 silences every reply; on WeChat, where the assistant only ever answers
        # the follower's own messages, it stops the broadcasts (registry/broadcasts.py).
        if word in replies.OPT_OUT_WORDS:
            traffic.opt_out(session, turn.channel, sender_key)
            reply = replies.OPTED_OUT if sms else replies.WECHAT_OPTED_OUT
            return Prepared("reply", sender_key, reply=reply)
        if word in replies.OPT_IN_WORDS:
            traffic.opt_in(session, turn.channel, sender_key)
            reply = replies.OPTED_IN if sms else replies.WECHAT_OPTED_IN
            return Prepared("reply", sender_key, reply=reply)
    if sms and traffic.is_opted_out(session, turn.channel, sender_key):
        return Prepared("silent", sender_key)
    if not limits.allow(sender_key):
        return Prepared("reply", sender_key, reply=replies.RATE_LIMITED)
    if turn.channel != "web" and word in replies.MORE_WORDS:
        page = memory.next_page(sender_key)
        return Prepared("reply", sender_key, reply=page or replies.NO_MORE_PAGES)
    # A person answers this sender now: their message goes to the cadre, not to Rasa.
    if (paused := handoff.paused_turn(session, turn.channel, sender_key, turn.text)) is not None:
        decision, reply = paused
        return Prepared(decision, sender_key, reply=reply)
    return _ask(session, turn, sender_key, memory)


def _ask(session: Session, turn: Turn, sender_key: str, memory: SenderMemory) -> Prepared:
    campaign, starts = _campaign(session, turn)
    if campaign is None and turn.channel in ("sms", "wechat"):
        # A reply to a broadcast: the conversation is tagged with the broadcast's campaign.
        replied_to = broadcast_stats.campaign_for_reply(session, turn.channel, sender_key)
        campaign = session.get(Campaign, replied_to) if replied_to is not None else None
    topic: str | None = None
    letter: str | None = None
    if starts or (turn.start and campaign is None):
        # Rasa's intent syntax: the campaign's topic is answered as if the resident asked.
        topic = campaign.topic if campaign else None
        text = f"/ask_{topic}" if topic else "/greet"
    elif (button := _button_choice(turn.text, memory.buttons(sender_key))) is not None:
        text, topic = button.payload, _topic_of(button.payload)
    else:
        # A leading "/" would let anyone trigger any intent with any entities (Rasa's
        # "/intent{...}" syntax); only payloads of buttons we offered may do that.
        text = turn.text.lstrip("/")

        def tokenize(number: str) -> str:
            return tokens.issue(session, "id_number", number)

        text = clip(redact_id_numbers(text, tokenize))
        if len(text) > letters.NLU_CHARS:
            letter = letters.mask_phones(text)
            text = letters.condense(letter)
    conversation = traffic.conversation_for(
        session, turn.channel, sender_key, campaign.id if campaign else None
    )
    if campaign is None and conversation.campaign_id is not None:
        campaign = session.get(Campaign, conversation.campaign_id)
    message = traffic.log_message(session, conversation, text, topic=topic, letter=letter)
    sender_token = None
    if turn.channel in ("sms", "wechat"):
        kind: tokens.Kind = "phone" if turn.channel == "sms" else "openid"
        sender_token = tokens.issue(session, kind, turn.sender)
    region = (campaign.region.value if campaign and campaign.region else None) or turn.cadre_region
    metadata: dict[str, Any] = {
        "channel": turn.channel,
        "campaign": campaign.code if campaign else None,
        "topic": campaign.topic if campaign else None,
        "region": region,
        "sender_token": sender_token,
        "cadre_id": turn.cadre_id,
        # One message's name in Rasa's tracker across attempts (gateway/rasa_client.py):
        # copies from the provider share its id, the gateway's own retry shares the log id.
        MESSAGE_KEY: turn.provider_id or f"log:{message.id}",
    }
    if letter is not None:
        metadata["letter"] = letter
    return Prepared("ask", sender_key, text, metadata, message.id, topic=topic)

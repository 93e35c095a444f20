"""The cadres' side of a handoff (转人工): the inbox, replies, and closing.

What a reply can reach depends on the channel:
- web (the widget): always; the reply is stored and the open widget fetches it
  (GET /api/chat/handoff), as there is no provider to send it through;
- sms: through the outbox's "sms" channel to the phone the request came from, while its
  contact token lives (registry.handoffs.CONTACT_TTL) and the resident has not opted out;
- wechat: through the outbox's customer-service channel while WeChat's 48-hour window since
  the resident's last message is open. After it the cadre is told it cannot be delivered and,
  when the follower is bound to a resident (a cadre checked who they are) with a registered
  phone, that phone is offered, masked: the reply can go there by SMS instead.

Each function runs in the caller's transaction; the caller commits and then sends the outbox
row (`OutboxSender.send_now`). Every view, reply and close is audited by the caller's actor.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.handoff import CADRE_PREFIX, CLOSED_BY_CADRE, mask_personal
from gateway.names import channel_name, delivery_status_name
from registry import campaigns, handoffs, outbox, residents, traffic
from registry.channel_models import Handoff, HandoffMessage
from registry.idnumber import mask_phone
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow
from registry.tokens import Kind
from settlement.topics import topic_title

DELIVERY_NAMES = {
    "queued": "发送中",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "未能送达",
    "undeliverable": "未能送达",
}
# A carrier's final report (Twilio's status callbacks, registry/delivery.py) says more than the
# outbox's "sent", which means only that the provider accepted the message.
FINAL_REPORTS = frozenset({"delivered", "read", "undelivered", "failed"})
WECHAT_CLOSED = "居民最后一条消息已超过48小时，微信无法送达。"
SMS_EXPIRED = "居民超过7天没有发消息，已无法回复短信。"
OPTED_OUT = "居民已退订短信，无法发送。"
MAX_REPLY_CHARS = 500


class CannotDeliver(Exception):
    """The reply cannot reach the resident now; the message says why (shown to the cadre)."""


@dataclass(frozen=True)
class Line:
    """One line of the transcript. `direction`: earlier (to the assistant, before the
    request), resident, cadre or assistant; `delivery` only for replies sent by the outbox."""

    direction: str
    text: str
    at: datetime
    delivery: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "text": self.text,
            "at": self.at.isoformat(),
            "delivery": self.delivery,
        }


@dataclass(frozen=True)
class Reach:
    """Whether a reply can be sent, how, and what the cadre is told."""

    can_reply: bool
    note: str | None = None
    channel: str | None = None  # the outbox channel; None for the widget
    recipient: str | None = field(default=None, repr=False)
    recipient_kind: Kind = "phone"
    phone_offer: str | None = None  # masked registered phone (WeChat window closed)


@dataclass(frozen=True)
class HandoffView:
    """One open request as the inbox shows it: nothing in it is a raw phone, ID or OpenID."""

    id: int
    opened_at: datetime
    channel: str
    campaign: str | None
    summary: str
    waiting_since: datetime | None  # the resident's oldest message not answered by a cadre
    lines: list[Line]
    reach: Reach

    @property
    def channel_name(self) -> str:
        return channel_name(self.channel)

    def waited_minutes(self, now: datetime) -> int | None:
        if self.waiting_since is None:
            return None
        return max(int((now - self.waiting_since).total_seconds() // 60), 0)

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "opened_at": self.opened_at.isoformat(),
            "channel": self.channel,
            "channel_name": self.channel_name,
            "campaign": self.campaign,
            "summary": self.summary,
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
            "waited_minutes": self.waited_minutes(now),
            "can_reply": self.reach.can_reply,
            "note": self.reach.note,
            "phone_offer": self.reach.phone_offer,
            "lines": [line.as_json() for line in self.lines],
        }


def reach(session: Session, handoff: Handoff, now: datetime, *, via_phone: bool = False) -> Reach:
    """Where a reply to `handoff` goes now (see the module docstring); `via_phone`: to the
    registered phone of a WeChat follower whose window closed."""
    if handoff.channel == "web":
        return Reach(True)
    contact = handoffs.contact(session, handoff, now)
    if handoff.channel == "sms":
        if contact is None:
            return Reach(False, SMS_EXPIRED)
        if traffic.is_opted_out(session, "sms", handoff.sender_key):
            return Reach(False, OPTED_OUT)
        return Reach(True, channel="sms", recipient=contact, recipient_kind="phone")
    last = handoff.last_resident_at or handoff.at
    if contact is not None and traffic.wechat_window_open(last, now) and not via_phone:
        return Reach(True, channel="wechat", recipient=contact, recipient_kind="openid")
    phone = _registered_phone(session, contact)
    if phone is None:
        return Reach(False, WECHAT_CLOSED)
    offer = mask_phone(phone)
    note = f"{WECHAT_CLOSED}居民已核实身份，可以改发短信到登记的电话{offer}。"
    return Reach(via_phone, note, "sms", phone if via_phone else None, "phone", offer)


def _registered_phone(session: Session, openid: str | None) -> str | None:
    if openid is None:
        return None
    resident = residents.find_by_openid(session, openid)
    if resident is None or not resident.phone_numbers:
        return None
    return resident.phone_numbers[0]


def inbox(session: Session, region: str, now: datetime | None = None) -> list[HandoffView]:
    """The open requests of `region`, the longest waiting first."""
    moment = now or utcnow()
    open_ = handoffs.open_handoffs(session, region)
    by_handoff = handoffs.messages(session, [h.id for h in open_])
    views = [_view(session, h, by_handoff[h.id], moment) for h in open_]
    return sorted(views, key=lambda v: (v.waiting_since is None, v.waiting_since or v.opened_at))


def view(session: Session, handoff: Handoff, now: datetime | None = None) -> HandoffView:
    messages = handoffs.messages(session, [handoff.id])[handoff.id]
    return _view(session, handoff, messages, now or utcnow())


def _view(
    session: Session, handoff: Handoff, messages: list[HandoffMessage], now: datetime
) -> HandoffView:
    earlier = [
        Line("earlier", mask_personal(_readable(m.letter or m.text)), m.at)
        for m in handoffs.earlier_messages(session, handoff)
    ]
    statuses = _deliveries(session, [m.outbox_id for m in messages if m.outbox_id])
    later = [
        Line(m.direction, m.text, m.at, statuses.get(m.outbox_id) if m.outbox_id else None)
        for m in messages
    ]
    waiting_since: datetime | None = handoff.at
    for message in messages:
        if message.direction == "cadre":
            waiting_since = None
        elif message.direction == "resident" and waiting_since is None:
            waiting_since = message.at
    return HandoffView(
        handoff.id,
        handoff.at,
        handoff.channel,
        _campaign_name(session, handoff.campaign),
        mask_personal(handoff.summary),
        waiting_since,
        earlier + later,
        reach(session, handoff, now),
    )


def _campaign_name(session: Session, code: str | None) -> str | None:
    """A request records the campaign's code; people know a campaign by its name."""
    if code is None:
        return None
    campaign = campaigns.by_code(session, code)
    return campaign.name if campaign is not None else code


def _readable(text: str) -> str:
    """A button's payload (/ask_treat_first) or a campaign start (/greet) as the cadre reads
    it: 「（点选：先诊疗后付费）」; a payload that names no topic is shown as its intent."""
    if not text.startswith("/"):
        return text
    intent = text[1:].split("{", 1)[0]
    return f"（点选：{topic_title(intent.removeprefix('ask_'))}）"


def delivery_name(status: str, reported: str | None = None, error_code: str | None = None) -> str:
    """What a cadre reads under a reply sent by the outbox: the carrier's final report once
    there is one (已送达, or 未送达（30003）: the cadre knows to call instead), else the
    outbox's `status` (发送中, 已发送, 未能送达)."""
    if status == "sent" and reported in FINAL_REPORTS:
        name = delivery_status_name(reported)
        return f"{name}（{error_code}）" if error_code else name
    return DELIVERY_NAMES.get(status, status)


def _deliveries(session: Session, outbox_ids: list[int]) -> dict[int, str]:
    if not outbox_ids:
        return {}
    query = select(
        OutboxMessage.id,
        OutboxMessage.status,
        OutboxMessage.delivery_status,
        OutboxMessage.delivery_error_code,
    ).where(OutboxMessage.id.in_(outbox_ids))
    rows = session.execute(query)
    return {
        row_id: delivery_name(status, reported, code) for row_id, status, reported, code in rows
    }


def reply(
    session: Session,
    handoff: Handoff,
    cadre_id: int,
    text: str,
    *,
    via_phone: bool = False,
    now: datetime | None = None,
) -> tuple[HandoffMessage, int | None]:
    """Record a cadre's reply (masked) and queue it for the resident's channel; (message,
    outbox row id or None for the widget). Raises CannotDeliver with the reason."""
    moment = now or utcnow()
    masked = mask_personal(text.strip())[:MAX_REPLY_CHARS]
    if not masked:
        raise CannotDeliver("请输入回复内容。")
    where = reach(session, handoff, moment, via_phone=via_phone)
    if not where.can_reply:
        raise CannotDeliver(where.note or "无法送达。")
    message = handoffs.add_message(session, handoff, "cadre", masked, cadre_id=cadre_id, now=moment)
    message.outbox_id = _queue(session, handoff, where, CADRE_PREFIX + masked, f"m{message.id}")
    return message, message.outbox_id


def close(
    session: Session, handoff: Handoff, cadre_id: int, now: datetime | None = None
) -> int | None:
    """Close a request for the cadre and tell the resident (queued when their channel can
    still be reached); the outbox row id of that notice, or None."""
    moment = now or utcnow()
    notice = handoffs.add_message(session, handoff, "assistant", CLOSED_BY_CADRE, now=moment)
    where = reach(session, handoff, moment)
    if where.can_reply:
        notice.outbox_id = _queue(session, handoff, where, CLOSED_BY_CADRE, "closed")
    handoffs.close(session, handoff, f"cadre:{cadre_id}", now=moment)
    return notice.outbox_id


def _queue(session: Session, handoff: Handoff, where: Reach, text: str, what: str) -> int | None:
    if where.channel is None or where.recipient is None:
        return None  # the widget fetches it
    return outbox.enqueue(
        session,
        channel=where.channel,
        kind="handoff",
        recipient_key=handoff.sender_key,
        recipient=where.recipient,
        recipient_kind=where.recipient_kind,
        payload={"text": text},
        # One row per reply: a retried request never sends the same reply twice.
        idempotency_key=f"handoff:{handoff.id}:{what}",
    )

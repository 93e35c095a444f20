"""The assistant paused while a person answers (转人工): the resident's side.

While the sender has an open handoff (registry/handoffs.py) on this channel, `paused_turn`
takes their message instead of Rasa: it is stored, masked, for the cadres' inbox. The first
message after the request is answered 「已转给工作人员，请稍候」, later ones get no answer
(SMS: an empty TwiML, WeChat: "success", the widget: no bubble), so nobody is spammed. One of
END_WORDS gives the conversation back to the assistant, which says so.

Runs inside the inbound transaction (gateway/turns.py), after the opt-out and rate checks.
"""

import re
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from gateway.logs import short
from gateway.text import clip
from registry import handoffs
from registry.idnumber import mask_in_text, mask_phone
from registry.models import audit

PASSED_ON = "已转给工作人员，请稍候。"
RESUMED = "已结束人工服务，您可以继续问我。"
CLOSED_BY_CADRE = "工作人员已结束人工服务，您可以继续问我。"
CADRE_PREFIX = "工作人员："  # before a cadre's reply on SMS and WeChat, so it is not the bot

# What a resident says to end the handoff, compared whole after trimming blanks and
# punctuation; only while a handoff is open (otherwise they go to Rasa like any text).
# 「不用了」 is left out on purpose: it is a normal answer to a cadre's question.
END_WORDS = frozenset(
    {
        "结束人工",
        "结束人工服务",
        "结束",
        "退出人工",
        "取消人工",
        "不用人工了",
        "不需要人工了",
        "不要人工了",
    }
)
_TRIM = " \t。.！!～~，,？?"

# +86 138 0013 8000, 13800138000: the middle four digits hidden (registry.idnumber.mask_phone).
_PHONE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
# A WeChat OpenID: 28 characters of [A-Za-z0-9_-], starting with o.
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")
# The gateway's ID-number tokens in the message log (registry/tokens.py).
_ID_TOKEN = re.compile(r"idtk[0-9a-f]{16}")


def mask_personal(text: str) -> str:
    """`text` for a person to read: ID numbers masked (150222********1234), phone numbers
    masked (138****8000), OpenIDs hidden, ID-number tokens shown as 「（身份证号）」."""
    text = mask_in_text(text)
    text = _PHONE.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group(0))), text)
    text = _OPENID.sub("（微信号）", text)
    return _ID_TOKEN.sub("（身份证号）", text)


def is_end(text: str) -> bool:
    return text.strip(_TRIM) in END_WORDS


def resident_actor(channel: str, sender_key: str) -> str:
    """The audit log's actor for a resident: channel and a short hash, never a raw id."""
    return f"{channel}:{short(sender_key)}"


def paused_turn(
    session: Session, channel: str, sender_key: str, text: str, now: datetime | None = None
) -> tuple[Literal["reply", "silent"], str] | None:
    """("reply", text) or ("silent", "") when the sender's message belongs to an open
    handoff; None when there is none (Rasa answers). `text` is the normalised message."""
    handoff = handoffs.open_for(session, channel, sender_key)
    if handoff is None:
        return None
    if not text:  # an event (subscribe, campaign link) while a person answers
        return "silent", ""
    if is_end(text):
        handoffs.add_message(session, handoff, "resident", mask_personal(text), now=now)
        handoffs.add_message(session, handoff, "assistant", RESUMED, now=now)
        handoffs.close(session, handoff, "resident", now=now)
        actor = resident_actor(channel, sender_key)
        audit(session, actor, "handoff_closed", f"handoff={handoff.id} by=resident")
        return "reply", RESUMED
    first = not handoffs.has_messages(session, handoff)
    handoffs.add_message(session, handoff, "resident", clip(mask_personal(text)), now=now)
    if first:
        handoffs.add_message(session, handoff, "assistant", PASSED_ON, now=now)
        return "reply", PASSED_ON
    return "silent", ""

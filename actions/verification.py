"""Verifying that the sender is the registered resident: the last six characters of the ID.

The sender token (the gateway's reference to the raw phone number) resolves to a resident; the
resident types the last 6 characters of their ID number. Five wrong answers lock the lookup for
that sender for 30 minutes (registry.verification); while locked even a right answer is refused.
Every outcome is audited. Pure logic over the Registry protocol.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from actions.registry_port import Registry

MAX_FAILURES = 5  # registry.verification locks at the 5th failure
Status = Literal["unregistered", "locked", "ask", "wrong", "now_locked", "verified"]

UNREGISTERED = "没有找到这个号码的登记信息，暂时不能查个人待遇。您可以问政策，或回复“人工”。"
NOW_LOCKED = "身份验证已失败5次，查询暂停30分钟。需要帮助请回复“人工”。"
_DIGITS = re.compile(r"(?<![0-9A-Za-z])(\d{5}[\dXx])(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str | None = None
    resident_id: int | None = None


def digits_in(text: str) -> str | None:
    """Six characters that can end an ID number (the last may be X) standing alone."""
    match = _DIGITS.search(text)
    return match.group(1).upper() if match else None


def locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return f"身份验证失败次数太多，请{minutes}分钟后再试，或回复“人工”。"


def verify(
    registry: Registry,
    *,
    sender_key: str,
    token: str | None,
    digits: str | None,
    now: datetime,
    actor: str,
) -> Outcome:
    """One verification step; `digits` None means the resident has not answered yet."""
    until = registry.lock_state(sender_key, now)
    if until is not None and until > now:
        registry.audit(actor, "verify_locked")
        return Outcome("locked", locked_message(until, now))
    record = registry.resident_for_sender(token, now) if token else None
    if record is None:
        registry.audit(actor, "benefits_unregistered")
        return Outcome("unregistered", UNREGISTERED)
    if not digits:
        return Outcome("ask", None, record.id)
    if digits.strip().upper() == record.id_tail:
        registry.clear_failures(sender_key)
        registry.audit(actor, "verify_ok", resident_id=record.id)
        return Outcome("verified", None, record.id)
    failures = registry.record_failure(sender_key, now)
    registry.audit(actor, "verify_failed", f"failures={failures}", resident_id=record.id)
    if failures >= MAX_FAILURES:
        return Outcome("now_locked", NOW_LOCKED, record.id)
    left = MAX_FAILURES - failures
    return Outcome("wrong", f"后6位不对，还可以再试{left}次。请再回复身份证号后6位。", record.id)

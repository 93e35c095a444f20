"""How long the gateway's bookkeeping is kept, and the purge that enforces it.

- `receipts` (provider message ids, for dedupe): Twilio and WeChat retry within seconds to
  minutes, so a receipt is useless after a day; kept RECEIPT_DAYS (default 2 days, as courier
  keeps its seen-ids 24–48 h), `HEALTHAID_RECEIPT_RETENTION_DAYS`.
- `secret_tokens` hold raw phone numbers, OpenIDs and ID numbers. A token expires 30 minutes
  after it was issued (registry/tokens.py) and can no longer be resolved, so nothing refers to
  it any more; it is deleted once it has been expired for `HEALTHAID_TOKEN_RETENTION_HOURS`
  (default 1 hour: a margin for clocks that differ between the gateway, the action server and
  the purge), so a raw value lives at most about 2½ hours with an hourly purge. The one
  exception is the recipient of an outbox row (registry/outbox.py): its token is deleted as
  soon as the row is sent or given up, and expires after WeChat's 48-hour window otherwise.

`healthaid purge` runs it once; the gateway runs it every hour (gateway/housekeeping.py).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from registry import tokens
from registry.channel_models import Receipt
from registry.models import audit
from registry.sqltypes import utcnow

RECEIPT_DAYS_VARIABLE = "HEALTHAID_RECEIPT_RETENTION_DAYS"
TOKEN_HOURS_VARIABLE = "HEALTHAID_TOKEN_RETENTION_HOURS"
RECEIPT_DAYS = 2
TOKEN_HOURS = 1


class RetentionError(ValueError):
    """A retention setting is not a whole number ≥ 0 (or ≥ 1 day for receipts)."""


@dataclass(frozen=True)
class Retention:
    receipts: timedelta = timedelta(days=RECEIPT_DAYS)
    expired_tokens: timedelta = timedelta(hours=TOKEN_HOURS)  # kept after they expire

    def __post_init__(self) -> None:
        # Less than a day would drop receipts while a provider may still retry.
        if self.receipts < timedelta(days=1):
            raise RetentionError("receipts must be kept at least 1 day")
        if self.expired_tokens < timedelta(0):
            raise RetentionError("expired tokens cannot be kept a negative time")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Retention":
        """From HEALTHAID_RECEIPT_RETENTION_DAYS and HEALTHAID_TOKEN_RETENTION_HOURS (whole
        numbers; unset or empty means the default). RetentionError names a bad variable."""
        env = os.environ if environ is None else environ
        days = _whole(env, RECEIPT_DAYS_VARIABLE, RECEIPT_DAYS)
        hours = _whole(env, TOKEN_HOURS_VARIABLE, TOKEN_HOURS)
        try:
            return cls(timedelta(days=days), timedelta(hours=hours))
        except RetentionError as error:
            raise RetentionError(
                f"{RECEIPT_DAYS_VARIABLE}/{TOKEN_HOURS_VARIABLE}: {error}"
            ) from None


def _whole(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RetentionError(f"{variable} is not a whole number: {raw!r}") from None


@dataclass(frozen=True)
class Purged:
    receipts: int
    secret_tokens: int

    def __str__(self) -> str:
        return f"receipts={self.receipts} secret_tokens={self.secret_tokens}"


def purge(
    session: Session, retention: Retention, *, actor: str, now: datetime | None = None
) -> Purged:
    """Delete receipts older than retention.receipts and tokens expired for longer than
    retention.expired_tokens, in the caller's transaction. When anything was deleted, the
    audit log records the counts (only the counts: nothing of what was deleted)."""
    moment = now or utcnow()
    old = delete(Receipt).where(Receipt.received_at < moment - retention.receipts)
    receipts = int(getattr(session.execute(old), "rowcount", 0) or 0)
    secret_tokens = tokens.purge_expired(session, now=moment - retention.expired_tokens)
    purged = Purged(receipts, secret_tokens)
    if receipts or secret_tokens:
        audit(session, actor, "purge", detail=str(purged))
    return purged

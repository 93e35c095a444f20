"""Opaque tokens for ID numbers, phones and OpenIDs (docs/conversation.md).

The gateway issues a token before a message reaches Rasa; only the action server resolves it.
Tokens are random (not derived from the value), so a token seen in a log reveals nothing.
"""

import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from registry.channel_models import SecretToken
from registry.sqltypes import utcnow

Kind = Literal["id_number", "phone", "openid"]
TTL = timedelta(minutes=30)
PREFIX: dict[str, str] = {"id_number": "idtk", "phone": "stk_", "openid": "stk_"}


def issue(
    session: Session, kind: Kind, value: str, ttl: timedelta = TTL, now: datetime | None = None
) -> str:
    """A new token for `value`: `idtk` + 16 hex for ID numbers (what the NLU regex matches)."""
    moment = now or utcnow()
    token = PREFIX[kind] + secrets.token_hex(8)
    session.add(
        SecretToken(token=token, kind=kind, value=value, created_at=moment, expires_at=moment + ttl)
    )
    return token


def resolve(session: Session, token: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(kind, value) of a live token; None when unknown or expired."""
    row = session.get(SecretToken, token)
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row.kind, row.value


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete expired tokens; returns how many."""
    result = session.execute(delete(SecretToken).where(SecretToken.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)

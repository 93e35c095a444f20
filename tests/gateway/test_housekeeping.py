"""The gateway's hourly purge (gateway/housekeeping.py): its schedule, a database error, and
the app's lifespan starting and stopping it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import housekeeping
from registry import tokens
from registry.channel_models import Receipt, SecretToken
from registry.db import get_engine, make_sessionmaker
from registry.models import AuditLog
from registry.retention import Retention

pytestmark = pytest.mark.anyio


def arrange_old_rows(db: Session) -> None:
    now = datetime.now(UTC)
    db.add(Receipt(channel="sms", provider_id="SMold", received_at=now - timedelta(days=3)))
    db.add(Receipt(channel="sms", provider_id="SMnew", received_at=now))
    tokens.issue(db, "phone", "13800000001", now=now - timedelta(hours=3))
    db.commit()


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


class Stop(Exception):
    """Ends the loop from the fake sleep (the real loop ends by cancellation)."""


def sleeps_until(calls: int) -> tuple[list[float], Callable[[float], Awaitable[None]]]:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) > calls:
            raise Stop

    return delays, sleep


async def test_it_purges_a_minute_after_start_then_every_hour(
    gateway_db: str, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    arrange_old_rows(db)
    engine = get_engine(gateway_db)
    delays, sleep = sleeps_until(2)
    caplog.set_level(logging.INFO, logger="healthaid.gateway")

    with pytest.raises(Stop):
        await housekeeping.purge_periodically(make_sessionmaker(engine), Retention(), sleep=sleep)
    engine.dispose()

    assert delays == [60.0, 3600.0, 3600.0]
    assert count(db, Receipt) == 1 and count(db, SecretToken) == 0
    [audit] = db.scalars(select(AuditLog))  # two purges ran; only the first deleted anything
    assert (audit.actor, audit.detail) == ("gateway", "receipts=1 secret_tokens=1")
    assert [r.getMessage() for r in caplog.records].count("purged") == 1


async def test_a_database_error_is_logged_and_the_next_hour_tries_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no tables
    delays, sleep = sleeps_until(2)
    caplog.set_level(logging.INFO, logger="healthaid.gateway")

    with pytest.raises(Stop):
        await housekeeping.purge_periodically(make_sessionmaker(engine), Retention(), sleep=sleep)
    engine.dispose()

    assert [r.getMessage() for r in caplog.records] == ["purge_failed", "purge_failed"]
    assert len(delays) == 3


async def test_the_running_gateway_purges_and_stops_cleanly(
    app_factory: Callable[..., FastAPI], db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrange_old_rows(db)
    monkeypatch.setattr(housekeeping, "FIRST_PURGE_AFTER_SECONDS", 0.0)
    app = app_factory()

    async with app.router.lifespan_context(app):
        for _ in range(100):
            if count(db, Receipt) == 1:
                break
            await asyncio.sleep(0.02)

    assert count(db, Receipt) == 1 and count(db, SecretToken) == 0

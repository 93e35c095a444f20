"""SMS through the outbox, end to end on loopback: the gateway (a real uvicorn server) sends an
sms row with the official twilio client to the fake Twilio API (another real server), which
posts signed status callbacks back to the gateway's /twilio/status, recorded on the row.
Transient refusals are retried, permanent ones recorded once, a duplicate sent once, and a
carrier's failure shows on the admin page, masked."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.channels.twilio.delivery import sms_channel
from gateway.metrics import Metrics
from gateway.outbox import OutboxSender
from registry.db import get_engine, make_sessionmaker
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow
from tests.gateway.conftest import TWILIO_TOKEN, add_cadre, make_settings, sign_in
from tests.gateway.fake_twilio import FakeTwilio
from tests.support.loopback import Loopback

pytestmark = pytest.mark.anyio
ACCOUNT, FROM = "AC" + "9" * 32, "+15005550006"
PHONE = "+8613900139000"
WAIT_SECONDS = 10.0


@dataclass
class Loop:
    fake: FakeTwilio
    gateway: str  # the served gateway's address, also its public base URL
    app: FastAPI
    settings_overrides: dict[str, Any]


@pytest.fixture
def fake() -> FakeTwilio:
    return FakeTwilio(ACCOUNT, TWILIO_TOKEN)  # Twilio signs with the account's auth token


@pytest.fixture
def loop(app_factory: Callable[..., FastAPI], fake: FakeTwilio) -> Iterator[Loop]:
    """The fake Twilio API and the gateway, both served; the gateway's own outbox loop polls
    every 50 ms."""
    with Loopback().serve(fake.app()) as fake_url:
        gateway = Loopback()
        overrides: dict[str, Any] = {
            "public_base_url": gateway.url,
            "twilio_account_sid": ACCOUNT,
            "twilio_from_number": FROM,
            "twilio_api_base_url": fake_url,
        }
        app = app_factory(**overrides, outbox_poll_seconds=0.05)
        with gateway.serve(app):
            yield Loop(fake, gateway.url, app, overrides)


@asynccontextmanager
async def own_sender(gateway_db: str, loop: Loop) -> AsyncIterator[OutboxSender]:
    """A second sender, in this test's event loop, that sends a row when told to
    (`send_now`); the served gateway's loop sends what is due, so such rows are queued due
    later."""
    channel = sms_channel(make_settings(gateway_db, **loop.settings_overrides))
    assert channel is not None
    engine = get_engine(gateway_db)
    try:
        yield OutboxSender(make_sessionmaker(engine), {"sms": channel[0]}, Metrics())
    finally:
        await channel[1].aclose()
        engine.dispose()


async def enqueue(loop: Loop, key: str = "handoff-reply:1", due_in: float = 0.0) -> int | None:
    return await loop.app.state.gateway.outbox.enqueue(
        channel="sms",
        kind="handoff",
        recipient_key="u_5e" + "0" * 62,
        recipient=PHONE,
        recipient_kind="phone",
        payload={"text": "工作人员回复：请带上医保卡和身份证"},
        idempotency_key=key,
        due_in=due_in,
    )


def row(db: Session, row_id: int) -> OutboxMessage:
    db.expire_all()
    found = db.get(OutboxMessage, row_id)
    assert found is not None
    return found


async def until(db: Session, row_id: int, done: Callable[[OutboxMessage], bool]) -> OutboxMessage:
    """The row once `done` holds, or as it is after WAIT_SECONDS (the assertion then fails)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not done(found := row(db, row_id)) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return found


async def answered(fake: FakeTwilio, count: int) -> None:
    """Until the fake has posted `count` callbacks and had their answers (or WAIT_SECONDS)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if len(fake.callbacks) >= count and all(c["answer"] for c in fake.callbacks):
            return
        await asyncio.sleep(0.05)


def make_due(db: Session, row_id: int) -> None:
    """The back-off of a retried row has passed."""
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()


async def test_an_sms_row_is_sent_and_its_signed_status_callbacks_recorded(
    loop: Loop, db: Session
) -> None:
    row_id = await enqueue(loop)
    assert row_id is not None

    done = await until(db, row_id, lambda r: (r.status, r.delivery_status) == ("sent", "delivered"))

    [request] = loop.fake.requests
    assert request == {
        "To": PHONE,
        "From": FROM,
        "Body": "工作人员回复：请带上医保卡和身份证",
        "StatusCallback": f"{loop.gateway}/twilio/status?row={row_id}",
    }
    [sid] = loop.fake.messages
    assert (done.status, done.provider_id, done.delivery_status) == ("sent", sid, "delivered")
    assert (done.attempts, done.recipient_token, done.delivery_error_code) == (1, None, None)
    # Both callbacks passed the signature check (403 otherwise) and were acknowledged.
    await answered(loop.fake, 2)
    statuses = [(c["params"]["MessageStatus"], c["answer"]) for c in loop.fake.callbacks]
    assert statuses == [("sent", 200), ("delivered", 200)]


async def test_the_same_idempotency_key_is_queued_and_sent_once(loop: Loop, db: Session) -> None:
    first = await enqueue(loop, key="broadcast:7:u_5e")
    again = await enqueue(loop, key="broadcast:7:u_5e")
    assert first is not None

    await until(db, first, lambda r: (r.status, r.delivery_status) == ("sent", "delivered"))
    await asyncio.sleep(0.2)  # several more polls of the gateway's loop

    assert again is None
    assert len(loop.fake.requests) == 1


async def test_500_and_429_are_retried_until_twilio_accepts(
    loop: Loop, db: Session, gateway_db: str
) -> None:
    loop.fake.faults.extend([500, 429])
    # Due in an hour, and after each retry due only after its back-off: the served gateway's
    # loop leaves it alone, and this test's sender sends it now, three times.
    row_id = await enqueue(loop, due_in=3600)
    assert row_id is not None

    async with own_sender(gateway_db, loop) as sender:
        outcomes = []
        for _ in range(3):
            outcomes.append(await sender.send_now(row_id))
            errors = row(db, row_id).last_error

    sent = await until(db, row_id, lambda r: (r.status, r.delivery_status) == ("sent", "delivered"))
    assert outcomes == ["retry", "retry", "sent"]
    assert errors == "HTTP 429, Twilio 20429"  # the last retry's reason stays for the record
    assert (sent.status, sent.attempts) == ("sent", 3)
    assert len(loop.fake.requests) == 3 and len(loop.fake.messages) == 1


async def test_an_unsubscribed_recipient_is_undeliverable_at_once(
    loop: Loop, db: Session, gateway_db: str
) -> None:
    loop.fake.unsubscribed.add(PHONE)  # the resident sent STOP to Twilio's number
    row_id = await enqueue(loop, due_in=3600)
    assert row_id is not None

    async with own_sender(gateway_db, loop) as sender:
        outcome = await sender.send_now(row_id)
        make_due(db, row_id)  # were it still to send, any sender would now
        later = await sender.send_due()

    refused = row(db, row_id)
    assert (outcome, later) == ("undeliverable", 0)
    assert (refused.status, refused.attempts) == ("undeliverable", 1)
    assert refused.last_error == "HTTP 400, Twilio 21610 recipient unsubscribed (STOP)"
    assert refused.recipient_token is None and refused.provider_id is None
    assert len(loop.fake.requests) == 1


async def test_a_carriers_failure_is_recorded_and_shown_to_admins_masked(
    loop: Loop, db: Session
) -> None:
    loop.fake.failing[PHONE] = ("undelivered", "30003")  # handset unreachable
    row_id = await enqueue(loop)
    assert row_id is not None
    add_cadre(db, "wang", admin=True)

    failed = await until(
        db, row_id, lambda r: (r.status, r.delivery_status) == ("sent", "undelivered")
    )
    async with httpx.AsyncClient(base_url=loop.gateway) as client:
        await sign_in(client, "wang")
        html = (await client.get("/admin")).text.split("未能送达的消息")[1]

    assert (failed.status, failed.delivery_error_code) == ("sent", "30003")
    assert "未送达" in html and "30003" in html
    assert PHONE not in html and "13900139000" not in html
    assert json.loads(failed.payload)["text"][:6] in html

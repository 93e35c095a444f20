"""The outbox's at-least-once window, closed where the provider says so: a sender that dies
after Twilio accepted a message but before recording it leaves the row `sending`; Twilio's
status callback names the row (`?row=<id>`) and records its SID; the next sender to claim the
row records it sent and does not send it again."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.metrics import Metrics
from gateway.outbox import Delivery, OutboxSender, Outcome
from registry import delivery, outbox
from registry.db import get_engine, make_sessionmaker
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow

pytestmark = pytest.mark.anyio
LEASE = timedelta(seconds=30)
SID = "SM" + "2" * 32


async def test_a_row_twilio_reported_after_its_sender_died_is_recorded_sent_not_resent(
    gateway_db: str, db: Session
) -> None:
    row_id = outbox.enqueue(
        db,
        channel="sms",
        kind="broadcast",
        recipient_key="u_" + "b" * 64,
        recipient="+8613900139000",
        recipient_kind="phone",
        payload={"text": "免费体检本月开始"},
        idempotency_key="broadcast:1:1",
    )
    start = utcnow()
    outbox.claim_due(db, LEASE, now=start)  # the sender that dies after Twilio's 201
    delivery.record_report(db, provider_id=SID, status="delivered", row_id=row_id)
    db.commit()
    sent: list[str] = []

    async def deliver(phone: str, payload: dict[str, Any], row: int) -> Delivery:
        sent.append(phone)
        return Delivery(Outcome.SENT, provider_id="SM" + "3" * 32, provider_status="queued")

    engine = get_engine(gateway_db)
    sender = OutboxSender(make_sessionmaker(engine), {"sms": deliver}, Metrics())
    [claimed] = outbox.claim_due(db, LEASE, now=start + LEASE)  # the next sender, after the lease
    db.commit()

    outcome = await sender.send_claimed(claimed)
    engine.dispose()

    assert (outcome, sent) == (Outcome.SENT, [])
    db.expire_all()
    row = db.get(OutboxMessage, row_id)
    assert row is not None
    assert (row.status, row.provider_id, row.delivery_status) == ("sent", SID, "delivered")

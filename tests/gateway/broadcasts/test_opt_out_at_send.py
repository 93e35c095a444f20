"""A resident who texts 退订 after their broadcast row was queued, and before it is sent
again after a crash, gets nothing: the row is checked at sending time, by the broadcast job
resuming the broadcast and by a gateway's outbox loop alike, and counted as opted out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from limits.storage import MemoryStorage
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.job import BroadcastJob
from gateway.broadcasts.throttle import Throttle
from gateway.metrics import Metrics
from gateway.outbox import Deliver, Delivery, OutboxSender, Outcome
from gateway.text import sender_key
from registry import broadcast_stats, broadcasts
from registry.broadcast_models import Broadcast
from registry.broadcasts import Recipient
from registry.models import Resident
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow
from tests.gateway.broadcasts.helpers import TEXT, broadcast_to, opt_out, resident, settings_for

pytestmark = pytest.mark.anyio
LEASE = timedelta(seconds=30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """A channel that accepts every message and remembers who it went to."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def deliver(self, recipient: str, payload: dict[str, Any], row_id: int) -> Delivery:
        self.sent.append((recipient, str(payload["text"])))
        return Delivery(Outcome.SENT)

    @asynccontextmanager
    async def channels(self) -> AsyncIterator[dict[str, Deliver]]:
        yield {"sms": self.deliver}


def queued_then_crashed(
    sessions: sessionmaker[Session], database_url: str
) -> tuple[int, int, str, str]:
    """A broadcast to two residents whose job queued and claimed the first one's row a
    minute ago and died before sending it: (broadcast id, first resident's id, first phone,
    second phone)."""
    settings = settings_for(database_url)
    with sessions.begin() as session:
        first, second = resident(session), resident(session)
        broadcast = broadcast_to(session)
        phone = "+86" + first.phone_numbers[0]
        recipient = Recipient(first.id, phone, sender_key(phone, settings.sender_secret), False)
        a_minute_ago = utcnow() - timedelta(minutes=1)
        assert broadcasts.take(session, broadcast, recipient, LEASE, now=a_minute_ago)
        return broadcast.id, first.id, phone, "+86" + second.phone_numbers[0]


def opts_out(sessions: sessionmaker[Session], database_url: str, resident_id: int) -> None:
    """The resident texts 退订 (recorded as gateway/turns.py records it)."""
    with sessions.begin() as session:
        person = session.get(Resident, resident_id)
        assert person is not None
        opt_out(session, settings_for(database_url), person)


def outcome_of(sessions: sessionmaker[Session], broadcast_id: int) -> tuple[Any, ...]:
    with sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        counts = broadcast_stats.stats(session, broadcast).counts
        return [(row.status, row.last_error) for row in rows], counts, broadcast.status


async def test_the_resumed_job_records_the_opt_out_and_sends_nothing_to_that_resident(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    broadcast_id, opted, _, other = queued_then_crashed(session_factory, database_url)
    opts_out(session_factory, database_url, opted)
    recorder = Recorder()
    settings = settings_for(database_url)
    job = BroadcastJob(
        session_factory,
        recorder.channels,
        Throttle(MemoryStorage(), {"sms": "100/second"}),
        lambda raw: sender_key(raw, settings.sender_secret),
        outbox_lease_seconds=LEASE.total_seconds(),
    )

    done = await job.run(broadcast_id)

    assert recorder.sent == [(other, TEXT)]
    assert (done.sent, done.finished) == (1, True)
    rows, counts, status = outcome_of(session_factory, broadcast_id)
    assert rows == [
        ("undeliverable", broadcasts.OPTED_OUT_ERROR),  # the opted-out resident's row
        ("sent", None),
    ]
    assert counts == {"queued": 0, "sent": 1, "delivered": 0, "failed": 0, "opted_out": 1}
    assert status == "done"


async def test_a_gateways_outbox_loop_resending_the_row_records_the_opt_out_too(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    broadcast_id, opted, _, _ = queued_then_crashed(session_factory, database_url)
    opts_out(session_factory, database_url, opted)
    recorder = Recorder()
    sender = OutboxSender(session_factory, {"sms": recorder.deliver}, Metrics())

    claimed = await sender.send_due()

    assert claimed == 1  # the row left `sending` by the dead job, past its lease
    assert recorder.sent == []
    rows, counts, _ = outcome_of(session_factory, broadcast_id)
    assert rows == [("undeliverable", broadcasts.OPTED_OUT_ERROR)]
    assert counts["opted_out"] == 1 and counts["sent"] == 0


async def test_without_an_opt_out_the_resumed_row_is_sent_once(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    # The control case: the same crash, no opt-out, and the row is sent.
    broadcast_id, _, first, _ = queued_then_crashed(session_factory, database_url)
    recorder = Recorder()
    sender = OutboxSender(session_factory, {"sms": recorder.deliver}, Metrics())

    await sender.send_due()

    assert recorder.sent == [(first, TEXT)]
    rows, counts, _ = outcome_of(session_factory, broadcast_id)
    assert rows == [("sent", None)]
    assert counts["opted_out"] == 0 and counts["sent"] == 1

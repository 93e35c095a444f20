"""Sending broadcasts with the real job engine (Huey) and a recording Deliver: through the
outbox at the channel's rate, in resident order, to consenting residents only; and a consumer
killed mid-broadcast, then restarted: nothing sent twice, nothing lost."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.engine import BroadcastEngine, build_engine, make_huey
from gateway.broadcasts.throttle import NAMESPACE, Throttle
from gateway.outbox import Deliver, Delivery, Outcome
from registry import broadcast_stats
from registry.broadcast_models import Broadcast
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.outbox_models import OutboxMessage
from tests.gateway.broadcasts.helpers import TEXT, broadcast_to, opt_out, resident, settings_for

ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 60.0  # seconds a test waits for the consumer before it fails


class Recorder:
    """A channel that accepts every message and remembers (recipient, text) in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    @asynccontextmanager
    async def channels(self) -> AsyncIterator[dict[str, Deliver]]:
        async def deliver(recipient: str, payload: dict[str, Any], row_id: int) -> Delivery:
            self.sent.append((recipient, str(payload["text"])))
            return Delivery(Outcome.SENT)

        yield {"sms": deliver, "wechat": deliver}


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    """Huey's consumer installs SIGINT/SIGTERM/SIGHUP handlers; pytest gets its own back."""
    saved = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def wait_until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE:.0f} s: {what}")
        time.sleep(0.05)


def status(sessions: sessionmaker[Session], broadcast_id: int) -> str:
    with sessions() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return found.status


@pytest.mark.usefixtures("keep_signal_handlers")
def test_a_real_consumer_sends_in_resident_order_through_the_outbox_at_the_channel_rate(
    session_factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url, broadcast_queue_path=str(tmp_path / "queue.db"), broadcast_sms_rate="10/hour"
    )
    with session_factory.begin() as session:
        first, opted, second = (resident(session) for _ in range(3))
        resident(session, consent=False)
        opt_out(session, settings, opted)
        broadcast_id = broadcast_to(session).id
        wanted = ["+86" + person.phone_numbers[0] for person in (first, second)]
    recorder = Recorder()
    engine = build_engine(settings, session_factory, recorder.channels)
    consumer = engine.consumer(workers=1)

    engine.start(broadcast_id)
    consumer.start()
    try:
        wait_until(lambda: status(session_factory, broadcast_id) == "done", "broadcast done")
    finally:
        consumer.stop(graceful=True)

    assert recorder.sent == [(phone, TEXT) for phone in wanted]
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        counts = broadcast_stats.stats(session, broadcast).counts
    assert [(r.kind, r.status, r.idempotency_key) for r in rows] == [
        ("broadcast", "sent", f"broadcast:{broadcast_id}:{first.id}"),
        ("broadcast", "sent", f"broadcast:{broadcast_id}:{second.id}"),
    ]
    assert counts == {"queued": 0, "sent": 2, "delivered": 0, "failed": 0, "opted_out": 1}
    # Each message was counted against the SMS rate's window (the throttle's own storage).
    limiter = MovingWindowRateLimiter(engine.job.throttle._limiter.storage)
    window = limiter.get_window_stats(parse(settings.broadcast.sms_rate), NAMESPACE, "sms")
    assert window.remaining == 10 - 2


@pytest.mark.anyio
async def test_the_throttle_lets_the_rate_through_and_holds_the_next() -> None:
    throttle = Throttle(MemoryStorage(), {"sms": "2/hour"})

    await throttle.wait("sms")
    await throttle.wait("sms")

    with pytest.raises(TimeoutError):  # the third waits for the hour's window
        await asyncio.wait_for(throttle.wait("sms"), timeout=0.2)


def sent_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.status == "sent")
        return len(session.scalars(query).all())


def start_consumer(env: dict[str, str], record: Path, *hang: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.support.broadcast_consumer", str(record), *hang]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def lines(record: Path) -> list[str]:
    return record.read_text("utf-8").splitlines() if record.exists() else []


def test_a_consumer_killed_mid_broadcast_is_resumed_with_no_duplicate_and_nothing_lost(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    bound = get_engine(url)
    sessions = make_sessionmaker(bound)
    queue = tmp_path / "queue.db"
    settings = settings_for(
        url,
        broadcast_queue_path=str(queue),
        broadcast_lease_seconds=1,
        outbox_lease_seconds=1,
        broadcast_sms_rate="50/second",
    )
    with sessions.begin() as session:
        people = [resident(session) for _ in range(10)]
        opt_out(session, settings, people[3])
        broadcast_id = broadcast_to(session).id
    wanted = ["+86" + p.phone_numbers[0] for i, p in enumerate(people) if i != 3]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HEALTHAID_DATABASE_URL": url,
        "HEALTHAID_SENDER_KEY": settings.sender_key or "",
        "HEALTHAID_BROADCAST__QUEUE_PATH": str(queue),
        "HEALTHAID_BROADCAST__LEASE_SECONDS": "1",
        "HEALTHAID_OUTBOX__LEASE_SECONDS": "1",
        "HEALTHAID_BROADCAST__SMS_RATE": "50/second",
    }
    record = tmp_path / "provider.txt"
    producer: BroadcastEngine = build_engine(
        settings, sessions, Recorder().channels, huey=make_huey(settings)
    )
    producer.start(broadcast_id)

    first = start_consumer(env, record, "4")  # the provider hangs on the 5th message
    try:
        # Killed while the provider hangs on the 5th, the 4 before it recorded as sent (a kill
        # between the provider's acceptance and the record would send that one again: the
        # outbox is at least once, see gateway/broadcasts/job.py).
        wait_until(lambda: sent_rows(sessions) == 4, "4 messages sent and recorded")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert status(sessions, broadcast_id) == "sending"
    second = start_consumer(env, record)
    try:
        wait_until(lambda: status(sessions, broadcast_id) == "done", "broadcast resumed and done")
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    bound.dispose()

    assert len(lines(record)) == 9 and sent_rows(sessions) == 9
    assert [line.split("\t")[1] for line in lines(record)] == wanted  # once each, in order
    assert {line.split("\t", 2)[2] for line in lines(record)} == {TEXT}

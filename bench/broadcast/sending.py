"""One broadcast to every resident of the benchmark's registry, sent by the running consumer
to the fake Twilio API, then checked against what the fake received: duplicates per number,
sends to residents who must get nothing, consenting residents who got nothing, and the
delivery reports the gateway recorded from the fake's signed status callbacks."""

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.broadcast.world import CAMPAIGN, REGION, TWILIO_URL, WORK, People
from gateway.broadcasts.channels import ChannelsOf
from gateway.broadcasts.engine import build_engine
from gateway.settings import Settings
from healthaid.stack import Service, start, wait
from registry import broadcast_stats, broadcasts, campaigns
from registry.broadcast_models import Broadcast
from registry.broadcasts import Audience
from registry.outbox_models import OutboxMessage

TEXT = "【固阳县卫健委】65岁以上老人免费健康体检本月开始，请带身份证到村卫生室。回复TD退订"
POLL = 0.2  # seconds between looks at the registry
DEADLINE = 1800.0  # seconds a broadcast may take before the benchmark gives up
CALLBACKS_SECONDS = 60.0  # how long to wait for the last delivery reports


@dataclass
class Outcome:
    """What one broadcast did, as the fake Twilio API and the registry saw it."""

    started: float  # time.time() when the broadcast was handed to the queue
    done: float  # when the registry marked it done
    received: list[float]  # when the fake received each message of it
    per_number: Counter[str]
    counts: dict[str, int]  # the statistics page's figures (registry/broadcast_stats.py)
    callbacks_ok: int  # status callbacks the gateway answered 200
    notes: list[str] = field(default_factory=list)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.per_number.values() if n > 1)

    def rate(self) -> float:
        span = self.received[-1] - self.received[0]
        return (len(self.received) - 1) / span if span > 0 else 0.0


def begin(settings: Settings, sessions: sessionmaker[Session], text: str = TEXT) -> int:
    """Create the broadcast as the admin page does and hand it to the consumer's queue."""
    with sessions.begin() as session:
        campaign = campaigns.by_code(session, CAMPAIGN)
        assert campaign is not None
        created = broadcasts.create(
            session, campaign=campaign, text=text, audience=Audience(REGION, "sms"), actor="bench"
        )
        broadcast_id = created.id
    producer = build_engine(settings, sessions, ChannelsOf(settings))  # RedisHuey: enqueue only
    producer.start(broadcast_id)
    return broadcast_id


def sent_rows(sessions: sessionmaker[Session], broadcast_id: int) -> int:
    with sessions() as session:
        query = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.idempotency_key.like(f"broadcast:{broadcast_id}:%"),
            OutboxMessage.status == "sent",
        )
        return session.scalar(query) or 0


def status_of(sessions: sessionmaker[Session], broadcast_id: int) -> str:
    with sessions() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return found.status


def wait_for(done: Callable[[], bool], what: str, deadline: float = DEADLINE) -> float:
    """time.time() once `done()`; RuntimeError after `deadline` seconds."""
    limit = time.monotonic() + deadline
    while not done():
        if time.monotonic() > limit:
            raise RuntimeError(f"not within {deadline:.0f} s: {what}")
        time.sleep(POLL)
    return time.time()


def fake_records() -> dict[str, Any]:
    answer = httpx.get(f"{TWILIO_URL}/_fake/messages", timeout=60)
    answer.raise_for_status()
    records: dict[str, Any] = answer.json()
    return records


def counts_of(sessions: sessionmaker[Session], broadcast_id: int) -> dict[str, int]:
    with sessions() as session:
        found = session.get(Broadcast, broadcast_id)
        assert found is not None
        return broadcast_stats.stats(session, found).counts


def settle(sessions: sessionmaker[Session], broadcast_id: int, expected: int) -> dict[str, int]:
    """The broadcast's counts once every message has a final delivery report (or after
    CALLBACKS_SECONDS)."""
    limit = time.monotonic() + CALLBACKS_SECONDS
    while True:
        counts = counts_of(sessions, broadcast_id)
        if counts["delivered"] + counts["failed"] >= expected or time.monotonic() > limit:
            return counts
        time.sleep(POLL)


def outcome_of(
    sessions: sessionmaker[Session], broadcast_id: int, started: float, done: float, text: str
) -> Outcome:
    records = fake_records()
    mine = [
        (at, form["To"])
        for at, form in zip(records["received_at"], records["requests"], strict=True)
        if form.get("Body") == text
    ]
    per_number = Counter(to for _, to in mine)
    counts = settle(sessions, broadcast_id, len(per_number))
    records = fake_records()  # the callbacks posted meanwhile
    sids = {m["sid"] for m in records["messages"] if m["body"] == text}
    callbacks_ok = sum(
        1 for c in records["callbacks"] if c["params"]["MessageSid"] in sids and c["answer"] == 200
    )
    return Outcome(started, done, sorted(at for at, _ in mine), per_number, counts, callbacks_ok)


def check(people: People, outcome: Outcome) -> dict[str, int]:
    """The broadcast's correctness in numbers; all but `received` must be 0."""
    numbers = set(outcome.per_number)
    return {
        "received": sum(outcome.per_number.values()),
        "duplicates": outcome.duplicates(),
        "to_excluded": len(numbers & people.excluded),
        "lost": len(set(people.consenting) - numbers),
        "unknown": len(numbers - set(people.consenting) - people.excluded),
    }


def plain(settings: Settings, sessions: sessionmaker[Session], text: str) -> Outcome:
    """A broadcast sent from start to end by the running consumer."""
    started = time.time()
    broadcast_id = begin(settings, sessions, text)
    done = wait_for(lambda: status_of(sessions, broadcast_id) == "done", "broadcast done")
    return outcome_of(sessions, broadcast_id, started, done, text)


@dataclass
class Restart:
    killed_at: float
    ready_at: float  # the new consumer process started and Huey runs
    sent_before: int  # rows recorded sent when the consumer was killed
    first_after: float | None  # the fake's first message after the kill


def killed(
    settings: Settings,
    sessions: sessionmaker[Session],
    text: str,
    consumer: Service,
    replacement: Service,
    at_sent: int,
) -> tuple[Outcome, Restart]:
    """A broadcast whose consumer is SIGKILLed once `at_sent` messages were recorded sent,
    and started again at once (`replacement`, the same command)."""
    started = time.time()
    broadcast_id = begin(settings, sessions, text)
    wait_for(lambda: sent_rows(sessions, broadcast_id) >= at_sent, f"{at_sent} sent")
    assert consumer.process is not None
    os.killpg(consumer.process.pid, signal.SIGKILL)  # the consumer runs in its own group
    killed_at = time.time()
    consumer.process.wait()
    sent_before = sent_rows(sessions, broadcast_id)
    start(replacement, WORK / "log")
    wait(replacement, WORK / "log", time.monotonic() + 60)
    ready_at = time.time()
    done = wait_for(lambda: status_of(sessions, broadcast_id) == "done", "broadcast resumed")
    outcome = outcome_of(sessions, broadcast_id, started, done, text)
    after = [at for at in outcome.received if at > killed_at]
    restart = Restart(killed_at, ready_at, sent_before, after[0] if after else None)
    return outcome, restart

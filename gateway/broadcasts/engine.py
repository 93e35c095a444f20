"""The job engine of broadcasts: Huey (huey.readthedocs.io), chosen in docs/broadcasts.md.

Two storages, same tasks: `SqliteHuey` on a file for the embedded profile (`make run`: no
server to install), `RedisHuey` on the deployment's Redis for the production profile. The
queue only says *when to look*: what a broadcast is, whether it is done and who was reached
live in the registry, so a queue that is lost (Redis flushed, the file deleted) loses nothing:

- `broadcasts.send(id)`: one pass of the sending job (job.py); enqueued when an admin confirms
  a broadcast, scheduled for its time when it has one;
- `broadcasts.sweep`, every minute: every broadcast that is due and held by no live job
  (scheduled ones whose task was lost, interrupted ones whose job died) is sent again;
- at the consumer's start, the same sweep at once, and once more when the latest lease of a
  job that died lapses, so a restarted consumer resumes without waiting for the minute.

The consumer is `healthaid broadcasts worker` (worker.py); the gateway only enqueues.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.job import RETRY_SECONDS, BroadcastJob, ChannelsFactory
from gateway.broadcasts.throttle import Throttle, storage_for
from gateway.logs import get_logger
from gateway.settings import Settings
from gateway.text import sender_key
from registry import broadcasts
from registry.broadcast_models import CHANNELS
from registry.db import REPO_ROOT
from registry.sqltypes import utcnow

DEFAULT_QUEUE = REPO_ROOT / "var" / "broadcast-queue.db"
# A sweep a moment after the last lease of a dead job lapsed, not exactly at it.
AFTER_LEASE = timedelta(seconds=1)


def queue_path(settings: Settings) -> Path:
    """The embedded queue's file: the setting, else next to the SQLite registry, else var/."""
    if settings.broadcast.queue_path:
        return Path(settings.broadcast.queue_path)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        registry = Path(url.database)
        return registry.with_name(f"{registry.stem}-broadcast-queue.db")
    return DEFAULT_QUEUE


def make_huey(settings: Settings) -> Huey:
    """RedisHuey when the deployment has Redis (HEALTHAID_REDIS_URL), else SqliteHuey.

    Only the default folder (var/) is created. When the folder the settings or the SQLite
    registry point at does not exist, the registry cannot be opened either, so no broadcast can
    be created: the gateway still starts (its /readyz says the database is down) with a queue
    in memory, and says so in the log, rather than creating folders where it was not told to."""
    name = f"{settings.redis_prefix}-broadcasts"
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    path = queue_path(settings)
    if path.parent == DEFAULT_QUEUE.parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        get_logger().warning("broadcast_queue_unavailable: its folder does not exist")
        return MemoryHuey(name, results=False)
    return SqliteHuey(name, filename=str(path), results=False)


@dataclass
class BroadcastEngine:
    huey: Huey
    job: BroadcastJob
    _send: TaskWrapper
    _sweep_later: TaskWrapper

    def start(self, broadcast_id: int, at: datetime | None = None) -> None:
        """Send the broadcast now, or at `at` (aware datetime). In immediate mode (tests that
        are not about the engine) this runs the job before returning."""
        if at is None or at <= utcnow():
            self._send(broadcast_id)
        else:
            self._send.schedule((broadcast_id,), eta=at)

    def sweep(self) -> list[int]:
        """Enqueue every due broadcast no live job holds; their ids."""
        with self.job.sessions() as session:
            due = broadcasts.due(session)
        for broadcast_id in due:
            self._send(broadcast_id)
        return due

    def resume(self) -> None:
        """At the consumer's start: sweep now, and again once a dead job's lease lapsed."""
        self.sweep()
        with self.job.sessions() as session:
            latest = broadcasts.latest_lease(session)
        if latest is not None and latest > utcnow():
            self._sweep_later.schedule(eta=latest + AFTER_LEASE)

    def consumer(self, workers: int = 2) -> Consumer:
        """Huey's consumer in threads (the job waits on I/O and the throttle, not the CPU)."""
        return self.huey.create_consumer(workers=workers, worker_type="thread")


def build_engine(
    settings: Settings,
    sessions: sessionmaker[Session],
    channels: ChannelsFactory,
    *,
    huey: Huey | None = None,
) -> BroadcastEngine:
    """The engine with its tasks registered on `huey` (default: `make_huey(settings)`);
    `channels` builds the channels' Deliver functions for each pass of the job."""
    huey = huey or make_huey(settings)
    rates = {channel: settings.broadcast.rate(channel) for channel in CHANNELS}
    job = BroadcastJob(
        sessions=sessions,
        channels=channels,
        throttle=Throttle(storage_for(settings.redis_url, settings.redis_prefix), rates),
        key_of=lambda raw: sender_key(raw, settings.sender_secret),
        lease_seconds=settings.broadcast.lease_seconds,
        outbox_lease_seconds=settings.outbox.lease_seconds,
        max_attempts=settings.outbox.max_attempts,
    )

    @huey.task(name="broadcasts.send")
    def send(broadcast_id: int) -> None:
        done = asyncio.run(job.run(broadcast_id))
        if not done.finished and not done.held:
            # Messages wait for a retry (the outbox's back-off): look again later.
            send.schedule((broadcast_id,), delay=RETRY_SECONDS)

    @huey.task(name="broadcasts.sweep_later")
    def sweep_later() -> None:
        engine.sweep()

    @huey.periodic_task(crontab(minute="*"), name="broadcasts.sweep")
    def sweep_every_minute() -> None:
        engine.sweep()

    @huey.on_startup(name="broadcasts.resume")
    def resume() -> None:
        try:
            engine.resume()
        except Exception as error:  # the consumer must start even if the registry is down
            get_logger().error("broadcast_resume_error", exc_info=error)

    engine = BroadcastEngine(huey, job, send, sweep_later)
    return engine

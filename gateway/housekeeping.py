"""The purge of receipts and expired secret tokens, run by the gateway every hour.

Every gateway process runs it (the deletes are idempotent, so several processes only repeat
each other's work); the first run comes a minute after start-up, so a gateway that restarts
often still purges. A database error is logged and the next hour tries again.
"""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gateway.logs import get_logger
from registry.retention import Purged, Retention, purge

PURGE_EVERY_SECONDS = 3600.0
FIRST_PURGE_AFTER_SECONDS = 60.0
ACTOR = "gateway"


def purge_once(sessions: sessionmaker[Session], retention: Retention) -> Purged:
    """One purge in its own transaction (synchronous: run it in a worker thread)."""
    with sessions.begin() as session:
        return purge(session, retention, actor=ACTOR)


async def purge_periodically(
    sessions: sessionmaker[Session],
    retention: Retention,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Purge FIRST_PURGE_AFTER_SECONDS after start, then every PURGE_EVERY_SECONDS, until
    cancelled (at shutdown). Logs the counts of each purge that deleted something."""
    log = get_logger()
    delay = FIRST_PURGE_AFTER_SECONDS
    while True:
        await sleep(delay)
        delay = PURGE_EVERY_SECONDS
        try:
            purged = await run_in_threadpool(purge_once, sessions, retention)
        except SQLAlchemyError as error:
            log.warning("purge_failed", extra={"error": type(error).__name__})
            continue
        if purged.receipts or purged.secret_tokens:
            log.info(
                "purged",
                extra={"receipts": purged.receipts, "secret_tokens": purged.secret_tokens},
            )

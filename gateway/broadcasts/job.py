"""Sending one broadcast: the job the engine runs (gateway/broadcasts/engine.py).

The job takes the broadcast's lease, works out its audience now (consent and opt-outs as they
are at sending time), and goes through the residents in the order of their registry id. For
each one not reached yet, or whose message is not final, it waits for the channel's throttle,
then in one transaction renews its lease and takes the resident's outbox row (queued and
claimed together: registry.broadcasts.take), and sends it through the outbox sender with
the channel's `Deliver`. A job that dies leaves rows queued or `sending`; the next job, once
the lease lapsed, claims them when due and carries on. The idempotency key
`broadcast:<id>:<resident id>` means no resident is ever queued twice.

A resident who opts out after their row was queued (between a crash and the resend) is
recorded as opted out when the row is sent, and sent nothing (gateway/outbox.py checks every
broadcast row at sending time).

Delivery is at least once, as for every outbox row: a job killed after the provider accepted
a message but before the outcome was recorded sends that one message again on resume.
"""

import asyncio
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.throttle import Throttle
from gateway.logs import get_logger
from gateway.metrics import Metrics
from gateway.outbox import Deliver, OutboxSender, Outcome
from registry import broadcasts
from registry.broadcasts import Audience, KeyOf, Recipient
from registry.outbox import Claimed

ChannelsFactory = Callable[[], AbstractAsyncContextManager[dict[str, Deliver]]]
RETRY_SECONDS = 30.0  # a pass that left messages waiting for a retry runs again this much later


@dataclass(frozen=True)
class Pass:
    """What one run of the job did: `sent` messages handed to the provider, `finished` when
    every recipient's message is final, `held` when another job holds the broadcast."""

    sent: int = 0
    finished: bool = False
    held: bool = False


@dataclass
class BroadcastJob:
    sessions: sessionmaker[Session]
    channels: ChannelsFactory
    throttle: Throttle
    key_of: KeyOf
    lease_seconds: float = 60.0
    outbox_lease_seconds: float = 30.0
    max_attempts: int = 5

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    async def run(self, broadcast_id: int) -> Pass:
        """One pass over the broadcast's audience. Raises SQLAlchemyError when the registry
        cannot be reached (the engine runs the job again later)."""
        holder = secrets.token_hex(8)
        started = await asyncio.to_thread(self._claim, broadcast_id, holder)
        if started is None:
            return Pass(held=True)
        channel, recipients = started
        log = get_logger()
        log.info("broadcast_pass", extra={"broadcast": broadcast_id, "audience": len(recipients)})
        sent = 0
        async with self.channels() as delivers:
            sender = OutboxSender(
                self.sessions,
                delivers,
                Metrics(),
                lease_seconds=self.outbox_lease_seconds,
                max_attempts=self.max_attempts,
            )
            for recipient in recipients:
                if not await asyncio.to_thread(self._needs, broadcast_id, recipient):
                    continue
                if not recipient.opted_out:
                    await self.throttle.wait(channel)
                kept, claimed = await asyncio.to_thread(self._take, broadcast_id, holder, recipient)
                if not kept:
                    log.warning("broadcast_lease_lost", extra={"broadcast": broadcast_id})
                    return Pass(sent, held=True)
                outcome = None if claimed is None else await sender.send_claimed(claimed)
                if outcome is not None and outcome is not Outcome.OPTED_OUT:
                    sent += 1
        finished = await asyncio.to_thread(self._finish, broadcast_id, holder, recipients)
        log.info(
            "broadcast_pass_end",
            extra={"broadcast": broadcast_id, "sent": sent, "finished": finished},
        )
        return Pass(sent, finished)

    def _claim(self, broadcast_id: int, holder: str) -> tuple[str, list[Recipient]] | None:
        with self.sessions.begin() as session:
            broadcast = broadcasts.claim(session, broadcast_id, holder, self._lease)
            if broadcast is None:
                return None
            audience = Audience.of(broadcast)
            return audience.channel, broadcasts.recipients(session, audience, self.key_of)

    def _needs(self, broadcast_id: int, recipient: Recipient) -> bool:
        with self.sessions() as session:
            return broadcasts.needs_sending(session, broadcast_id, recipient.resident_id)

    def _take(
        self, broadcast_id: int, holder: str, recipient: Recipient
    ) -> tuple[bool, Claimed | None]:
        with self.sessions.begin() as session:
            if not broadcasts.renew(session, broadcast_id, holder, self._lease):
                return False, None
            broadcast = broadcasts.by_id(session, broadcast_id)
            assert broadcast is not None  # held by us, and broadcasts are never deleted
            lease = timedelta(seconds=self.outbox_lease_seconds)
            return True, broadcasts.take(session, broadcast, recipient, lease)

    def _finish(self, broadcast_id: int, holder: str, recipients: list[Recipient]) -> bool:
        with self.sessions.begin() as session:
            done = not any(
                broadcasts.needs_sending(session, broadcast_id, recipient.resident_id)
                for recipient in recipients
            )
            broadcasts.release(session, broadcast_id, holder, done=done)
            return done

"""Sending the outbox (registry/outbox.py): every message sent outside an HTTP reply.

A row is written before anything is sent. It is sent at once by whoever queued it
(`send_now`), and every gateway process also runs `run`, a loop that claims the rows that
are due (queued for later, or left `sending` past their lease by a process that died) and
sends them. This is the transactional-outbox pattern kept as a small claim/lease loop in the
database: the rows, their claims and their outcomes live in the registry, which every process
already shares; no job engine, queue server or second copy of the state is needed for it.

Each channel is one `Deliver` function (raw recipient, payload, row id) → `Delivery`; the
row id lets a provider that reports delivery later (Twilio's StatusCallback) name the row:
- SENT: done (the provider accepted it; its message id and status are recorded when given);
- RETRY: a transient failure (network, provider busy): due again after a back-off, until
  `max_attempts`, then failed;
- FAILED: given up (the account's credentials, a token refused even after a refresh);
- UNDELIVERABLE: the provider refused this message for good (WeChat 45015, 48 hours passed);
  never retried.

A broadcast row is checked against the registry at the moment it is sent, by whichever
sender claimed it (the broadcast job, or any gateway's loop resending it after a crash): a
resident who opted out since it was queued is recorded as opted out (OPTED_OUT) and sent
nothing, and the channel is told whether the resident's last message is within WeChat's
48-hour window (`payload[WINDOW_OPEN]`: customer-service message or template message).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gateway.logs import get_logger
from gateway.metrics import Metrics
from registry import broadcasts, outbox, tokens, traffic
from registry.outbox import Claimed
from registry.sqltypes import utcnow

# Back-off after the 1st, 2nd, 3rd … transient failure of a row (seconds).
RETRY_AFTER_SECONDS = (10.0, 60.0, 300.0, 1800.0)
BATCH = 20
# Added to a WeChat broadcast row's payload when it is sent (never stored): True when the
# resident's last message is within the 48-hour window. Rows without it answer the resident.
WINDOW_OPEN = "window_open"


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    OPTED_OUT = "opted_out"  # a broadcast whose resident opted out since it was queued


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    error: str | None = None  # what the provider said; never a URL, token or recipient
    provider_id: str | None = None  # SENT: the provider's id of the message (Twilio's SID)
    provider_status: str | None = None  # SENT: the status it answered with (`queued`)


# (raw recipient, payload, outbox row id) → what became of the attempt.
Deliver = Callable[[str, dict[str, Any], int], Awaitable[Delivery]]


@dataclass
class OutboxSender:
    sessions: sessionmaker[Session]
    channels: dict[str, Deliver]  # the configured channels; a row for another one fails
    metrics: Metrics
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    max_attempts: int = 5

    async def enqueue(
        self,
        *,
        channel: str,
        kind: str,
        recipient_key: str,
        recipient: str,
        recipient_kind: tokens.Kind,
        payload: dict[str, Any],
        idempotency_key: str,
        due_in: float = 0.0,
    ) -> int | None:
        """Write a row (in its own transaction), due in `due_in` seconds; its id, or None
        when a row with this idempotency key exists already (nothing is added, nothing sent
        twice). Raises SQLAlchemyError.

        - `channel`: a configured channel, `"wechat"` (recipient: the OpenID,
          `recipient_kind="openid"`) or `"sms"` (recipient: the phone number in E.164,
          `+8613800138000`, `recipient_kind="phone"`);
        - `kind`: `reply`, `handoff` or `broadcast` (for the admin page and statistics);
        - `recipient_key`: the sender's keyed hash (`gateway.text.sender_key`); the raw
          recipient is kept only as an expiring secret token (48 hours);
        - `payload`: `{"text": "…"}`, the text sent as it is (Twilio splits long SMS itself,
          up to 1600 characters);
        - `idempotency_key`: names the message (`handoff-reply:<id>`), at most 128 characters.

        The row is sent by this or any other gateway process's `run` loop within
        `poll_seconds` of being due, or at once with `send_now(row_id)`."""

        def write() -> int | None:
            with self.sessions.begin() as session:
                return outbox.enqueue(
                    session,
                    channel=channel,
                    kind=kind,
                    recipient_key=recipient_key,
                    recipient=recipient,
                    recipient_kind=recipient_kind,
                    payload=payload,
                    idempotency_key=idempotency_key,
                    due=utcnow() + timedelta(seconds=due_in),
                )

        return await run_in_threadpool(write)

    async def send_now(self, row_id: int, payload: dict[str, Any] | None = None) -> Outcome | None:
        """Send a queued row now, with `payload` in place of its own when given; None when
        another sender holds it or it is done."""

        def claim() -> Claimed | None:
            with self.sessions.begin() as session:
                return outbox.claim_now(session, row_id, self._lease, payload=payload)

        claimed = await run_in_threadpool(claim)
        return None if claimed is None else await self._send(claimed)

    async def send_claimed(self, claimed: Claimed) -> Outcome:
        """Send a row this sender claimed itself (registry.outbox.claim_*) and record the
        outcome."""
        return await self._send(claimed)

    async def send_due(self) -> int:
        """Claim the rows that are due and send them (at the same time: each must finish
        within the lease). How many were claimed."""

        def claim() -> list[Claimed]:
            with self.sessions.begin() as session:
                return outbox.claim_due(session, self._lease, limit=BATCH)

        claimed = await run_in_threadpool(claim)
        await asyncio.gather(*(self._send(row) for row in claimed))
        return len(claimed)

    async def run(self) -> None:
        """Send due rows until cancelled (at shutdown); a full batch is followed at once by
        the next, otherwise the loop waits `poll_seconds`. Errors are logged, never fatal."""
        log = get_logger()
        while True:
            claimed = 0
            try:
                claimed = await self.send_due()
            except SQLAlchemyError as error:
                log.warning("outbox_database_error", extra={"error": type(error).__name__})
            except Exception as error:  # the loop must outlive any one row's surprise
                log.error("outbox_loop_error", exc_info=error)
            if claimed < BATCH:
                await asyncio.sleep(self.poll_seconds)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    async def _send(self, claimed: Claimed) -> Outcome:
        delivery = await self._attempt(claimed)
        if delivery.outcome is Outcome.RETRY and claimed.attempts >= self.max_attempts:
            note = f"gave up after {claimed.attempts} attempts: {delivery.error}"
            delivery = Delivery(Outcome.FAILED, note)
        recorded = False
        with contextlib.suppress(SQLAlchemyError):  # unrecorded: sent again after the lease
            recorded = await run_in_threadpool(self._record, claimed, delivery)
        self.metrics.outbox.labels(claimed.channel, delivery.outcome.value).inc()
        get_logger().info(
            "outbox_delivery",
            extra={
                "row": claimed.id,
                "channel": claimed.channel,
                "attempt": claimed.attempts,
                "outcome": delivery.outcome.value,
                "error": delivery.error,
                "recorded": recorded,
            },
        )
        return delivery.outcome

    async def _attempt(self, claimed: Claimed) -> Delivery:
        deliver = self.channels.get(claimed.channel)
        if deliver is None:
            return Delivery(Outcome.FAILED, f"{claimed.channel} is not configured")
        if claimed.provider_id is not None:
            # A delivery report for this row arrived after an earlier attempt whose sender
            # died before recording it: the provider has the message; sending it again would
            # be a duplicate.
            return Delivery(Outcome.SENT, provider_id=claimed.provider_id)
        if claimed.recipient is None:
            return Delivery(Outcome.UNDELIVERABLE, "recipient token expired")
        payload = claimed.payload
        if claimed.kind == "broadcast":
            try:
                now = await run_in_threadpool(self._at_send, claimed)
            except SQLAlchemyError as error:
                return Delivery(Outcome.RETRY, type(error).__name__)
            if now.opted_out:
                return Delivery(Outcome.OPTED_OUT, broadcasts.OPTED_OUT_ERROR)
            if claimed.channel == "wechat":
                open_ = traffic.wechat_window_open(now.last_contact, utcnow())
                payload = {**payload, WINDOW_OPEN: open_}
        try:
            return await deliver(claimed.recipient, payload, claimed.id)
        except Exception as error:  # a bug in a channel must not stop the others
            get_logger().error("outbox_delivery_error", exc_info=error)
            return Delivery(Outcome.RETRY, type(error).__name__)

    def _at_send(self, claimed: Claimed) -> broadcasts.AtSend:
        with self.sessions() as session:
            return broadcasts.at_send(session, claimed)

    def _record(self, claimed: Claimed, delivery: Delivery) -> bool:
        with self.sessions.begin() as session:
            if delivery.outcome is Outcome.OPTED_OUT:
                return broadcasts.record_opted_out(session, claimed)
            if delivery.outcome is Outcome.RETRY:
                steps = RETRY_AFTER_SECONDS
                wait = steps[min(claimed.attempts, len(steps)) - 1]
                at = utcnow() + timedelta(seconds=wait)
                return outbox.record_retry(session, claimed, delivery.error or "", at)
            return outbox.record_final(
                session,
                claimed,
                delivery.outcome.value,
                delivery.error,
                provider_id=delivery.provider_id,
                delivery_status=delivery.provider_status,
            )

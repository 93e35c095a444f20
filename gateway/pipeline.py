"""The inbound pipeline every channel shares.

normalise (by the channel adapter) → [in one transaction: claim the provider message id →
opt-out → rate limit → campaign → redact ID numbers → condense a long letter → conversation and
message log → sender token]
→ Rasa, with its own deadline → message status → the channel formats the replies → `settle`:
the reply cached for copies of the message, the claim released.

Copies of one provider message (Twilio's retry, WeChat's three tries, on any gateway process)
are answered once: the first claims the message id, a copy waits a bounded time for that
answer in the reply cache and replays it; a copy that finds the claim lapsed unanswered (its
worker died) answers the message itself — after looking in Rasa's tracker whether the dead
worker's post reached Rasa, so Rasa never runs one message twice. A post that breaks under the
gateway (the Rasa instance died) is retried once on the surviving instance, after the same
look-up.

Whatever fails (Rasa down or slow, the action server down, the database locked), the resident
gets a polite answer and the message stays recorded when the database allowed it.
"""

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gateway import replies
from gateway.logs import get_logger, short
from gateway.metrics import Metrics
from gateway.rasa_client import MESSAGE_KEY, RasaClient, RasaError, RasaLost, RasaTimeout, Reply
from gateway.shared import MessageLimits, ReplyCache, SenderMemory, SharedStateError
from gateway.text import sender_key
from gateway.turns import Prepared, Turn, prepare
from gateway.watch import HealthWatch
from registry import traffic
from registry.idnumber import mask_in_text
from registry.traffic import Claim


class ActionServerDown(Exception):
    """The action server failed its health check: Rasa would answer without its actions."""


# Intents after which the assistant had nothing to say about the question (admin page).
UNANSWERED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# How often a copy of a message being answered elsewhere looks for the answer.
POLL_SECONDS = 0.05


@dataclass
class Answer:
    replies: list[Reply]
    status: str  # answered | failed | local (the gateway answered itself)


@dataclass
class Pipeline:
    sessions: sessionmaker[Session]
    rasa: RasaClient
    secret: bytes
    memory: SenderMemory
    limits: MessageLimits
    metrics: Metrics
    replies: ReplyCache
    # A claim on a provider message id lasts the turn's own deadline plus this margin.
    claim_margin: float = 2.0
    # After a post to Rasa broke (its instance died), the retry on the other instance may take
    # this much longer than the turn's deadline: it waits for the dead instance's lock on the
    # conversation to expire (TICKET_LOCK_LIFETIME, deploy/rasa.env; docs/deploy.md).
    failover_seconds: float = 5.0
    record_topics: bool = True
    action_server: HealthWatch | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def key(self, raw_sender: str) -> str:
        return sender_key(raw_sender, self.secret)

    async def prepare(
        self, turn: Turn, *, answer_within: float, wait: float | None = None
    ) -> Prepared:
        """Claim and decide `turn`. The claim on its provider id lasts `answer_within` (the
        deadline of the answer, or of its hand-over to the outbox) plus `claim_margin`. A copy
        of a message claimed elsewhere waits up to `wait` (default: the claim's length plus
        the `failover_seconds` by which its worker may extend it) for that answer: "replay"
        with it, "duplicate" without, or the turn itself when the claim lapsed meanwhile."""
        self.metrics.requests.labels(turn.channel).inc()
        lease = answer_within + self.claim_margin
        prepared = await self._prepare_once(turn, lease)
        if prepared.decision != "duplicate":
            return prepared
        if wait is None:
            wait = lease + self.failover_seconds
        return await self._await_first(turn, prepared, lease, wait)

    async def _prepare_once(self, turn: Turn, lease: float) -> Prepared:
        log = get_logger()
        key = self.key(turn.sender)
        try:
            prepared = await run_in_threadpool(self._prepare, turn, key, lease)
        except (SQLAlchemyError, SharedStateError) as error:
            # "database is locked", a lost PostgreSQL connection, Redis down: answer, never
            # crash. The transaction is rolled back, so a retry of the message is not a duplicate.
            store = "database" if isinstance(error, SQLAlchemyError) else "shared_state"
            self.metrics.failures.labels(turn.channel, store).inc()
            log.warning(
                f"{store}_error",
                extra={
                    "channel": turn.channel,
                    "sender": short(key),
                    "error": type(error).__name__,
                },
            )
            return Prepared("reply", key, reply=replies.BUSY)
        log.info(
            "inbound",
            extra={"channel": turn.channel, "sender": short(key), "decision": prepared.decision},
        )
        return prepared

    def _prepare(self, turn: Turn, key: str, lease: float) -> Prepared:
        with self.sessions.begin() as session:
            return prepare(
                session,
                turn,
                key,
                memory=self.memory,
                limits=self.limits,
                lease=timedelta(seconds=lease),
            )

    async def _await_first(
        self, turn: Turn, duplicate: Prepared, lease: float, wait: float
    ) -> Prepared:
        deadline = time.monotonic() + wait
        while True:
            if (cached := await self._cached(turn)) is not None:
                return Prepared("replay", duplicate.sender_key, reply=cached)
            try:
                state = await run_in_threadpool(self._claim_state, turn)
            except SQLAlchemyError:
                return duplicate
            if state is Claim.TAKEN_OVER:  # lapsed: this copy answers, unless another was first
                prepared = await self._prepare_once(turn, lease)
                if prepared.decision != "duplicate":
                    return prepared
            elif state is Claim.SETTLED:  # answered; the cache may have got it just now
                cached = await self._cached(turn)
                if cached is None:
                    return duplicate
                return Prepared("replay", duplicate.sender_key, reply=cached)
            if time.monotonic() >= deadline:
                return duplicate
            await asyncio.sleep(POLL_SECONDS)

    def _claim_state(self, turn: Turn) -> Claim:
        assert turn.provider_id is not None
        with self.sessions() as session:
            return traffic.claim_state(session, turn.channel, turn.provider_id)

    async def _cached(self, turn: Turn) -> str | None:
        assert turn.provider_id is not None
        try:
            return await run_in_threadpool(self.replies.get, turn.channel, turn.provider_id)
        except SharedStateError:
            return None

    async def settle(self, turn: Turn, prepared: Prepared, reply: str) -> None:
        """The answer to a claimed message is given (`reply`: what the HTTP response carried,
        "" for none) or handed to the outbox: cached for copies still to come, then the claim
        released. Nothing to do for copies, messages without a provider id, or a turn whose
        claim was never recorded (the database failed)."""
        if turn.provider_id is None or prepared.claim is None or not prepared.claim.answers:
            return
        log = get_logger()
        try:
            await run_in_threadpool(self.replies.put, turn.channel, turn.provider_id, reply)
        except SharedStateError as error:
            log.warning("shared_state_error", extra={"error": str(error)})
        try:
            await run_in_threadpool(self._settle, turn.channel, turn.provider_id)
        except SQLAlchemyError as error:
            log.warning("database_error", extra={"error": type(error).__name__})

    def _settle(self, channel: str, provider_id: str) -> None:
        with self.sessions.begin() as session:
            traffic.settle(session, channel, provider_id)

    async def ask(self, prepared: Prepared, channel: str, timeout: float) -> Answer:
        """Rasa's answer to a prepared message; never raises for Rasa's or the database's
        faults (they become 「系统繁忙」 and status failed)."""
        log = get_logger()
        started = time.perf_counter()
        # The health check runs alongside the Rasa call, so a healthy turn waits for nothing.
        healthy = asyncio.ensure_future(self._action_server_up())
        try:
            answer = await self._rasa_answer(prepared, channel, timeout)
            if not await healthy:
                raise ActionServerDown
        except ActionServerDown:
            answer, status = [], "action_server_down"
        except RasaError as error:
            healthy.cancel()
            reason = "rasa_timeout" if isinstance(error, RasaTimeout) else "rasa_unavailable"
            answer, status = [], reason
        else:
            self.metrics.rasa_latency.observe(time.perf_counter() - started)
            # No message at all: the action server failed (Rasa swallows that) — say so.
            status = "answered" if answer else "empty_answer"
        if status != "answered":
            self.metrics.failures.labels(channel, status).inc()
            log.warning("rasa_failed", extra={"channel": channel, "reason": status})
            answer = [Reply(replies.BUSY)]
        # Actions mask ID numbers already; this is the last line of defence for a reply.
        answer = [Reply(mask_in_text(r.text), r.buttons) for r in answer]
        stored = "answered" if status == "answered" else "failed"
        await self._record(prepared, stored)
        self.metrics.replies.labels(channel).inc()
        log.info(
            "answered",
            extra={
                "channel": channel,
                "sender": short(prepared.sender_key),
                "status": stored,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        return Answer(answer, stored)

    async def _rasa_answer(self, prepared: Prepared, channel: str, timeout: float) -> list[Reply]:
        """Rasa's replies to `prepared`, the message run by Rasa at most once.

        A message taken over from a worker that died may have been posted to Rasa by it: the
        sender's tracker is read first, and Rasa's replies found there are the answer. A post
        that breaks (RasaLost) is retried once, at once, after the same look-up: the proxy
        sends it to the surviving instance. The retry may take `failover_seconds` beyond
        `timeout`, and the claim on the message is held that much longer. RasaError when
        neither gives an answer in time.
        """
        deadline = time.monotonic() + timeout
        if prepared.claim is not Claim.TAKEN_OVER:
            try:
                return await self.rasa.send(
                    prepared.sender_key, prepared.text, channel, prepared.metadata, timeout=timeout
                )
            except RasaLost as error:
                get_logger().warning("rasa_retry", extra={"channel": channel, "error": str(error)})
            deadline += self.failover_seconds
            await self._extend_claim(prepared, channel, deadline)
        return await self._resume(prepared, channel, deadline)

    async def _resume(self, prepared: Prepared, channel: str, deadline: float) -> list[Reply]:
        """The answer to a message an earlier attempt may have brought to Rasa: what Rasa's
        tracker holds for it, or, when Rasa never heard it, Rasa's answer to it now."""

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RasaTimeout("no time left to ask Rasa again")
            return left

        key = prepared.sender_key
        recalled = await self.rasa.recall(key, prepared.metadata[MESSAGE_KEY], timeout=remaining())
        if recalled is not None:
            get_logger().info("rasa_recalled", extra={"channel": channel, "sender": short(key)})
            return recalled
        return await self.rasa.send(
            key, prepared.text, channel, prepared.metadata, timeout=remaining()
        )

    async def _extend_claim(self, prepared: Prepared, channel: str, deadline: float) -> None:
        if prepared.provider_id is None or prepared.claim is None:
            return
        lease = timedelta(seconds=deadline - time.monotonic() + self.claim_margin)
        provider_id = prepared.provider_id

        def extend() -> None:
            with self.sessions.begin() as session:
                traffic.extend_claim(session, channel, provider_id, lease)

        try:
            await run_in_threadpool(extend)
        except SQLAlchemyError as error:  # copies may then take over: they look first too
            get_logger().warning("database_error", extra={"error": type(error).__name__})

    async def _action_server_up(self) -> bool:
        return True if self.action_server is None else await self.action_server.up()

    async def _record(self, prepared: Prepared, status: str) -> None:
        if prepared.message_id is None:
            return
        message_id = prepared.message_id
        try:
            await run_in_threadpool(self._set_status, message_id, status, prepared.topic)
        except SQLAlchemyError as error:
            get_logger().warning("database_error", extra={"error": type(error).__name__})
        if status == "answered" and self.record_topics and prepared.topic is None:
            self.spawn(self._record_topic(prepared.sender_key, message_id))

    def _set_status(self, message_id: int, status: str, topic: str | None) -> None:
        with self.sessions.begin() as session:
            traffic.set_status(session, message_id, status, topic=topic)

    async def _record_topic(self, key: str, message_id: int) -> None:
        """After the reply: ask Rasa's tracker which intent it recognised (the REST channel
        does not say), for the admin page's topics and unanswered questions."""
        intent = await self.rasa.latest_intent(key)
        if intent is None:
            return
        topic = intent.removeprefix("ask_")
        status = "unanswered" if intent in UNANSWERED_INTENTS else "answered"
        with contextlib.suppress(SQLAlchemyError):  # statistics only; the answer went out
            await run_in_threadpool(self._set_status, message_id, status, topic)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A background task kept alive (asyncio holds tasks weakly) and logged if it fails."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            get_logger().error("background_task_failed", exc_info=error)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let background work (WeChat deliveries) finish, e.g. at shutdown or in tests."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def handle(self, turn: Turn, timeout: float) -> tuple[Prepared, Answer | None]:
        """prepare + ask, for channels that answer in the same request (SMS, widget); the
        caller settles once the reply is formatted."""
        prepared = await self.prepare(turn, answer_within=timeout)
        if prepared.decision != "ask":
            return prepared, None
        return prepared, await self.ask(prepared, turn.channel, timeout)

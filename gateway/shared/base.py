"""The interfaces of the state the gateway's processes share, and the one error they raise.

Synchronous on purpose: they are asked inside the database transaction of `gateway.turns`,
which runs in a worker thread; async callers go through `run_in_threadpool`.
"""

from typing import Protocol

from gateway.rasa_client import Button

# How long a sender's buttons and pages are remembered after an answer.
MEMORY_SECONDS = 30 * 60
# How long the reply to a provider message id is kept for a repeated delivery: Twilio and
# WeChat retry within seconds, and WeChat's third try comes about 15 s after the first.
REPLY_SECONDS = 60.0


class SharedStateError(Exception):
    """The shared store (Redis) did not answer; the caller answers 「系统繁忙」 or carries on."""


class SenderMemory(Protocol):
    """What the gateway remembers about a sender between two messages: the buttons last offered
    (so "2" can mean the second one) and the pages of a long SMS answer not yet sent ("更多").
    Keyed by the hashed sender. Losing it only means a resident types the choice in words or
    asks again."""

    def buttons(self, key: str) -> list[Button]: ...

    def remember(self, key: str, buttons: list[Button], pages: list[str]) -> None:
        """Replace what is remembered: a new answer makes the old choices and pages stale."""

    def next_page(self, key: str) -> str | None:
        """The next page not yet sent, taken out (so two 「更多」 get two different pages)."""


class ReplyCache(Protocol):
    """The reply given to one provider message (Twilio MessageSid, WeChat MsgId), kept
    `REPLY_SECONDS`, so a repeated delivery of that message can get the same answer."""

    def get(self, channel: str, message_id: str) -> str | None: ...

    def put(self, channel: str, message_id: str, reply: str) -> None: ...

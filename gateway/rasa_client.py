"""Talking to the Rasa server's REST channel (docs/conversation.md), with our own deadline.

Rasa waits up to 300 s for the action server; a resident on SMS will not, and WeChat drops the
connection after 5 s. Every call here therefore carries a deadline of its own.

Exceptions::

    RasaError              Rasa did not give a usable answer
    ├── RasaUnavailable    connection refused, HTTP error, or a body that is not Rasa's
    │   └── RasaLost       the connection broke, or the proxy said the instance is gone
    └── RasaTimeout        no answer within the deadline

Every message carries a key of its own in its metadata (`MESSAGE_KEY`): the provider's id
(Twilio's MessageSid, WeChat's MsgId) when there is one, else the gateway's log id. Before a
message whose earlier attempt may have reached Rasa is sent again, `recall` looks for that key
in the sender's tracker, so Rasa never runs one message twice.
"""

import asyncio
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

WEBHOOK = "/webhooks/rest/webhook"
# The sender key again, as a header: HAProxy in front of several Rasa instances hashes on it
# (`balance hdr(X-Healthaid-Sender)`), so one conversation stays on one instance without the
# proxy reading the JSON body (docs/deploy.md). It is the keyed hash, never a phone number.
SENDER_HEADER = "X-Healthaid-Sender"
# The metadata field naming one message across attempts (gateway/turns.py writes it); Rasa
# keeps a message's metadata in its user event, so the tracker tells whether it was heard.
MESSAGE_KEY = "message_key"
# HAProxy's answers when the server died mid-request (502) or no server is up (503).
PROXY_LOST = frozenset({502, 503})


class RasaError(Exception):
    """Rasa did not give a usable answer."""


class RasaUnavailable(RasaError):
    """Rasa refused the connection, answered an HTTP error, or an unreadable body."""


class RasaLost(RasaUnavailable):
    """The connection broke mid-request, or the proxy in front answered 502/503 (the instance
    died or none is up): the message may have reached an instance that is gone."""


class RasaTimeout(RasaError):
    """Rasa did not answer within the deadline."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)


def _replies(payload: Any) -> list[Reply]:
    if not isinstance(payload, list):
        raise RasaUnavailable("Rasa's answer is not a list of messages")
    replies = []
    for item in payload:
        if not isinstance(item, dict):
            raise RasaUnavailable("Rasa's answer holds a non-object message")
        buttons = [
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title")
        ]
        text = item.get("text")
        # Image or custom messages carry no text; SMS and WeChat can only show text.
        if (isinstance(text, str) and text) or buttons:
            replies.append(Reply(text if isinstance(text, str) else "", buttons))
    return replies


def answered_in(tracker: Any, message_key: str) -> list[Reply] | None:
    """What Rasa said to the message carrying `message_key`, from a tracker as Rasa's HTTP API
    returns it (`{"events": [{"event": "user", "metadata": {...}}, {"event": "bot", "text",
    "data": {"buttons"}}, {"event": "action", "name": "action_listen"}, ...]}`): the bot
    utterances after the last user event with that key, up to the next user event. None when
    no user event carries the key.

    A user event in the store means its turn is over: Rasa saves a turn's events once, when
    it ends (rasa 3.6, core/processor.py `handle_message`: `log_message(...,
    should_save_tracker=False)`, then the prediction loop, then `save_tracker`), so a turn
    still running is not in the tracker at all.
    """
    if not isinstance(tracker, dict) or not isinstance(tracker.get("events"), list):
        raise RasaUnavailable("Rasa's tracker has no list of events")
    events = [e for e in tracker["events"] if isinstance(e, dict)]
    heard = [
        n
        for n, event in enumerate(events)
        if event.get("event") == "user"
        and isinstance(event.get("metadata"), dict)
        and event["metadata"].get(MESSAGE_KEY) == message_key
    ]
    if not heard:
        return None
    said = []
    for event in events[heard[-1] + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data")
            buttons = data.get("buttons") if isinstance(data, dict) else None
            said.append({"text": event.get("text"), "buttons": buttons})
    return _replies(said)


class RasaClient:
    """One connection pool to Rasa; `transport` lets tests answer without a server."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self._client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        sender_key: str,
        text: str,
        channel: str,
        metadata: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> list[Reply]:
        """Rasa's replies to `text` from `sender_key`; RasaTimeout after `timeout` seconds."""
        body = {"sender": sender_key, "message": text, "input_channel": channel}
        body["metadata"] = metadata  # type: ignore[assignment]
        deadline = self.timeout if timeout is None else timeout
        try:
            # wait_for bounds the whole exchange; httpx's timeout alone bounds each read, and
            # a server trickling bytes could otherwise hold the request for ever.
            response = await asyncio.wait_for(
                self._client.post(
                    WEBHOOK, json=body, headers={SENDER_HEADER: sender_key}, timeout=deadline
                ),
                deadline,
            )
        except (TimeoutError, httpx.TimeoutException):
            raise RasaTimeout(f"Rasa gave no answer within {deadline:g} s") from None
        except httpx.HTTPError as error:
            raise RasaLost(f"Rasa is unreachable: {type(error).__name__}") from None
        if response.status_code in PROXY_LOST:
            raise RasaLost(f"Rasa's proxy answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            payload = json.loads(response.content)
        except ValueError:
            raise RasaUnavailable("Rasa's answer is not JSON") from None
        return _replies(payload)

    async def recall(
        self, sender_key: str, message_key: str, *, timeout: float
    ) -> list[Reply] | None:
        """Rasa's replies to the message whose metadata holds `message_key`, read back from the
        sender's tracker (`GET /conversations/{sender}/tracker`); None when Rasa never heard
        it. RasaUnavailable or RasaTimeout when the tracker cannot be read within `timeout`
        seconds: then nobody knows, and the message must not be sent again."""
        try:
            response = await asyncio.wait_for(
                self._client.get(
                    f"/conversations/{sender_key}/tracker",
                    params={"include_events": "ALL"},
                    headers={SENDER_HEADER: sender_key},
                    timeout=timeout,
                ),
                timeout,
            )
        except (TimeoutError, httpx.TimeoutException):
            raise RasaTimeout(f"Rasa's tracker not read within {timeout:g} s") from None
        except httpx.HTTPError as error:
            raise RasaLost(f"Rasa is unreachable: {type(error).__name__}") from None
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code} for a tracker")
        try:
            tracker = json.loads(response.content)
        except ValueError:
            raise RasaUnavailable("Rasa's tracker is not JSON") from None
        return answered_in(tracker, message_key)

    async def latest_intent(self, sender_key: str, *, timeout: float = 5.0) -> str | None:
        """The intent Rasa recognised in the sender's latest message (for the admin's topic
        counts), or None when the tracker cannot be read."""
        try:
            response = await self._client.get(
                f"/conversations/{sender_key}/tracker",
                params={"include_events": "NONE"},
                headers={SENDER_HEADER: sender_key},
                timeout=timeout,
            )
            tracker = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return None
        intent = (tracker.get("latest_message") or {}).get("intent") or {}
        name = intent.get("name") if isinstance(intent, dict) else None
        return name if isinstance(name, str) and name else None

    async def ready(self, *, timeout: float = 2.0) -> bool:
        """Rasa answers `GET /` with "Hello from Rasa" once its model is loaded."""
        try:
            response = await self._client.get("/", timeout=timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

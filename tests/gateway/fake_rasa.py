"""A stand-in for the Rasa server speaking its REST channel, for gateway tests.

`POST /webhooks/rest/webhook` answers `[{"recipient_id", "text", "buttons"}]` from `answer`
(a function of the message text), after `delay` seconds; `down` refuses connections like a
stopped server; `status` answers an HTTP error. `GET /conversations/{id}/tracker` reports
`intent` as the latest intent and the turns answered so far as Rasa records them (user event
with the message's metadata, bot events, action_listen; saved when the turn ends, as Rasa
does); `GET /` is the readiness page. Every webhook body is kept in `received`, so tests can
assert what reached Rasa.

Faults: the next `dies` posts break the connection before the turn is saved (the instance was
killed mid-turn); the next `loses_answers` posts save the turn and then break the connection
(the answer was lost on the way back); `tracker_status` answers tracker reads with an HTTP
error; with `finishes_abandoned` a turn runs to its end and is
saved even when the caller went away (HAProxy does not abort a request whose client left).
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.rasa_client import RasaClient

Answer = Callable[[str], list[dict[str, Any]]]


def echo(text: str) -> list[dict[str, Any]]:
    return [{"text": f"您问的是：{text}"}]


@dataclass
class FakeRasa:
    answer: Answer = echo
    delay: float = 0.0
    down: bool = False
    status: int = 200
    intent: str | None = "ask_treat_first"
    received: list[dict[str, Any]] = field(default_factory=list)
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dies: int = 0
    loses_answers: int = 0
    finishes_abandoned: bool = False
    tracker_status: int = 200

    @property
    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        if request.method == "GET" and path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.20")
        if request.method == "GET" and path.endswith("/tracker"):
            if self.tracker_status != 200:
                return httpx.Response(self.tracker_status, text="internal error")
            sender = path.split("/")[2]
            latest = {"intent": {"name": self.intent, "confidence": 0.9}} if self.intent else {}
            events = self.trackers.get(sender, [])
            tracker = {"sender_id": sender, "latest_message": latest, "events": events}
            return httpx.Response(200, json=tracker)
        if request.method == "POST" and path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            self.received.append(body)
            if self.dies:
                self.dies -= 1
                raise httpx.RemoteProtocolError("Server disconnected", request=request)
            turn = asyncio.ensure_future(self._turn(body))
            messages = await (asyncio.shield(turn) if self.finishes_abandoned else turn)
            if self.loses_answers:
                self.loses_answers -= 1
                raise httpx.RemoteProtocolError("Server disconnected", request=request)
            if self.status != 200:
                return httpx.Response(self.status, text="internal error")
            return httpx.Response(200, json=messages)
        return httpx.Response(404)

    async def _turn(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return []
        sender = body["sender"]
        messages = [{"recipient_id": sender, **message} for message in self.answer(body["message"])]
        user = {"event": "user", "text": body["message"], "metadata": body.get("metadata")}
        said = [
            {"event": "bot", "text": m.get("text"), "data": {"buttons": m.get("buttons")}}
            for m in messages
        ]
        listen = {"event": "action", "name": "action_listen"}
        self.trackers.setdefault(sender, []).extend([user, *said, listen])
        return messages

    def client(self, timeout: float = 8.0) -> RasaClient:
        return RasaClient(
            "http://rasa.test", timeout=timeout, transport=httpx.MockTransport(self.handler)
        )

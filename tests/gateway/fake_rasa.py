"""A stand-in for the Rasa server speaking its REST channel, for gateway tests.

`POST /webhooks/rest/webhook` answers `[{"recipient_id", "text", "buttons"}]` from `answer`
(a function of the message text), after `delay` seconds; `down` refuses connections like a
stopped server; `status` answers an HTTP error. `GET /conversations/{id}/tracker` reports
`intent` as the latest intent; `GET /` is the readiness page. Every webhook body is kept in
`received`, so tests can assert what reached Rasa.
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
            sender = path.split("/")[2]
            latest = {"intent": {"name": self.intent, "confidence": 0.9}} if self.intent else {}
            return httpx.Response(200, json={"sender_id": sender, "latest_message": latest})
        if request.method == "POST" and path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            self.received.append(body)
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.status != 200:
                return httpx.Response(self.status, text="internal error")
            messages = [
                {"recipient_id": body["sender"], **message}
                for message in self.answer(body["message"])
            ]
            return httpx.Response(200, json=messages)
        return httpx.Response(404)

    def client(self, timeout: float = 8.0) -> RasaClient:
        return RasaClient(
            "http://rasa.test", timeout=timeout, transport=httpx.MockTransport(self.handler)
        )

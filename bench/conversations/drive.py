"""Sending a case's turns to a running stack as a resident (signed Twilio posts) or as a
signed-in cadre (the widget's API), and judging every reply.

Each case is a conversation of its own: a fresh phone number per SMS case; a case that must
come from a registered resident's phone first restarts that sender's Rasa conversation (the
key is the gateway's keyed hash of the number, computed with the stack's secret); each cadre
case signs in on a fresh browser session. A reply that ends with the SMS page hint is followed
by 「更多」 (answered by the gateway from its memory, not by Rasa) so the whole answer is judged.
"""

import itertools
import random
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field

import httpx
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from bench.conversations.cases import Case, TurnResult, judge
from gateway.text import sender_key

MORE_HINT = "回复“更多”"
MAX_PAGES = 4
_CSRF = re.compile(r'(?:name="csrf_token" value|<meta name="csrf-token" content)="([^"]+)"')


@dataclass(frozen=True)
class Target:
    """Where the stack listens and the secrets it was started with."""

    gateway: str
    rasa: str
    secret_key: str
    twilio_token: str
    cadre_username: str
    cadre_password: str


@dataclass
class CaseResult:
    case: Case
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(turn.passed for turn in self.turns)


class _Sms:
    _ids = itertools.count(1)

    def __init__(self, target: Target, client: httpx.Client, sender: str) -> None:
        self.target, self.client, self.sender = target, client, sender
        self.validator = RequestValidator(target.twilio_token)

    def _post(self, body: str) -> str:
        url = f"{self.target.gateway}/sms/twilio"
        params = {
            "MessageSid": f"SMeval{next(self._ids):028d}",
            "AccountSid": "AC" + "0" * 32,
            "From": self.sender,
            "To": "+15005550006",
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        signature = self.validator.compute_signature(url, params)
        response = self.client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        response.raise_for_status()
        root = ET.fromstring(response.text)
        return "\n".join(message.text or "" for message in root.iter("Message"))

    def say(self, text: str) -> str:
        pages = [self._post(text)]
        while MORE_HINT in pages[-1] and len(pages) < MAX_PAGES:
            pages.append(self._post("更多"))
        return "\n".join(pages)


class _Cadre:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = httpx.Client(base_url=target.gateway, timeout=60)
        page = self.client.get("/login")
        token = _token(page.text)
        self.client.post(
            "/login",
            data={
                "username": target.cadre_username,
                "password": target.cadre_password,
                "csrf_token": token,
            },
        )
        self.csrf = _token(self.client.get("/chat").text)

    def say(self, text: str) -> str:
        response = self.client.post(
            "/api/chat", json={"message": text}, headers={"X-CSRF-Token": self.csrf}
        )
        response.raise_for_status()
        return "\n".join(str(reply.get("text") or "") for reply in response.json()["replies"])

    def close(self) -> None:
        self.client.close()


def _token(page: str) -> str:
    match = _CSRF.search(page)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def _restart(target: Target, client: httpx.Client, phone: str) -> None:
    key = sender_key(phone, target.secret_key.encode("utf-8"))
    response = client.post(
        f"{target.rasa}/conversations/{key}/tracker/events", json=[{"event": "restart"}]
    )
    response.raise_for_status()


# A random block of numbers per run, so two runs against one stack never share a sender.
_phones = itertools.count(random.randrange(10_000_000, 90_000_000, 1_000_000))


def run_case(target: Target, case: Case) -> CaseResult:
    """Every turn of the case in order; a transport error fails the case with its message."""
    result = CaseResult(case)
    try:
        if case.channel == "cadre":
            cadre = _Cadre(target)
            try:
                for turn in case.turns:
                    result.turns.append(judge(turn, cadre.say(turn.user)))
            finally:
                cadre.close()
            return result
        with httpx.Client(timeout=60) as client:
            if case.sender:
                _restart(target, client, case.sender)
                phone = case.sender
            else:
                phone = f"+86139{next(_phones):08d}"
            sms = _Sms(target, client, phone)
            for turn in case.turns:
                result.turns.append(judge(turn, sms.say(turn.user)))
    except (httpx.HTTPError, ET.ParseError, RuntimeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def by_kind(results: list[CaseResult]) -> dict[str, tuple[int, int]]:
    """kind → (passed, total)."""
    totals: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for result in results:
        totals[result.case.kind] += 1
        passed[result.case.kind] += result.passed
    return {kind: (passed[kind], totals[kind]) for kind in sorted(totals)}

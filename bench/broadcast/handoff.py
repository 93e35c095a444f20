"""Handoff reply latency: from a cadre's reply (POST /api/handoffs/{id}/messages, signed in
with the session cookie and the CSRF token, as the inbox page does) to the fake Twilio API
receiving it. Baseline: the same Twilio create sent directly with the gateway's own Twilio
client (gateway/channels/twilio/rest.py), so the ratio is the reply path's own cost: the
request, the registry's transaction (message, audit, outbox row), the claim, the record."""

import asyncio
import re
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bench.broadcast.sending import fake_records
from bench.broadcast.world import CADRE, FROM_NUMBER, GATEWAY_URL, PASSWORD, REGION, SENDER_KEY
from gateway.channels.twilio.rest import twilio_client
from gateway.settings import Settings
from gateway.text import sender_key
from registry import handoffs, tokens

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')
REPLY = "您好，我是村里的工作人员，住院请带上医保卡和身份证。"


@dataclass(frozen=True)
class Latencies:
    """Seconds per reply: until the fake received it, and until the cadre's page got 201."""

    to_provider: list[float]
    answered: list[float]


def phone_of(index: int) -> str:
    return f"+86137{index:08d}"


def open_requests(sessions: sessionmaker[Session], count: int) -> list[int]:
    """`count` open 转人工 requests over SMS in the cadre's region, each from its own phone,
    recorded as the action server records them (registry.handoffs.request with the turn's
    sender token)."""
    ids = []
    with sessions.begin() as session:
        for index in range(count):
            phone = phone_of(index)
            handoff = handoffs.request(
                session,
                region=REGION,
                sender_key=sender_key(phone, SENDER_KEY.encode("utf-8")),
                channel="sms",
                campaign=None,
                summary="地区：固阳县",
                contact_token=tokens.issue(session, "phone", phone),
            )
            ids.append(handoff.id)
    return ids


def _csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {page.url}")
    return match.group(1) or match.group(2)


def signed_in() -> tuple[httpx.Client, str]:
    """A cadre's browser: the session cookie after signing in, and the inbox page's token."""
    client = httpx.Client(base_url=GATEWAY_URL, timeout=30)
    token = _csrf(client.get("/login"))
    form = {"username": CADRE, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/login", data=form)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    return client, _csrf(client.get("/handoffs"))


def replies(handoff_ids: list[int]) -> Latencies:
    client, token = signed_in()
    sent: list[tuple[int, float, float]] = []
    try:
        for index, handoff_id in enumerate(handoff_ids):
            started = time.time()
            answer = client.post(
                f"/api/handoffs/{handoff_id}/messages",
                json={"text": REPLY},
                headers={"X-CSRF-Token": token},
            )
            answered = time.time()
            # "queued": the gateway's outbox loop claimed the row first and sends it.
            if answer.status_code != 201 or answer.json()["delivery"] not in ("sent", "queued"):
                raise RuntimeError(f"reply {handoff_id}: {answer.status_code} {answer.text}")
            sent.append((index, started, answered))
    finally:
        client.close()
    arrived = _arrivals(REPLY)
    to_provider = [arrived[phone_of(index)] - started for index, started, _ in sent]
    return Latencies(to_provider, [answered - started for _, started, answered in sent])


def _arrivals(body_part: str) -> dict[str, float]:
    """When the fake received the (only) message containing `body_part` for each number."""
    records = fake_records()
    return {
        form["To"]: at
        for at, form in zip(records["received_at"], records["requests"], strict=True)
        if body_part in form.get("Body", "")
    }


def direct(settings: Settings, count: int) -> list[float]:
    """The baseline: `count` creates straight to the fake with the gateway's Twilio client."""
    text = "直接发送（基线）" + REPLY
    phones = [f"+86136{index:08d}" for index in range(count)]

    async def send_all() -> list[float]:
        client, http = twilio_client(settings.twilio)
        starts = []
        try:
            for phone in phones:
                starts.append(time.time())
                await client.messages.create_async(to=phone, from_=FROM_NUMBER, body=text)
        finally:
            await http.aclose()
        return starts

    starts = asyncio.run(send_all())
    arrived = _arrivals("直接发送（基线）")
    return [arrived[phone] - started for phone, started in zip(phones, starts, strict=True)]

"""The sms channel's reading of Twilio's answers (gateway/channels/twilio/delivery.py): each raw
answer of the Messages API, given to the official client through a mock transport, and the
outbox outcome it becomes; plus what the client posted."""

from urllib.parse import parse_qs

import httpx
import pytest

from gateway.channels.twilio.delivery import sms_channel
from gateway.outbox import Outcome
from tests.gateway.conftest import make_settings

ACCOUNT = "AC" + "7" * 32
PHONE = "+8613800138000"
SID = "SM" + "e" * 32


def twilio_answer(status: int, code: int | None = None) -> httpx.Response:
    if status == 201:
        return httpx.Response(201, json={"sid": SID, "status": "queued", "to": PHONE})
    body = {"code": code, "message": f"refused {PHONE}", "more_info": "…", "status": status}
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("answer", "outcome", "error"),
    [
        (twilio_answer(201), Outcome.SENT, None),
        (twilio_answer(500, 20500), Outcome.RETRY, "HTTP 500, Twilio 20500"),
        (twilio_answer(503, 20503), Outcome.RETRY, "HTTP 503, Twilio 20503"),
        (twilio_answer(429, 20429), Outcome.RETRY, "HTTP 429, Twilio 20429"),
        # a 5xx that is not Twilio's JSON (a proxy's page): still worth retrying
        (httpx.Response(502, text="<html>Bad Gateway</html>"), Outcome.RETRY, "HTTP 502"),
        (twilio_answer(401, 20003), Outcome.FAILED, "HTTP 401, Twilio 20003"),
        (twilio_answer(403, 20005), Outcome.FAILED, "HTTP 403, Twilio 20005"),
        # the From number is not this account's: every message would fail alike
        (twilio_answer(400, 21606), Outcome.FAILED, "HTTP 400, Twilio 21606"),
        (
            twilio_answer(400, 21211),
            Outcome.UNDELIVERABLE,
            "HTTP 400, Twilio 21211 invalid To number",
        ),
        (
            twilio_answer(400, 21610),
            Outcome.UNDELIVERABLE,
            "HTTP 400, Twilio 21610 recipient unsubscribed (STOP)",
        ),
        (
            twilio_answer(400, 21614),
            Outcome.UNDELIVERABLE,
            "HTTP 400, Twilio 21614 not a mobile number",
        ),
        (twilio_answer(400, 30999), Outcome.UNDELIVERABLE, "HTTP 400, Twilio 30999"),
    ],
)
@pytest.mark.anyio
async def test_each_answer_of_twilio_becomes_an_outbox_outcome(
    gateway_db: str, answer: httpx.Response, outcome: Outcome, error: str | None
) -> None:
    posted: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return answer

    settings = make_settings(
        gateway_db, twilio_account_sid=ACCOUNT, twilio_from_number="+15005550006"
    )
    channel = sms_channel(settings, httpx.MockTransport(handler))
    assert channel is not None
    deliver, http = channel

    delivery = await deliver(PHONE, {"text": "已转给工作人员"}, 42)
    await http.aclose()

    assert (delivery.outcome, delivery.error) == (outcome, error)
    assert PHONE not in (delivery.error or "")  # Twilio's message quotes the number
    if outcome is Outcome.SENT:
        assert (delivery.provider_id, delivery.provider_status) == (SID, "queued")
    [request] = posted
    assert str(request.url) == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert parse_qs(request.content.decode()) == {
        "To": [PHONE],
        "From": ["+15005550006"],
        "Body": ["已转给工作人员"],
        "StatusCallback": ["https://healthaid.example.org/twilio/status?row=42"],
    }


@pytest.mark.anyio
async def test_no_answer_at_all_is_retried(gateway_db: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    settings = make_settings(gateway_db, twilio_account_sid=ACCOUNT, twilio_from_number="+1500")
    channel = sms_channel(settings, httpx.MockTransport(handler))
    assert channel is not None

    delivery = await channel[0](PHONE, {"text": "x"}, 1)
    await channel[1].aclose()

    assert (delivery.outcome, delivery.error) == (Outcome.RETRY, "ConnectError")


def test_without_an_account_there_is_no_sms_channel(gateway_db: str) -> None:
    assert sms_channel(make_settings(gateway_db)) is None

"""The fake Twilio API speaks Twilio's protocol: the official `twilio` client (its own default
HTTP stack, over loopback) creates and fetches messages and gets Twilio's errors; the status
callbacks that follow carry a signature twilio's RequestValidator accepts; and it starts as a
process of its own."""

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from tests.gateway.fake_twilio import FakeTwilio
from tests.support.loopback import Loopback, free_port

ACCOUNT, TOKEN = "AC" + "5" * 32, "fake-twilio-token-for-tests"
FROM, PHONE = "+15005550006", "+8613800138000"
WAIT_SECONDS = 10.0


class Receiver:
    """A StatusCallback endpoint that keeps every post: URL, form and signature."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []

    async def receive(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        signature = request.headers.get("X-Twilio-Signature")
        self.posts.append({"url": str(request.url), "form": form, "signature": signature})
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/status", self.receive, methods=["POST"])])

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.posts) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.posts


@pytest.fixture
def fake() -> FakeTwilio:
    return FakeTwilio(ACCOUNT, TOKEN)


@pytest.fixture
def fake_url(fake: FakeTwilio) -> Iterator[str]:
    with Loopback().serve(fake.app()) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with Loopback().serve(receiver.app()) as url:
        yield receiver, f"{url}/status"


def client(base_url: str, token: str = TOKEN) -> Any:
    twilio = Client(ACCOUNT, token)
    twilio.api.base_url = base_url
    return twilio


def test_a_message_is_created_as_twilio_answers(fake: FakeTwilio, fake_url: str) -> None:
    message = client(fake_url).messages.create(to=PHONE, from_=FROM, body="您好" * 35)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_, message.direction) == (
        "queued",
        PHONE,
        FROM,
        "outbound-api",
    )
    assert message.num_segments == "1"  # 70 Chinese characters: one UCS-2 segment
    assert isinstance(message.date_created, datetime)  # RFC 2822, parsed by the client
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{message.sid}.json"
    assert fake.requests == [{"To": PHONE, "From": FROM, "Body": "您好" * 35}]


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("您" * 71, "2"),  # one more than fits a UCS-2 message: 67 per part
        ("您" * 135, "3"),
        ("a" * 160, "1"),  # GSM-7: 160 alone
        ("a" * 161, "2"),  # 153 per part
        ("a" * 159 + "€", "2"),  # € takes two septets
    ],
)
def test_segments_are_counted_as_twilio_counts(fake_url: str, body: str, segments: str) -> None:
    message = client(fake_url).messages.create(to=PHONE, from_=FROM, body=body)

    assert message.num_segments == segments


def test_a_messaging_service_sends_accepted_without_a_from(fake_url: str) -> None:
    message = client(fake_url).messages.create(
        to=PHONE, messaging_service_sid="MG" + "1" * 32, body="hi"
    )

    assert (message.status, message.from_) == ("accepted", None)


def test_a_created_message_can_be_fetched_and_an_unknown_one_is_20404(fake_url: str) -> None:
    twilio = client(fake_url)
    created = twilio.messages.create(to=PHONE, from_=FROM, body="hi")

    fetched = twilio.messages(created.sid).fetch()
    with pytest.raises(TwilioRestException) as unknown:
        twilio.messages("SM" + "0" * 32).fetch()

    assert (fetched.sid, fetched.body) == (created.sid, "hi")
    assert (unknown.value.status, unknown.value.code) == (404, 20404)


@pytest.mark.parametrize(
    ("arguments", "status", "code"),
    [
        ({"to": "13800138000", "from_": FROM, "body": "hi"}, 400, 21211),  # not E.164
        ({"to": PHONE, "from_": FROM, "body": ""}, 400, 21602),
        ({"to": PHONE, "body": "hi"}, 400, 21603),  # neither From nor a messaging service
        ({"to": PHONE, "from_": FROM, "body": "a" * 1601}, 400, 21617),
    ],
)
def test_bad_input_gets_twilios_error(
    fake_url: str, arguments: dict[str, str], status: int, code: int
) -> None:
    with pytest.raises(TwilioRestException) as refused:
        client(fake_url).messages.create(**arguments)

    assert (refused.value.status, refused.value.code) == (status, code)


def test_a_wrong_auth_token_is_20003_and_nothing_is_recorded(
    fake: FakeTwilio, fake_url: str
) -> None:
    with pytest.raises(TwilioRestException) as refused:
        client(fake_url, token="not-the-token").messages.create(to=PHONE, from_=FROM, body="x")

    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert fake.requests == []


def test_recipients_and_faults_configured_get_their_errors(fake: FakeTwilio, fake_url: str) -> None:
    fake.unsubscribed.add(PHONE)
    fake.landlines.add("+8601012345678")
    fake.faults.extend([500, 429])
    twilio = client(fake_url)
    answers = []
    for to in (PHONE, PHONE, PHONE, "+8601012345678"):
        with pytest.raises(TwilioRestException) as refused:
            twilio.messages.create(to=to, from_=FROM, body="x")
        answers.append((refused.value.status, refused.value.code))

    assert answers == [(500, 20500), (429, 20429), (400, 21610), (400, 21614)]


def test_status_callbacks_are_posted_signed_sent_then_delivered(
    fake_url: str, receiver: tuple[Receiver, str]
) -> None:
    posts, url = receiver

    message = client(fake_url).messages.create(to=PHONE, from_=FROM, body="hi", status_callback=url)

    sent, delivered = posts.wait_for(2)
    validator = RequestValidator(TOKEN)
    for post in (sent, delivered):
        assert validator.validate(url, post["form"], post["signature"])
        assert not RequestValidator("another-token").validate(url, post["form"], post["signature"])
        assert (post["form"]["MessageSid"], post["form"]["To"]) == (message.sid, PHONE)
    assert [p["form"]["MessageStatus"] for p in (sent, delivered)] == ["sent", "delivered"]
    assert "ErrorCode" not in delivered["form"]


def test_a_failing_number_ends_undelivered_with_its_error_code(
    fake: FakeTwilio, fake_url: str, receiver: tuple[Receiver, str]
) -> None:
    posts, url = receiver
    fake.failing[PHONE] = ("undelivered", "30003")
    twilio = client(fake_url)

    message = twilio.messages.create(to=PHONE, from_=FROM, body="hi", status_callback=url)
    _, last = posts.wait_for(2)

    assert (last["form"]["MessageStatus"], last["form"]["ErrorCode"]) == ("undelivered", "30003")
    fetched = twilio.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert [c["answer"] for c in fake.callbacks] == [204, 204]


def test_it_starts_as_a_process_with_its_test_endpoints() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tests.gateway.fake_twilio", "--port", str(port)]
    command += ["--account-sid", ACCOUNT, "--auth-token", TOKEN]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                httpx.get(f"{base}/_fake/messages").raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.05)
        before = time.time()
        created = client(base).messages.create(to=PHONE, from_=FROM, body="hi")
        faults = httpx.post(f"{base}/_fake/faults", json={"statuses": [503]})
        with pytest.raises(TwilioRestException) as refused:
            client(base).messages.create(to=PHONE, from_=FROM, body="again")
        records = httpx.get(f"{base}/_fake/messages").json()
    finally:
        process.terminate()
        process.wait(timeout=WAIT_SECONDS)
        assert process.stderr is not None
        process.stderr.close()

    assert faults.json() == {"faults": [503]}
    assert (refused.value.status, refused.value.code) == (503, 20503)
    assert [m["sid"] for m in records["messages"]] == [created.sid]
    assert [r["Body"] for r in records["requests"]] == ["hi", "again"]
    first, second = records["received_at"]
    assert before <= first <= second <= time.time()

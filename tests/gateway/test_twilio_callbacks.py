"""Twilio posts that carry no Body: picture messages (MMS) and status callbacks sent to the
message URL. Raw form bodies as Twilio sends them; each gets a 200, never a 400, and is
signature-checked like any message."""

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.channel_models import MessageLog, Receipt
from tests.gateway.conftest import PHONE, post_sms
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.test_twilio_app import messages

pytestmark = pytest.mark.anyio

TEXT_ONLY = "暂时只能看文字，请用文字描述您的问题。"
OUR_NUMBER = "+15005550006"

# An MMS with one picture and no caption: Twilio leaves Body out.
PICTURE = {
    "ToCountry": "US",
    "MediaContentType0": "image/jpeg",
    "SmsMessageSid": "MM0123456789abcdef0123456789abcdef",
    "NumMedia": "1",
    "SmsSid": "MM0123456789abcdef0123456789abcdef",
    "SmsStatus": "received",
    "To": OUR_NUMBER,
    "NumSegments": "1",
    "MessageSid": "MM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": PHONE,
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
    "ApiVersion": "2010-04-01",
}


def status_callback(status: str, **extra: str) -> dict[str, str]:
    """A status callback about a reply we sent to PHONE (Twilio's documented fields)."""
    form = {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "ApiVersion": "2010-04-01",
        "From": OUR_NUMBER,
        "MessageSid": "SM9876543210fedcba9876543210fedcba",
        "MessageStatus": status,
        "SmsSid": "SM9876543210fedcba9876543210fedcba",
        "SmsStatus": status,
        "To": PHONE,
    }
    form.update(extra)
    return form


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in form.items() if key != name}


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("case", "form"),
    [
        ("one picture, no Body field", PICTURE),
        ("two pictures, an empty Body", {**PICTURE, "NumMedia": "2", "Body": ""}),
        ("a picture, a caption of blanks only", {**PICTURE, "Body": " \u3000 "}),
    ],
)
async def test_a_picture_without_text_gets_one_text_only_line(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, case: str, form: dict[str, str]
) -> None:
    response = await post_sms(client, form)

    assert response.status_code == 200, case
    assert messages(response) == [TEXT_ONLY]
    assert rasa.received == []
    assert count(db, MessageLog) == 0


async def test_a_picture_with_a_caption_is_answered_from_the_caption(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    response = await post_sms(client, {**PICTURE, "Body": "这张发票能报吗"})

    assert messages(response) == ["您问的是：这张发票能报吗"]


@pytest.mark.parametrize(
    ("case", "form"),
    [
        ("queued", status_callback("queued")),
        ("sent", status_callback("sent")),
        ("delivered", status_callback("delivered")),
        ("undelivered, with an error code", status_callback("undelivered", ErrorCode="30005")),
        ("failed", status_callback("failed", ErrorCode="30008")),
        # older callbacks carry SmsStatus only
        ("SmsStatus only", without(status_callback("sent"), "MessageStatus")),
    ],
)
async def test_a_status_callback_gets_an_empty_response_and_nothing_else(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, case: str, form: dict[str, str]
) -> None:
    response = await post_sms(client, form)

    assert response.status_code == 200, case
    assert messages(response) == []
    assert rasa.received == []
    assert count(db, Receipt) == 0 and count(db, MessageLog) == 0


@pytest.mark.parametrize(
    ("case", "form"),
    [("picture", PICTURE), ("status callback", status_callback("delivered"))],
)
async def test_bodiless_posts_are_still_signature_checked(
    client: httpx.AsyncClient, rasa: FakeRasa, case: str, form: dict[str, str]
) -> None:
    unsigned = await post_sms(client, form, sign=False)
    forged = await client.post(
        "/sms/twilio", data=form, headers={"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}
    )

    assert unsigned.status_code == forged.status_code == 403, case
    assert rasa.received == []

"""POST /twilio/status with raw callbacks as Twilio posts them: the signature is checked like
every post from Twilio (403 when forged, nothing recorded), reports move a row forward only,
and a callback about a message nobody knows is acknowledged, not an error."""

import httpx
import pytest
from sqlalchemy.orm import Session

from registry import outbox
from registry.outbox_models import OutboxMessage
from tests.gateway.conftest import BASE, PHONE, twilio_signature

pytestmark = pytest.mark.anyio
SID = "SM" + "d4" * 16


def sent_sms(db: Session, sid: str = SID) -> int:
    row_id = outbox.enqueue(
        db,
        channel="sms",
        kind="handoff",
        recipient_key="u_" + "b" * 64,
        recipient=PHONE,
        recipient_kind="phone",
        payload={"text": "工作人员回复：请带上医保卡"},
        idempotency_key=f"handoff-reply:{sid}",
    )
    assert row_id is not None
    [claimed] = outbox.claim_due(db, outbox.RECIPIENT_TTL)
    outbox.record_final(db, claimed, "sent", provider_id=sid, delivery_status="queued")
    db.commit()
    return row_id


def callback(status: str, sid: str = SID, **extra: str) -> dict[str, str]:
    form = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": PHONE,
    }
    form.update(extra)
    return form


async def post_status(
    client: httpx.AsyncClient, form: dict[str, str], *, query: str = "", signature: str = ""
) -> httpx.Response:
    path = f"/twilio/status{query}"
    signature = signature or twilio_signature(f"{BASE}{path}", form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def delivery(db: Session, row_id: int) -> tuple[str | None, str | None]:
    db.expire_all()
    row = db.get(OutboxMessage, row_id)
    assert row is not None
    return row.delivery_status, row.delivery_error_code


@pytest.mark.parametrize(
    ("form", "signature"),
    [
        # signed with another auth token
        (callback("delivered"), twilio_signature(f"{BASE}/twilio/status", {}, token="other")),
        # a valid signature of other parameters: the status was changed on the way
        (
            callback("failed", ErrorCode="30007"),
            twilio_signature(f"{BASE}/twilio/status", callback("delivered")),
        ),
        (callback("delivered"), "not-a-signature"),
    ],
)
async def test_a_forged_callback_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: Session, form: dict[str, str], signature: str
) -> None:
    row_id = sent_sms(db)

    response = await post_status(client, form, signature=signature)

    assert response.status_code == 403
    assert delivery(db, row_id) == ("queued", None)


async def test_an_unsigned_callback_is_refused(client: httpx.AsyncClient, db: Session) -> None:
    row_id = sent_sms(db)

    response = await client.post("/twilio/status", data=callback("delivered"))

    assert response.status_code == 403
    assert delivery(db, row_id) == ("queued", None)


async def test_reports_are_recorded_forward_only(client: httpx.AsyncClient, db: Session) -> None:
    row_id = sent_sms(db)

    answers = [
        (await post_status(client, callback(status), query=f"?row={row_id}")).status_code
        for status in ("sent", "delivered", "sent", "delivered")  # a late sent, a duplicate
    ]

    assert answers == [200, 200, 200, 200]
    assert delivery(db, row_id) == ("delivered", None)


async def test_an_undelivered_report_keeps_twilios_error_code(
    client: httpx.AsyncClient, db: Session
) -> None:
    row_id = sent_sms(db)

    response = await post_status(client, callback("undelivered", ErrorCode="30005"))

    assert response.status_code == 200
    assert delivery(db, row_id) == ("undelivered", "30005")


async def test_a_callback_about_an_unknown_message_is_acknowledged(
    client: httpx.AsyncClient, db: Session
) -> None:
    row_id = sent_sms(db)

    response = await post_status(client, callback("delivered", sid="SM" + "0" * 32))

    assert response.status_code == 200
    assert delivery(db, row_id) == ("queued", None)


async def test_a_signed_post_without_a_status_is_a_bad_request(
    client: httpx.AsyncClient,
) -> None:
    form = {"MessageSid": SID, "AccountSid": "AC" + "0" * 32}

    response = await post_status(client, form)

    assert response.status_code == 400

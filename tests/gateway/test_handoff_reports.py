"""What a cadre reads under an SMS reply: the carrier's final report once Twilio sent one
(已送达, 未送达（30003）), not only that Twilio accepted the message (已发送); the inbox's
poll sees the report as a change, so the open page shows it without reloading."""

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.handoff_inbox import delivery_name
from registry.delivery import record_report
from registry.outbox_models import OutboxMessage
from tests.gateway.handoff_helpers import SignedInCadre

SID = "SM" + "1" * 32


@pytest.mark.parametrize(
    ("status", "reported", "error_code", "shown"),
    [
        ("queued", None, None, "发送中"),  # waiting for the sender
        ("sent", None, None, "已发送"),  # accepted by Twilio, no report yet
        ("sent", "sent", None, "已发送"),  # the carrier took it: not final
        ("sent", "delivered", None, "已送达"),
        ("sent", "undelivered", "30003", "未送达（30003）"),  # unreachable handset
        ("sent", "failed", "30005", "发送失败（30005）"),  # unknown number
        ("undeliverable", None, None, "未能送达"),  # Twilio refused it (21610 STOP …)
        ("failed", None, None, "未能送达"),  # given up after retries
    ],
)
def test_the_carriers_final_report_is_shown_once_there_is_one(
    status: str, reported: str | None, error_code: str | None, shown: str
) -> None:
    assert delivery_name(status, reported, error_code) == shown


@pytest.mark.anyio
async def test_an_undelivered_report_reaches_the_open_inbox(
    db: Session, cadre: SignedInCadre, sms_handoff: int
) -> None:
    replied = await cadre.reply(sms_handoff, "明天上午到村卫生室找我")
    row_id = replied.json()["outbox_id"]
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="sent", provider_id=SID)  # as the sms sender records Twilio's answer
    )
    db.commit()
    before = await cadre.inbox()

    record_report(db, provider_id=SID, status="undelivered", error_code="30003", row_id=row_id)
    db.commit()
    after = await cadre.inbox(seen=before["fingerprint"])

    assert before["handoffs"][0]["lines"][-1]["delivery"] == "已发送"
    assert after["changed"] is True
    assert after["handoffs"][0]["lines"][-1]["delivery"] == "未送达（30003）"

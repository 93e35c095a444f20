"""A broadcast over the `sms` channel, end to end on loopback: the gateway (a real uvicorn
server) sends it with the broadcast job and the official twilio client to the fake Twilio API
(another real server), which posts signed status callbacks to the gateway's /twilio/status;
the broadcast's statistics page counts what they report as delivered or failed. The engine
runs in Huey's immediate mode (tests/gateway/broadcasts/ run a real consumer)."""

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from huey import MemoryHuey
from sqlalchemy.orm import Session

from gateway.broadcasts.channels import ChannelsOf
from gateway.broadcasts.engine import build_engine
from registry.db import get_engine, make_sessionmaker
from tests.gateway.broadcasts.helpers import resident
from tests.gateway.conftest import (
    TWILIO_TOKEN,
    add_cadre,
    add_campaign,
    csrf_of,
    make_settings,
    sign_in,
)
from tests.gateway.fake_twilio import FakeTwilio
from tests.gateway.test_broadcasts_page import form
from tests.support.loopback import Loopback

pytestmark = pytest.mark.anyio
ACCOUNT, FROM = "AC" + "7" * 32, "+15005550006"
WAIT_SECONDS = 10.0


async def test_an_sms_broadcast_is_counted_delivered_from_twilios_signed_status_callbacks(
    app_factory: Callable[..., FastAPI], gateway_db: str, db: Session
) -> None:
    reached = [resident(db) for _ in range(3)]
    resident(db, consent=False)
    add_cadre(db, "wang", admin=True)
    add_campaign(db)
    db.commit()
    unreachable = "+86" + reached[2].phone_numbers[0]
    fake = FakeTwilio(ACCOUNT, TWILIO_TOKEN, failing={unreachable: ("undelivered", "30003")})
    gateway = Loopback()
    with Loopback().serve(fake.app()) as fake_url:
        overrides = {
            "public_base_url": gateway.url,
            "twilio_account_sid": ACCOUNT,
            "twilio_from_number": FROM,
            "twilio_api_base_url": fake_url,
        }
        settings = make_settings(gateway_db, **overrides)
        engine = get_engine(gateway_db)
        broadcasts = build_engine(
            settings,
            make_sessionmaker(engine),
            ChannelsOf(settings),
            huey=MemoryHuey(immediate=True),
        )
        with gateway.serve(app_factory(broadcasts=broadcasts, **overrides)):
            async with httpx.AsyncClient(base_url=gateway.url) as admin:
                await sign_in(admin, "wang")
                token = csrf_of(await admin.get("/broadcasts"))
                sent = await admin.post("/broadcasts", data=form(token, confirm="yes"))
                for _ in range(int(WAIT_SECONDS / 0.05)):  # sent, then a final status, each
                    if sum(c["answer"] == 200 for c in fake.callbacks) == 6:
                        break
                    await asyncio.sleep(0.05)
                page = (await admin.get(sent.headers["location"])).text
        engine.dispose()

    assert sorted(form["To"] for form in fake.requests) == sorted(
        "+86" + person.phone_numbers[0] for person in reached
    )
    assert all(form["StatusCallback"].startswith(gateway.url) for form in fake.requests)
    assert [c["answer"] for c in fake.callbacks] == [200] * 6  # signed: none refused
    assert '<dd id="count-delivered">2</dd>' in page
    assert '<dd id="count-failed">1</dd>' in page
    assert '<dd id="count-sent">0</dd>' in page and '<dd id="count-queued">0</dd>' in page

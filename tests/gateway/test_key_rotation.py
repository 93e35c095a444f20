"""Rotating HEALTHAID_SECRET_KEY (docs/deploy.md): cadres stay signed in through the previous
key, and residents keep their pseudonym when HEALTHAID_SENDER_KEY holds it apart."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from gateway.settings import SettingsError
from gateway.text import sender_key
from tests.gateway.conftest import (
    BASE,
    PHONE,
    SECRET_KEY,
    add_cadre,
    make_settings,
    post_sms,
    sign_in,
    sms_form,
)
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio
NEW_KEY = "a-new-secret-key-after-the-rotation-0000"
OTHER_KEY = "somebody-elses-secret-key-of-good-length-0"


async def _cadre_page(app: FastAPI, cookies: httpx.Cookies) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, cookies=cookies
    ) as client:
        return await client.get("/handoffs", follow_redirects=False)


async def _signed_in_cookies(app: FastAPI) -> httpx.Cookies:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await sign_in(client)).status_code == 303
        assert (await client.get("/handoffs")).status_code == 200
        return client.cookies


async def test_a_rotated_secret_key_keeps_cadres_signed_in_through_the_previous_one(
    app_factory: Callable[..., FastAPI], db: Session
) -> None:
    add_cadre(db)
    cookies = await _signed_in_cookies(app_factory())

    rotated = app_factory(secret_key=NEW_KEY, previous_secret_key=SECRET_KEY)
    assert (await _cadre_page(rotated, cookies)).status_code == 200
    # once the previous key is dropped, or for a key never used here, the cookie is refused
    dropped = app_factory(secret_key=NEW_KEY)
    assert (await _cadre_page(dropped, cookies)).status_code == 303
    foreign = app_factory(secret_key=NEW_KEY, previous_secret_key=OTHER_KEY)
    assert (await _cadre_page(foreign, cookies)).status_code == 303


async def _sender_seen_by_rasa(app: FastAPI, rasa: FakeRasa, sid: str) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await post_sms(client, sms_form("一站式结算在哪办", sid=sid))).status_code == 200
    await app.state.gateway.pipeline.drain()
    return rasa.received[-1]["sender"]


async def test_the_sender_key_keeps_residents_apart_from_the_secret_key(
    app_factory: Callable[..., FastAPI], rasa: FakeRasa
) -> None:
    before = await _sender_seen_by_rasa(app_factory(sender_key=SECRET_KEY), rasa, "SM" + "1" * 32)
    after = await _sender_seen_by_rasa(
        app_factory(secret_key=NEW_KEY, sender_key=SECRET_KEY), rasa, "SM" + "2" * 32
    )
    unset = await _sender_seen_by_rasa(app_factory(secret_key=NEW_KEY), rasa, "SM" + "3" * 32)

    assert before == after == sender_key(PHONE, SECRET_KEY.encode())
    # without a sender key the pseudonym follows the secret key (the behaviour before the split)
    assert unset == sender_key(PHONE, NEW_KEY.encode()) != before


@pytest.mark.parametrize("name", ["previous_secret_key", "sender_key"])
@pytest.mark.parametrize("value", ["changeme", "too-short"])
def test_production_refuses_weak_rotation_keys(gateway_db: str, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name.upper()):
        make_settings(gateway_db, **{name: value})

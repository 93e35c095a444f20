"""The gateway app on a fresh SQLite database per test, a fake Rasa and a fake WeChat API.

The tests of registry/traffic.py and registry/campaigns.py (SQLite and PostgreSQL) live in
tests/gateway/records/, with the registry's fixtures.
"""

import hashlib
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from gateway.app import create_app
from gateway.channels.wechat.api import WeChatAPI
from gateway.settings import Settings
from registry import cadres, campaigns, outbox
from registry.db import get_engine, make_sessionmaker, upgrade
from settlement.identifiers import Region
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.handoff_helpers import (
    ASK_FOR_A_PERSON,
    SignedInCadre,
    open_handoffs_on_request,
    the_handoff,
)

BASE = "https://healthaid.example.org"
TWILIO_TOKEN = "twilio-token-for-tests"
WECHAT_TOKEN = "wechat-token-for-tests"
APP_ID, APP_SECRET = "wx2c2769f8efd9abc2", "app-secret-for-tests"
SECRET_KEY = "a-test-secret-key-that-is-long-enough-000"
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
PHONE = "+8613800138000"
PASSWORD = "correct horse battery"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def gateway_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade(url)
    return url


@pytest.fixture
def db(gateway_db: str) -> Iterator[Session]:
    """A session on the app's database, for arranging and asserting."""
    bound = get_engine(gateway_db)
    with make_sessionmaker(bound)() as opened:
        yield opened
    bound.dispose()


def add_campaign(db: Session, code: str = "gy2024", **fields: Any) -> int:
    values: dict[str, Any] = {
        "name": "固阳县先诊疗后付费宣传",
        "topic": "treat_first",
        "region": Region("guyang"),
        "wechat_scene": "gy2024",
        "sms_keyword": "GY",
    }
    values.update(fields)
    campaign = campaigns.create(db, code=code, **values)
    db.commit()
    return campaign.id


def queue_wechat_reply(
    db: Session, text: str, key: str, recipient_key: str = "u_" + "a" * 64
) -> int:
    """An answer to OPENID written to the outbox, due now, as the gateway queues one."""
    row_id = outbox.enqueue(
        db,
        channel="wechat",
        kind="reply",
        recipient_key=recipient_key,
        recipient=OPENID,
        recipient_kind="openid",
        payload={"text": text},
        idempotency_key=key,
    )
    assert row_id is not None, f"a row with the key {key} is queued already"
    return row_id


def add_cadre(db: Session, username: str = "li", *, admin: bool = False) -> int:
    cadre = cadres.create(
        db,
        username=username,
        display_name="李村医" if not admin else "王管理员",
        password=PASSWORD,
        region=Region("guyang"),
        villages=["东河村"],
        role="admin" if admin else "cadre",
    )
    db.commit()
    return cadre.id


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', page.text
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, username: str = "li", password: str = PASSWORD
) -> httpx.Response:
    token = csrf_of(await client.get("/login"))
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def wechat_clock() -> Callable[[], float]:
    return time.monotonic


@pytest.fixture
def fake_wechat() -> FakeWeChat:
    return FakeWeChat(APP_ID, APP_SECRET, clock=time.monotonic)


def make_settings(url: str, **overrides: Any) -> Settings:
    """Production settings for tests; `wechat_token=...` overrides `wechat.token`,
    `outbox_lease_seconds=...` `outbox.lease_seconds`, and so on."""
    values: dict[str, Any] = {
        "env": "production",
        "database_url": url,
        "secret_key": SECRET_KEY,
        "public_base_url": BASE,
        "twilio": {"auth_token": TWILIO_TOKEN},
        "wechat": {
            "token": WECHAT_TOKEN,
            "app_id": APP_ID,
            "app_secret": APP_SECRET,
            "api_base_url": "http://fake-wechat",
        },
        "action_server_url": "http://actions.test",
    }
    for name, value in overrides.items():
        channel, _, field = name.partition("_")
        if channel in ("twilio", "wechat", "outbox", "broadcast"):
            values.setdefault(channel, {})[field] = value
        else:
            values[name] = value
    return Settings(**values)


def actions_up(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok"})


@pytest.fixture
def app_factory(gateway_db: str, rasa: FakeRasa, fake_wechat: FakeWeChat) -> Callable[..., FastAPI]:
    def build(**overrides: Any) -> FastAPI:
        probe = overrides.pop("probe", actions_up)
        clock = overrides.pop("clock", None)
        broadcasts = overrides.pop("broadcasts", None)
        settings = make_settings(gateway_db, **overrides)
        api = WeChatAPI(
            APP_ID, APP_SECRET, "http://fake-wechat", httpx.ASGITransport(app=fake_wechat.app())
        )
        return create_app(
            settings,
            rasa=rasa.client(settings.rasa_timeout_seconds),
            wechat_api=api,
            clock=clock,
            probe_transport=httpx.MockTransport(probe),
            broadcasts=broadcasts,
        )

    return build


@pytest.fixture
def app(app_factory: Callable[..., FastAPI]) -> FastAPI:
    return app_factory()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c
    await app.state.gateway.pipeline.drain()


@pytest.fixture
async def cadre(app: FastAPI, db: Session) -> AsyncIterator[SignedInCadre]:
    """A cadre of 固阳县 (add_cadre's), signed in to a browser of their own."""
    cadre_id = add_cadre(db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as browser:
        await sign_in(browser)
        yield SignedInCadre(browser, csrf_of(await browser.get("/handoffs")), cadre_id)


@pytest.fixture
async def sms_handoff(
    client: httpx.AsyncClient, rasa: FakeRasa, db: Session, gateway_db: str
) -> int:
    """The id of the request a resident opened by texting 「人工」 from PHONE (in 固阳县)."""
    open_handoffs_on_request(rasa, gateway_db)
    await post_sms(client, sms_form(ASK_FOR_A_PERSON))
    return the_handoff(db).id


def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    signature: str = RequestValidator(token).compute_signature(url, params)
    return signature


def sms_form(
    body: str, sid: str = "SM00000000000000000000000000000001", **extra: str
) -> dict[str, str]:
    form = {
        "MessageSid": sid,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": PHONE,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    form.update(extra)
    return form


async def post_sms(
    client: httpx.AsyncClient, form: dict[str, str], *, sign: bool = True
) -> httpx.Response:
    headers = {"X-Twilio-Signature": twilio_signature(f"{BASE}/sms/twilio", form)} if sign else {}
    return await client.post("/sms/twilio", data=form, headers=headers)


def wechat_query(
    timestamp: int | None = None, nonce: str = "nonce123", token: str = WECHAT_TOKEN
) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = hashlib.sha1("".join(sorted([token, stamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce, "openid": OPENID}


def text_xml(content: str, msg_id: str = "6054768590064713728", sender: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )

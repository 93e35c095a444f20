"""The whole production profile, end to end: PostgreSQL, Redis, HAProxy, two Rasa instances
with the trained model, two gateways and the action server with two workers, started by the
code `make run-production` runs, on ports of their own. One resident's conversation goes
through HAProxy; the Rasa instance that holds it is killed between two turns, and the other
instance finishes it with the slots of the first turn (the tracker is in PostgreSQL, the lock
in Redis).

Slow: about a minute and a half on 2 cores, most of it two Rasa instances loading the model.
Needs the trained model (make rasa-train; `make test` trains first) and Debian's HAProxy,
PostgreSQL and Redis (installed when missing, as root).
"""

import itertools
import os
import shutil
import signal
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import psycopg
import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from gateway.rasa_client import MESSAGE_KEY, SENDER_HEADER
from gateway.text import sender_key
from healthaid.infrastructure import running_engines
from healthaid.production import (
    ProductionConfig,
    prepare_registry,
    proxied_servers,
    running_production,
)
from healthaid.stack import ROOT, Service
from registry import traffic
from registry.db import get_engine, make_sessionmaker
from registry.sqltypes import utcnow

pytestmark = pytest.mark.slow

MODEL = ROOT / "models" / "healthaid.tar.gz"
TWILIO_TOKEN = "production-profile-twilio-token"
# Apart from the tests' PostgreSQL (24432) and Redis (24379), the end-to-end stack (15xxx,
# 18xxx) and make run-production's own ports, so all of them may run at once.
CONFIG = dict(
    public_port=28000,
    gateway_ports=(28001, 28002),
    rasa_port=25004,
    rasa_ports=(25005, 25006),
    action_port=25055,
    stats_port=28404,
    postgres_port=24435,
    redis_port=24382,
    postgres_root=ROOT / "var" / "pg-prod-test",
)
_message_ids = itertools.count(1)


@dataclass
class Production:
    config: ProductionConfig
    services: dict[str, Service]


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make rasa-train` first", pytrace=False)
    work = tmp_path_factory.mktemp("production")
    public = f"http://127.0.0.1:{CONFIG['public_port']}"
    config = ProductionConfig(
        **CONFIG,  # type: ignore[arg-type]
        run_dir=work / "run",
        log_dir=work / "log",
        env={
            "HEALTHAID_ENV": "development",
            "HEALTHAID_SECRET_KEY": "production-profile-test-key-" + "x" * 20,
            "HEALTHAID_PUBLIC_BASE_URL": public,
            "HEALTHAID_TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
        },
    )
    # A fresh cluster, as on a new machine: no conversation from an earlier run.
    shutil.rmtree(config.postgres_root, ignore_errors=True)
    with running_engines(config.engines):
        prepare_registry(config, demo=True)
        with running_production(config) as started:
            yield Production(config, {service.name: service for service in started})


def sms(production: Production, body: str, sender: str, sid: str | None = None) -> str:
    """One SMS turn through HAProxy's public port: the text of the TwiML reply."""
    url = f"{production.config.public_url}/sms/twilio"
    params = {
        "MessageSid": sid or f"SMprod{next(_message_ids):028d}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text
    return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))


def rasa_requests(production: Production) -> dict[str, int]:
    """How many requests HAProxy has sent to each Rasa instance (its status page, as CSV)."""
    rows = proxied_servers(production.config.stats_url, "rasa_instances")
    return {name: int(row["stot"]) for name, row in rows.items()}


def user_turns_in_the_tracker_store(production: Production) -> list[int]:
    url = production.config.tracker_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT count(*) FROM events WHERE type_name = 'user' GROUP BY sender_id"
        ).fetchall()
    return [count for (count,) in rows]


def test_a_conversation_survives_the_rasa_instance_that_held_it(production: Production) -> None:
    sender = "+8613911119001"
    # Ready means HAProxy routes to every process, not just that each process answers: a Rasa
    # instance that loaded its model a second ago is still down in HAProxy's eyes.
    statuses = {n: r["status"] for n, r in proxied_servers(production.config.stats_url).items()}
    assert statuses == dict.fromkeys(["gateway-1", "gateway-2", "rasa-1", "rasa-2"], "UP")
    before = rasa_requests(production)
    asked = sms(production, "住院花了2万能报多少", sender)
    after = rasa_requests(production)
    holder = next(name for name in after if after[name] > before[name])
    survivor = next(name for name in after if name != holder)

    process = production.services[holder].process
    assert process is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = time.monotonic()
    answer = sms(production, "3", sender)  # 固阳, as the region question offered
    waited = time.monotonic() - killed_at

    assert "哪个地方" in asked
    assert after[survivor] == before[survivor]  # the first turn stayed on one instance
    # The estimate needs turn 1's setting (住院) and amount (2万), which only the killed
    # instance heard: the survivor read them from PostgreSQL.
    assert "固阳县住院总费用20000.00元" in answer
    assert "个人自付1000.00元" in answer
    assert rasa_requests(production)[survivor] > after[survivor]
    assert waited < 8  # HAProxy retried on the survivor at once, no 「系统繁忙」
    assert user_turns_in_the_tracker_store(production) == [2]


def test_a_retry_after_a_gateway_died_mid_turn_is_answered_from_rasas_tracker(
    production: Production,
) -> None:
    # The dying gateway claimed the message, posted it to Rasa (which ran the turn) and died
    # before answering; its claim lapsed. Twilio's retry then reaches a living gateway.
    phone, sid = "+8613911119002", "SMprod" + "d" * 28
    key = sender_key(phone, production.config.env["HEALTHAID_SECRET_KEY"].encode("utf-8"))
    engine = get_engine(production.config.registry_url)
    with make_sessionmaker(engine).begin() as session:
        a_minute_ago = utcnow() - timedelta(minutes=1)
        traffic.claim(session, "sms", sid, timedelta(seconds=1), now=a_minute_ago)
    engine.dispose()
    metadata = {"channel": "sms", "sender_token": None, "cadre_id": None, MESSAGE_KEY: sid}
    first = httpx.post(
        f"{production.config.rasa_url}/webhooks/rest/webhook",
        json={"sender": key, "message": "住院花了2万能报多少", "metadata": metadata},
        headers={SENDER_HEADER: key},
        timeout=30,
    )

    retried = sms(production, "住院花了2万能报多少", phone, sid=sid)

    tracker = httpx.get(
        f"{production.config.rasa_url}/conversations/{key}/tracker",
        headers={SENDER_HEADER: key},
        timeout=30,
    ).json()
    users = [e for e in tracker["events"] if e["event"] == "user"]
    assert first.status_code == 200 and first.json()[0]["text"] == "您是哪个地方的？"
    assert "您是哪个地方的？" in retried and "回复2 荣昌" in retried  # Rasa's buttons, numbered
    assert [e["metadata"][MESSAGE_KEY] for e in users] == [sid]  # Rasa ran it once

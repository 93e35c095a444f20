"""What the broadcast benchmark runs against, on loopback: PostgreSQL and Redis from the
project's scripts (the production profile's engines, on the benchmark's own ports), a fresh
registry of fictional residents imported from a CSV file, and three processes — the fake
Twilio API (tests/gateway/fake_twilio.py), one gateway (it receives the status callbacks and
the cadre's replies) and the broadcast consumer (`python -m gateway.broadcasts.worker`, Huey
on Redis) — started with the helpers of `make run` (healthaid/stack.py).
"""

import csv
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.text import sender_key
from healthaid.infrastructure import Engines, running_engines
from healthaid.stack import HOST, ROOT, Service
from registry import cadres, campaigns, traffic
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.idnumber import check_digit
from registry.importer import import_file
from registry.residents_csv import HEADER
from settlement.identifiers import Region

WORK = ROOT / "var" / "bench-broadcast"  # PostgreSQL's cluster, the CSV, the logs; wiped first
POSTGRES_PORT = int(os.environ.get("PGPORT_HEALTHAID", "24492"))
REDIS_PORT = int(os.environ.get("REDIS_PORT_HEALTHAID", "24532"))
GATEWAY_PORT, TWILIO_PORT = 32000, 32001
GATEWAY_URL, TWILIO_URL = f"http://{HOST}:{GATEWAY_PORT}", f"http://{HOST}:{TWILIO_PORT}"
ACCOUNT_SID, FROM_NUMBER = "AC" + "b" * 32, "+15005550006"
TWILIO_TOKEN = "bench-broadcast-twilio-token"
SENDER_KEY = "bench-broadcast-sender-key-" + "s" * 16
CADRE, PASSWORD = "bench_cadre", "bench-broadcast-password"
REGION = Region("guyang")
CAMPAIGN = "tijian"
GUYANG_AREA = "150222"  # 固阳县's real area code (行政区划代码); the people are fictional


@dataclass(frozen=True)
class People:
    """The registry's residents by what a broadcast must do with them (phones in E.164)."""

    consenting: list[str] = field(default_factory=list)  # must get exactly one message
    opted_out: list[str] = field(default_factory=list)  # consented, then sent 退订: nothing
    not_consenting: list[str] = field(default_factory=list)  # nothing

    @property
    def excluded(self) -> set[str]:
        return set(self.opted_out) | set(self.not_consenting)


def registry_url() -> str:
    return f"postgresql+psycopg://postgres@{HOST}:{POSTGRES_PORT}/healthaid"


def redis_url() -> str:
    return f"redis://{HOST}:{REDIS_PORT}/2"  # the gateways' database, as in the production profile


def environment(sms_rate: str) -> dict[str, str]:
    """The gateway's and the consumer's environment (gateway/settings.py), as the production
    profile sets it, pointed at the fake Twilio API."""
    return {
        "HEALTHAID_ENV": "development",
        "HEALTHAID_SECRET_KEY": "bench-broadcast-secret-" + "k" * 24,
        "HEALTHAID_SENDER_KEY": SENDER_KEY,
        "HEALTHAID_DATABASE_URL": registry_url(),
        "HEALTHAID_REDIS_URL": redis_url(),
        "HEALTHAID_PUBLIC_BASE_URL": GATEWAY_URL,
        "HEALTHAID_TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
        "HEALTHAID_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
        "HEALTHAID_TWILIO__FROM_NUMBER": FROM_NUMBER,
        "HEALTHAID_TWILIO__API_BASE_URL": TWILIO_URL,
        "HEALTHAID_BROADCAST__SMS_RATE": sms_rate,
    }


def phone_of(index: int) -> str:
    return f"139{index:08d}"


def write_residents(path: Path, count: int, not_consenting_every: int) -> list[str]:
    """`count` fictional 固阳 residents as the import CSV (with its consent column); every
    `not_consenting_every`-th has not agreed to notices. Their phones, in file order."""
    phones = []
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADER, "consent"])
        for index in range(count):
            born = date(1940, 1, 1) + timedelta(days=index // 900)  # 900 sequences per day
            first17 = f"{GUYANG_AREA}{born:%Y%m%d}{index % 900 + 100:03d}"
            id_number = first17 + check_digit(first17)
            phone = phone_of(index)
            consent = "否" if index % not_consenting_every == 0 else "是"
            row = [id_number, "王秀英", phone, REGION, "poor", "下湿壕村", "", "", "", ""]
            writer.writerow([*row, consent])
            phones.append(phone)
    return phones


def seed(url: str, count: int, *, not_consenting_every: int, opted_out_every: int) -> People:
    """Migrate the registry, import the residents through the CSV import, record 退订 for
    every `opted_out_every`-th consenting resident, add a cadre (admin) and the campaign."""
    upgrade(url)
    path = WORK / "residents.csv"
    phones = write_residents(path, count, not_consenting_every)
    engine = get_engine(url)
    sessions = make_sessionmaker(engine)
    people = People()
    with sessions.begin() as session:
        result = import_file(session, path, actor="bench")
        if not result.ok or result.imported != count:
            raise RuntimeError(f"import failed: {result.file_error or result.rejected[:3]}")
        for index, phone in enumerate(phones):
            e164 = "+86" + phone
            if index % not_consenting_every == 0:
                people.not_consenting.append(e164)
            elif index % opted_out_every == 1:
                key = sender_key(e164, SENDER_KEY.encode("utf-8"))
                traffic.opt_out(session, "sms", key)
                people.opted_out.append(e164)
            else:
                people.consenting.append(e164)
        _staff(session)
    engine.dispose()
    return people


def _staff(session: Session) -> None:
    cadres.create(
        session,
        username=CADRE,
        display_name="王管理员",
        password=PASSWORD,
        region=REGION,
        villages=["下湿壕村"],
        role="admin",
    )
    campaigns.create(session, code=CAMPAIGN, name="免费体检提醒", topic=None, region=REGION)


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def fake_twilio() -> Service:
    command = _python("-m", "tests.gateway.fake_twilio", "--port", str(TWILIO_PORT))
    command += ["--account-sid", ACCOUNT_SID, "--auth-token", TWILIO_TOKEN]
    return Service("fake-twilio", command, f"{TWILIO_URL}/_fake/messages", _env({}))


def gateway(env: dict[str, str]) -> Service:
    command = _python("-m", "uvicorn", "gateway.app:create_app", "--factory")
    command += ["--host", HOST, "--port", str(GATEWAY_PORT), "--log-level", "warning"]
    return Service("gateway", command, f"{GATEWAY_URL}/healthz", _env(env))


def consumer(env: dict[str, str], name: str = "broadcasts") -> Service:
    ready = WORK / "log" / f"{name}.ready"
    command = _python("-m", "gateway.broadcasts.worker", "--ready-file", str(ready))
    return Service(name, command, "", _env(env), ready_file=ready)


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@contextmanager
def running_world() -> Iterator[Engines]:
    """A fresh folder and PostgreSQL cluster with Redis, both stopped after the block."""
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "log").mkdir(parents=True)
    engines = Engines(POSTGRES_PORT, WORK / "pg", REDIS_PORT)
    with running_engines(engines):
        yield engines

"""The real stack for end-to-end tests: action server, Rasa (the trained model) and gateway,
on their own loopback ports, with a fresh database of demo residents, a demo cadre, a demo
campaign, a fake WeChat API (a thread of this process), a fake Twilio REST API (its own
process, as a provider is: tests read what it received at GET /_fake/messages) that the
gateway sends SMS through, and a fault-injecting proxy between the gateway and Rasa.

Needs the trained model (make rasa-train; `make test` trains first). Without it these tests
fail with that message rather than skip: a skipped end-to-end suite would pass unnoticed.
"""

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from healthaid.stack import PYTHON, ROOT, Service, StackConfig, running_services, running_stack
from tests.gateway.fake_wechat import FakeWeChat
from tests.support.delay_proxy import DelayProxy
from tests.support.seed import seed

MODEL = ROOT / "models" / "healthaid.tar.gz"
# HEALTHAID_E2E_PORT_OFFSET moves every port, so two checkouts on one machine can each run
# their end-to-end tests at the same time.
_OFFSET = int(os.environ.get("HEALTHAID_E2E_PORT_OFFSET", "0"))
PORTS = {
    name: port + _OFFSET
    for name, port in {
        "gateway": 18000,
        "rasa": 15005,
        "action": 15055,
        "proxy": 15006,
        "wechat": 18081,
        "twilio": 18082,
    }.items()
}
TWILIO_TOKEN = "e2e-twilio-auth-token"
TWILIO_ACCOUNT = "AC" + "0" * 32
TWILIO_NUMBER = "+15005550006"  # the gateway's own number: residents text it, replies come from it
WECHAT = {"token": "e2etoken", "app_id": "wxe2e0000000000001", "secret": "e2e-app-secret"}
CADRE_PASSWORD = "e2e-cadre-password"


@dataclass
class Stack:
    gateway: str
    rasa: str
    proxy: DelayProxy
    wechat: FakeWeChat
    twilio: str  # the fake Twilio API's address
    database_url: str
    services: list[Service]


class _Server:
    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio"
        )  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def fake_twilio(url: str) -> Service:
    """tests/gateway/fake_twilio.py as a process at `url`, for the stack's Twilio account."""
    port = url.rsplit(":", 1)[1]
    command = [str(PYTHON), "-m", "tests.gateway.fake_twilio", "--port", port]
    command += ["--account-sid", TWILIO_ACCOUNT, "--auth-token", TWILIO_TOKEN]
    return Service("fake-twilio", command, f"{url}/_fake/messages", dict(os.environ))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make rasa-train` first", pytrace=False)
    work = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{work / 'e2e.db'}"
    seed(database_url, CADRE_PASSWORD)
    wechat = FakeWeChat(WECHAT["app_id"], WECHAT["secret"], clock=time.time)
    twilio_url = f"http://127.0.0.1:{PORTS['twilio']}"
    config = StackConfig(
        gateway_port=PORTS["gateway"],
        rasa_port=PORTS["rasa"],
        action_port=PORTS["action"],
        log_dir=work / "log",
        env={
            "HEALTHAID_ENV": "development",
            "HEALTHAID_DATABASE_URL": database_url,
            "HEALTHAID_SECRET_KEY": "e2e-secret-key-" + "x" * 40,
            "HEALTHAID_PUBLIC_BASE_URL": f"http://127.0.0.1:{PORTS['gateway']}",
            "HEALTHAID_TWILIO__ACCOUNT_SID": TWILIO_ACCOUNT,
            "HEALTHAID_TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
            "HEALTHAID_TWILIO__FROM_NUMBER": TWILIO_NUMBER,
            "HEALTHAID_TWILIO__API_BASE_URL": twilio_url,
            "WECHAT_TOKEN": WECHAT["token"],
            "WECHAT_APP_ID": WECHAT["app_id"],
            "WECHAT_APP_SECRET": WECHAT["secret"],
            "WECHAT_API_BASE_URL": f"http://127.0.0.1:{PORTS['wechat']}",
            "RASA_URL": f"http://127.0.0.1:{PORTS['proxy']}",
        },
    )
    with (
        _Server(wechat.app(), PORTS["wechat"]),
        running_services([fake_twilio(twilio_url)], work / "log", timeout=30),
        DelayProxy(config.rasa_url, PORTS["proxy"]) as proxy,
        running_stack(config, timeout=300) as services,
    ):
        yield Stack(
            config.gateway_url,
            config.rasa_url,
            proxy,
            wechat,
            twilio_url,
            database_url,
            services,
        )


@pytest.fixture
def healthy(stack: Stack) -> Iterator[Stack]:
    """The stack with no injected fault, restored after the test."""
    stack.proxy.faults.delay_seconds = 0
    stack.proxy.faults.down = False
    yield stack
    stack.proxy.faults.delay_seconds = 0
    stack.proxy.faults.down = False


def log_files(stack: Stack) -> list[Path]:
    return sorted(Path(stack.database_url.removeprefix("sqlite:///")).parent.glob("log/*.log"))

"""Everything the app holds for its lifetime, built once by `create_app` (never at import)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.broadcasts.engine import BroadcastEngine
from gateway.channels.twilio.rest import HttpxTwilioClient
from gateway.channels.wechat.api import WeChatAPI
from gateway.channels.wechat.security import WeChatCrypto
from gateway.metrics import Metrics
from gateway.outbox import OutboxSender
from gateway.pipeline import Pipeline
from gateway.settings import Settings
from gateway.shared import SharedState

HERE = Path(__file__).resolve().parent


@dataclass
class GatewayState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    pipeline: Pipeline
    metrics: Metrics
    clock: Callable[[], float]
    templates: Jinja2Templates
    probes: httpx.AsyncClient  # readiness checks of the action server
    wechat_api: WeChatAPI | None
    wechat_crypto: WeChatCrypto | None
    shared: SharedState  # sender memory, limits, sign-in failures, replies (this process or Redis)
    outbox: OutboxSender  # messages sent outside an HTTP reply
    broadcasts: BroadcastEngine  # enqueues broadcasts; `python -m gateway.broadcasts.worker` sends
    twilio_http: HttpxTwilioClient | None = None  # the outbox's SMS channel sends through it


def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=HERE / "templates")

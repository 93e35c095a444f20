"""The app factory: `uvicorn gateway.app:create_app --factory`.

Everything is built here, when called, from `settings` (default: `get_settings()`): the
database engine, the Rasa client, the WeChat client, limits, metrics. Tests pass their own
settings, a Rasa client on a fake transport, a WeChat client on the fake WeChat API, a clock.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway import housekeeping, logs
from gateway.broadcasts.channels import ChannelsOf
from gateway.broadcasts.engine import BroadcastEngine, build_engine
from gateway.channels.twilio.delivery import sms_channel
from gateway.channels.twilio.router import router as twilio_router
from gateway.channels.twilio.status import router as twilio_status_router
from gateway.channels.wechat.api import WeChatAPI
from gateway.channels.wechat.delivery import Template, wechat_delivery
from gateway.channels.wechat.router import router as wechat_router
from gateway.channels.wechat.security import WeChatCrypto
from gateway.deps import LoginRequired, viewer
from gateway.metrics import Metrics
from gateway.outbox import Deliver, OutboxSender
from gateway.pipeline import Pipeline
from gateway.rasa_client import RasaClient
from gateway.routes import (
    admin,
    campaigns,
    chat,
    estimate,
    handoffs,
    health,
    login,
    policies,
)
from gateway.routes import (
    broadcasts as broadcast_routes,
)
from gateway.settings import DEVELOPMENT_SECRET_KEY, Settings, SettingsError, get_settings
from gateway.shared import SharedState, open_shared_state
from gateway.state import HERE, GatewayState, templates
from gateway.watch import HealthWatch, http_probe
from registry.db import get_engine, make_sessionmaker
from registry.retention import Retention


def _crypto(settings: Settings) -> WeChatCrypto | None:
    if not settings.wechat.safe_mode:
        return None
    try:
        return WeChatCrypto(settings.wechat.token, settings.wechat.aes_key, settings.wechat.app_id)
    except Exception as error:  # wechatpy raises binascii/ValueError variants for a bad key
        raise SettingsError(f"WECHAT_AES_KEY is not a valid EncodingAESKey: {error}") from None


def _state(
    settings: Settings,
    rasa: RasaClient | None,
    wechat_api: WeChatAPI | None,
    clock: Callable[[], float],
    probe_transport: httpx.AsyncBaseTransport | None,
    shared: SharedState | None,
    twilio_transport: httpx.AsyncBaseTransport | None,
    broadcast_engine: BroadcastEngine | None = None,
) -> GatewayState:
    engine = get_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    metrics = Metrics()
    if wechat_api is None and settings.wechat.app_id and settings.wechat.app_secret:
        wechat_api = WeChatAPI(
            settings.wechat.app_id, settings.wechat.app_secret, settings.wechat.api_base_url
        )
    probes = httpx.AsyncClient(base_url=settings.action_server_url, transport=probe_transport)
    shared = shared or open_shared_state(settings, clock)
    channels: dict[str, Deliver] = {}
    if wechat_api is not None:
        # Broadcast rows this process resends after a crash need the template too.
        channels["wechat"] = wechat_delivery(wechat_api, Template.of(settings.wechat))
    sms = sms_channel(settings, twilio_transport)
    if sms is not None:
        channels["sms"] = sms[0]
    pipeline = Pipeline(
        sessions=sessions,
        rasa=rasa or RasaClient(settings.rasa_url, timeout=settings.rasa_timeout_seconds),
        secret=settings.sender_secret,
        memory=shared.memory,
        limits=shared.limits,
        metrics=metrics,
        replies=shared.replies,
        claim_margin=settings.claim_margin_seconds,
        failover_seconds=settings.rasa_failover_seconds,
        action_server=HealthWatch(http_probe(probes)),
    )
    return GatewayState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        pipeline=pipeline,
        metrics=metrics,
        clock=clock,
        templates=templates(),
        probes=probes,
        wechat_api=wechat_api,
        wechat_crypto=_crypto(settings),
        shared=shared,
        broadcasts=broadcast_engine
        or build_engine(settings, sessions, ChannelsOf(settings, twilio_transport)),
        outbox=OutboxSender(
            sessions,
            channels,
            metrics,
            lease_seconds=settings.outbox.lease_seconds,
            poll_seconds=settings.outbox.poll_seconds,
            max_attempts=settings.outbox.max_attempts,
        ),
        twilio_http=sms[1] if sms is not None else None,
    )


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _handlers(app: FastAPI, state: GatewayState) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(error.next_path)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 403 and _wants_html(request):
            context = {**await viewer(request, state), "message": error.detail}
            return state.templates.TemplateResponse(request, "forbidden.html", context, 403)
        if error.status_code == 404 and _wants_html(request):
            context = await viewer(request, state)
            return state.templates.TemplateResponse(request, "not_found.html", context, 404)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        # One entry per field, named as the client wrote it ("total", "paid_this_year.…").
        detail: list[dict[str, Any]] = []
        for problem in error.errors():
            location = [str(part) for part in problem.get("loc", ()) if part != "body"]
            detail.append(
                {"field": ".".join(location) or "body", "msg": problem.get("msg", "无效的输入")}
            )
        return JSONResponse({"detail": detail}, status_code=422)


def create_app(
    settings: Settings | None = None,
    rasa: RasaClient | None = None,
    wechat_api: WeChatAPI | None = None,
    clock: Callable[[], float] | None = None,
    *,
    probe_transport: httpx.AsyncBaseTransport | None = None,
    retention: Retention | None = None,
    shared: SharedState | None = None,
    twilio_transport: httpx.AsyncBaseTransport | None = None,
    broadcasts: BroadcastEngine | None = None,
) -> FastAPI:
    """The gateway app. `retention` (default: from the environment, registry/retention.py)
    is what the hourly purge of receipts and expired tokens keeps. `shared` (default: what
    the settings choose) lets tests give two apps in one process the same in-process state,
    as two processes share Redis. `twilio_transport` replaces the network under Twilio's
    REST client (default: the real one, to `settings.twilio.api_base_url`). `broadcasts`
    (default: built from the settings) lets tests run the broadcast engine in immediate mode
    with their own channels."""
    settings = settings or get_settings()
    retention = retention or Retention.from_env()
    logs.configure()
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        logs.get_logger().warning("development_secret_key: set HEALTHAID_SECRET_KEY")
    state = _state(
        settings,
        rasa,
        wechat_api,
        clock or time.time,
        probe_transport,
        shared,
        twilio_transport,
        broadcasts,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        purging = asyncio.create_task(housekeeping.purge_periodically(state.sessions, retention))
        sending = asyncio.create_task(state.outbox.run())
        yield
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        # Deliver WeChat answers still under way before the process goes; what is left in the
        # outbox is sent by the other processes, or by this one when it starts again.
        await state.pipeline.drain(timeout=settings.wechat.async_timeout_seconds)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        await state.pipeline.rasa.aclose()
        await state.probes.aclose()
        if state.wechat_api is not None:
            await state.wechat_api.aclose()
        if state.twilio_http is not None:
            await state.twilio_http.aclose()
        state.engine.dispose()
        state.shared.close()

    app = FastAPI(
        title="healthaid gateway",
        description="健康帮扶政策助手：短信、微信公众号、网页咨询与费用估算接口",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.gateway = state
    _handlers(app, state)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (
        health.router,
        twilio_router,
        twilio_status_router,
        wechat_router,
        chat.router,
        login.router,
        campaigns.router,
        admin.router,
        handoffs.router,
        broadcast_routes.router,
        estimate.router,
        policies.router,
    ):
        app.include_router(router)
    return app

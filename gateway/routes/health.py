"""/healthz (the process is up), /readyz (Rasa, action server, database), /metrics."""

import asyncio

import httpx
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from gateway.deps import StateDep
from gateway.state import GatewayState

router = APIRouter(tags=["health"])
PROBE_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _action_server(state: GatewayState) -> bool:
    try:
        response = await state.probes.get("/health", timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _database(state: GatewayState) -> bool:
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"; the probe must answer
        return False
    return True


@router.get("/readyz")
async def readyz(state: StateDep) -> JSONResponse:
    rasa, actions, database = await asyncio.gather(
        state.pipeline.rasa.ready(timeout=PROBE_TIMEOUT),
        _action_server(state),
        run_in_threadpool(_database, state),
    )
    checks = {"rasa": rasa, "action_server": actions, "database": database}
    body = {name: "ok" if up else "down" for name, up in checks.items()}
    ready = all(checks.values())
    body["status"] = "ready" if ready else "not ready"
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

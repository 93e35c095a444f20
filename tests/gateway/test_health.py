"""/healthz, /readyz (Rasa, action server, database) and /metrics."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.gateway.conftest import BASE, post_sms, sms_form
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio


def actions_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def test_healthz_needs_nothing_else(client: httpx.AsyncClient, rasa: FakeRasa) -> None:
    rasa.down = True

    response = await client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_when_all_are_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "rasa": "ok",
        "action_server": "ok",
        "database": "ok",
        "status": "ready",
    }


async def test_readyz_names_rasa_when_it_is_down(client: httpx.AsyncClient, rasa: FakeRasa) -> None:
    rasa.down = True

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["rasa"] == "down" and response.json()["action_server"] == "ok"


async def test_readyz_names_the_action_server_when_it_is_down(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(probe=actions_down)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["action_server"] == "down" and response.json()["rasa"] == "ok"


async def test_readyz_names_the_database_when_it_is_unreachable(
    app_factory: Callable[..., FastAPI], tmp_path: Path
) -> None:
    missing = tmp_path / "missing"
    app = app_factory(database_url=f"sqlite:///{missing}/healthaid.db")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"
    # nothing (the broadcast queue beside the registry included) created the missing folder
    assert not missing.exists()


async def test_metrics_count_requests_replies_failures_and_rasa_latency(
    client: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    await post_sms(client, sms_form("你好", sid="SM1"))
    rasa.down = True
    await post_sms(client, sms_form("你好", sid="SM2"))

    text = (await client.get("/metrics")).text

    assert 'healthaid_requests_total{channel="sms"} 2.0' in text
    assert 'healthaid_replies_total{channel="sms"} 2.0' in text
    assert 'healthaid_failures_total{channel="sms",reason="rasa_unavailable"} 1.0' in text
    assert "healthaid_rasa_latency_seconds_count 1.0" in text
    assert "healthaid_outbox_deliveries_total" in text


async def test_the_app_starts_and_stops_cleanly_under_its_lifespan(app: FastAPI) -> None:
    # (Starlette's TestClient needs a package not installed here; the lifespan is run as
    # uvicorn runs it.)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            assert (await client.get("/healthz")).status_code == 200
    assert app.state.gateway.probes.is_closed

"""The production profile's gateway processes, started as `make run-production` starts them
(HEALTHAID_WORKERS=2): they refuse SQLite or a missing Redis at start-up, and run on PostgreSQL
and Redis. Real processes, no Rasa: `/healthz` answers without it."""

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from healthaid.production import ProductionConfig, gateway_services
from healthaid.stack import Service, StackError, running_services
from tests.gateway.shared.conftest import redis_url  # noqa: F401  (a fixture, found by name)
from tests.registry.conftest import (  # noqa: F401  (fixtures, found by name)
    database_url,
    empty_database_url,
)

PORT = 28101  # apart from the end-to-end tests' and make run-production's ports


def _gateway(tmp_path: Path, **env: str) -> Service:
    config = ProductionConfig(gateway_ports=(PORT, PORT + 1), run_dir=tmp_path, env=env)
    first = gateway_services(config)[0]
    # Ready once it serves: /readyz would also want Rasa and the action server.
    return replace(first, ready_url=f"http://127.0.0.1:{PORT}/healthz")


def _refused(service: Service, log_dir: Path) -> str:
    with pytest.raises(StackError) as refusal, running_services([service], log_dir, 60):
        pass
    return str(refusal.value)


def test_two_gateway_processes_refuse_sqlite_even_with_redis(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'g.db'}"
    # Nothing connects to Redis before the first message, so no server is needed here.
    service = _gateway(tmp_path, HEALTHAID_DATABASE_URL=sqlite, HEALTHAID_REDIS_URL="redis://x/0")

    said = _refused(service, tmp_path / "log")

    assert "exited with" in said
    assert "2 gateway workers need PostgreSQL (HEALTHAID_DATABASE_URL), not SQLite" in said


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_two_gateway_processes_refuse_postgresql_without_redis(
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    service = _gateway(tmp_path, HEALTHAID_DATABASE_URL=database_url, HEALTHAID_REDIS_URL="")

    said = _refused(service, tmp_path / "log")

    assert "2 gateway workers need Redis (HEALTHAID_REDIS_URL)" in said


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_two_gateway_processes_run_on_postgresql_and_redis(
    tmp_path: Path,
    database_url: str,  # noqa: F811
    redis_url: str,  # noqa: F811
) -> None:
    service = _gateway(tmp_path, HEALTHAID_DATABASE_URL=database_url, HEALTHAID_REDIS_URL=redis_url)

    with running_services([service], tmp_path / "log", 60):
        health = httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=5)

    assert health.status_code == 200
    assert service.env["HEALTHAID_WORKERS"] == "2"

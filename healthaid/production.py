"""The production profile on one machine (`make run-production`): PostgreSQL for the registry
and Rasa's tracker store, Redis for Rasa's lock store and the gateways' shared state, HAProxy
in front of two Rasa instances (a consistent hash on the sender) and two gateway processes,
and the action server with two Sanic workers. Loopback only; Ctrl-C stops everything.

Why this shape: research/scale-out.md §3.1. What a county deploys: docs/deploy.md. `make run`
(healthaid/stack.py) stays the embedded profile: SQLite, one process of each, nothing shared.
"""

import argparse
import csv
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from healthaid.infrastructure import (
    Engines,
    haproxy_binary,
    rasa_environment,
    running_engines,
    write_haproxy_config,
)
from healthaid.stack import (
    HOST,
    ROOT,
    LoopbackURLs,
    Service,
    action_server_command,
    broadcast_worker,
    gateway_command,
    local_url,
    python_path,
    rasa_command,
    running_services,
    serve_until_ctrl_c,
    write_endpoints,
)

REGISTRY_DB, TRACKER_DB = "healthaid", "rasa"  # scripts/postgres.sh --production creates both
POSTGRES_USER = "postgres"  # loopback only, trusted from 127.0.0.1 (scripts/postgres.sh)
# Redis databases: Rasa's ticket locks apart from the gateways' memory and limits, so either
# can be flushed alone (research/scale-out.md §3.1).
LOCK_DB, GATEWAY_DB = 1, 2
LOCK_KEY_PREFIX = "healthaid"  # Rasa wants it alphanumeric


@dataclass(frozen=True)
class ProductionConfig(LoopbackURLs):
    public_port: int = 8000  # HAProxy, in front of the gateways
    gateway_ports: tuple[int, int] = (8001, 8002)
    rasa_port: int = 5004  # HAProxy, in front of the Rasa instances (the gateways' RASA_URL)
    rasa_ports: tuple[int, int] = (5005, 5006)
    action_port: int = 5055
    action_workers: int = 2
    stats_port: int = 8404  # HAProxy's status page
    postgres_port: int = 24433  # not the tests' 24432
    redis_port: int = 24380  # not the tests' 24379
    postgres_root: Path = ROOT / "var" / "pg-prod"
    run_dir: Path = ROOT / "var" / "run"  # the rendered configuration files
    log_dir: Path = ROOT / "var" / "log" / "production"
    model_dir: Path = ROOT / "models"
    env: dict[str, str] = field(default_factory=dict)  # extra environment, applied last

    @property
    def engines(self) -> Engines:
        return Engines(self.postgres_port, self.postgres_root, self.redis_port)

    @property
    def public_url(self) -> str:
        return local_url(self.public_port)

    @property
    def stats_url(self) -> str:
        return f"{local_url(self.stats_port)}/"

    @property
    def registry_url(self) -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@{HOST}:{self.postgres_port}/{REGISTRY_DB}"

    @property
    def tracker_url(self) -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@{HOST}:{self.postgres_port}/{TRACKER_DB}"

    @property
    def gateway_redis_url(self) -> str:
        return f"redis://{HOST}:{self.redis_port}/{GATEWAY_DB}"


def endpoint_values(config: ProductionConfig) -> dict[str, str | int | None]:
    """The fields of bot/endpoints/production.yml.tmpl."""
    return {
        "ACTION_WEBHOOK": f"{config.action_url}/webhook",
        "TRACKER_HOST": HOST,
        "TRACKER_PORT": config.postgres_port,
        "TRACKER_DB": TRACKER_DB,
        "TRACKER_USER": POSTGRES_USER,
        "TRACKER_PASSWORD": None,
        "LOCK_HOST": HOST,
        "LOCK_PORT": config.redis_port,
        "LOCK_DB": LOCK_DB,
        "LOCK_PASSWORD": None,
        "LOCK_KEY_PREFIX": LOCK_KEY_PREFIX,
    }


def haproxy_ports(config: ProductionConfig) -> dict[str, int]:
    """The fields of deploy/haproxy.cfg.tmpl."""
    return {
        "PUBLIC_PORT": config.public_port,
        "GATEWAY_1_PORT": config.gateway_ports[0],
        "GATEWAY_2_PORT": config.gateway_ports[1],
        "RASA_PORT": config.rasa_port,
        "RASA_1_PORT": config.rasa_ports[0],
        "RASA_2_PORT": config.rasa_ports[1],
        "STATS_PORT": config.stats_port,
    }


def _base_env(config: ProductionConfig) -> dict[str, str]:
    return {**os.environ, **config.env}


def action_server_service(config: ProductionConfig) -> Service:
    return Service(
        "action-server",
        action_server_command(config.action_port),
        f"{config.action_url}/health",
        {
            **_base_env(config),
            "HEALTHAID_DATABASE_URL": config.registry_url,
            "SANIC_HOST": HOST,
            "ACTION_SERVER_SANIC_WORKERS": str(config.action_workers),
            **config.env,
        },
    )


def rasa_services(config: ProductionConfig) -> list[Service]:
    endpoints = write_endpoints(
        "production", endpoint_values(config), config.run_dir / f"endpoints-{config.rasa_port}.yml"
    )
    base = _base_env(config)
    env = {**base, **rasa_environment(), "PYTHONPATH": python_path(base)}
    return [
        Service(
            f"rasa-{number}",
            rasa_command(port, config.model_dir, endpoints),
            f"{local_url(port)}/status",
            env,
        )
        for number, port in enumerate(config.rasa_ports, 1)
    ]


def gateway_services(config: ProductionConfig) -> list[Service]:
    env = {
        **_base_env(config),
        "HEALTHAID_DATABASE_URL": config.registry_url,
        "HEALTHAID_REDIS_URL": config.gateway_redis_url,
        # The gateway refuses several processes on SQLite or without Redis (gateway/settings.py).
        "HEALTHAID_WORKERS": str(len(config.gateway_ports)),
        "HEALTHAID_RASA_URL": config.rasa_url,
        "HEALTHAID_ACTION_SERVER_URL": config.action_url,
        **config.env,
    }
    return [
        Service(
            f"gateway-{number}",
            # The client's address comes from HAProxy's X-Forwarded-For (sign-in limits).
            gateway_command(port, "--proxy-headers", "--forwarded-allow-ips", HOST),
            f"{local_url(port)}/readyz",
            env,
        )
        for number, port in enumerate(config.gateway_ports, 1)
    ]


def proxied_servers(stats_url: str, backend: str | None = None) -> dict[str, dict[str, str]]:
    """HAProxy's status page read as CSV: {server name: its row} for every server (not the
    FRONTEND/BACKEND rows), of one backend or of all. Fields used: `status` ("UP", "DOWN",
    "UP 1/2" while rising…), `stot` (requests sent), `check_status` ("L7OK", "L4CON"…).
    Raises httpx.HTTPError when the page does not answer."""
    response = httpx.get(f"{stats_url};csv", timeout=5)
    response.raise_for_status()
    return {
        row["svname"]: row
        for row in csv.DictReader(io.StringIO(response.text.lstrip("# ")))
        if row["svname"] not in ("FRONTEND", "BACKEND")
        and (backend is None or row["pxname"] == backend)
    }


def every_server_up(stats_url: str) -> bool:
    """True once HAProxy itself routes to every gateway and Rasa instance. Each process being
    ready is not enough: HAProxy marks a server up only after `rise` passed checks, 2 s apart,
    so for a few seconds after the last Rasa instance loads its model the proxy still sends all
    of that instance's conversations to the other one (and has nowhere to fail over to)."""
    try:
        rows = proxied_servers(stats_url)
    except httpx.HTTPError:
        return False
    return bool(rows) and all(row["status"] == "UP" for row in rows.values())


def proxy_service(config: ProductionConfig, haproxy: str) -> Service:
    path = config.run_dir / f"haproxy-{config.public_port}.cfg"
    write_haproxy_config(path, haproxy_ports(config))
    command = [haproxy, "-db", "-f", str(path)]  # -db: stays in the foreground, stopped with us
    return Service(
        "haproxy",
        command,
        config.stats_url,
        _base_env(config),
        ready_probe=lambda: every_server_up(config.stats_url),
    )


def services(config: ProductionConfig, haproxy: str) -> list[Service]:
    """In the order they start; they stop the other way round (HAProxy first)."""
    return [
        action_server_service(config),
        *rasa_services(config),
        *gateway_services(config),
        broadcast_worker("broadcasts", gateway_services(config)[0].env, config.log_dir),
        proxy_service(config, haproxy),
    ]


@contextmanager
def running_production(config: ProductionConfig, timeout: float = 300) -> Iterator[list[Service]]:
    """Every process of the profile up and ready inside the block; all stopped after it. The
    engines (PostgreSQL, Redis) must already run: see `running_engines`."""
    planned = services(config, haproxy_binary())
    with running_services(planned, config.log_dir, timeout) as started:
        yield started


def prepare_registry(config: ProductionConfig, demo: bool) -> None:
    """Migrate the registry; in development, load the demo data as `make run` does."""
    from healthaid.demo import seed_demo
    from registry.db import upgrade

    if demo:
        seed_demo(config.registry_url)
    else:
        upgrade(config.registry_url)


def addresses(config: ProductionConfig) -> str:
    gateways = ", ".join(f":{port}" for port in config.gateway_ports)
    instances = ", ".join(f":{port}" for port in config.rasa_ports)
    return (
        f"  chat widget   {config.public_url}/chat   (HAProxy → gateways {gateways})\n"
        f"  cadre sign-in {config.public_url}/login   (demo: see README)\n"
        f"  admin         {config.public_url}/admin\n"
        f"  estimate API  {config.public_url}/docs\n"
        f"  Rasa          {config.rasa_url}   (HAProxy, by sender → instances {instances})\n"
        f"  action server {config.action_url}   ({config.action_workers} workers)\n"
        f"  HAProxy stats {config.stats_url}\n"
        f"  PostgreSQL    {HOST}:{config.postgres_port}   (databases {REGISTRY_DB} and "
        f"{TRACKER_DB}, data in {config.postgres_root})\n"
        f"  Redis         {HOST}:{config.redis_port}   (db {LOCK_DB} Rasa's locks, "
        f"db {GATEWAY_DB} the gateways' state)\n"
        f"  logs          {config.log_dir}"
    )


@contextmanager
def _everything(config: ProductionConfig, *, demo: bool) -> Iterator[None]:
    with running_engines(config.engines) as said:
        print("\n".join(said))
        prepare_registry(config, demo=demo)
        with running_production(config):
            yield


def main() -> int:
    argparse.ArgumentParser(
        description="start healthaid's production profile on loopback (docs/deploy.md)"
    ).parse_args()
    config = ProductionConfig()
    development = os.environ.get("HEALTHAID_ENV", "development") != "production"
    print(
        "starting PostgreSQL and Redis, then the action server, 2 Rasa instances (loading the "
        "model takes a while), 2 gateways and HAProxy…"
    )
    return serve_until_ctrl_c(
        _everything(config, demo=development),
        lambda: (
            f"\nhealthaid (production profile) is running:\n{addresses(config)}\n"
            "Press Ctrl-C to stop everything."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())

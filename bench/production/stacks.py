"""The three configurations, started at once and stopped together, each on its own 31xxx
ports with its own PostgreSQL and Redis: apart from the tests' and CI's, and below Linux's
ephemeral range (32768-60999), where a client's outgoing connection once held 37432:

- A, the embedded profile (`make run`): SQLite, one gateway, one Rasa with its trackers in
  memory, the action server with one worker, no Redis (healthaid/stack.py).
- B, the production stores with one of each: PostgreSQL for the registry and Rasa's trackers,
  Redis for Rasa's lock store and the gateway's shared state; no HAProxy, one action worker.
- C, the production profile (`make run-production`, healthaid/production.py): two Rasa behind
  HAProxy's hash on the sender, two gateways behind HAProxy, two action workers.

Everything is built from the helpers those two commands use; only ports, folders and the
benchmark's secrets differ.
"""

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from healthaid import stack
from healthaid.infrastructure import haproxy_binary, running_engines
from healthaid.production import (
    ProductionConfig,
    action_server_service,
    gateway_services,
    prepare_registry,
    rasa_services,
)
from healthaid.production import services as production_services
from healthaid.stack import HOST, ROOT, Service, StackConfig, running_services
from tests.support.seed import seed

WORK = ROOT / "var" / "bench-production"  # logs, SQLite, both PostgreSQL clusters; wiped first
TWILIO_TOKEN = "bench-production-twilio-token"
SECRET_KEY = "bench-production-" + "k" * 32


@dataclass
class Target:
    """One running configuration, as the load sees it."""

    name: str  # A, B or C
    public_url: str  # where Twilio posts (HAProxy in C)
    gateway_urls: list[str]  # each gateway process, directly: provider retries go to another
    rasa_url: str  # for reading trackers afterwards
    services: dict[str, Service] = field(default_factory=dict)
    engine_pid_files: dict[str, Path] = field(default_factory=dict)  # postgres, redis
    stats_url: str | None = None  # HAProxy's status page, in C
    down: set[str] = field(default_factory=set)  # gateway URLs killed on purpose

    def live_gateways(self) -> list[str]:
        return [url for url in self.gateway_urls if url not in self.down] or self.gateway_urls


def _env(public_url: str) -> dict[str, str]:
    return {
        "HEALTHAID_ENV": "development",
        "HEALTHAID_SECRET_KEY": SECRET_KEY,
        "HEALTHAID_PUBLIC_BASE_URL": public_url,
        "HEALTHAID_TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
        # The load is a campaign's surge from many phones: limits are not what is measured.
        "HEALTHAID_RATE_LIMIT_PER_SENDER": "100000",
        "HEALTHAID_RATE_LIMIT_GLOBAL": "1000000",
    }


def embedded(work: Path) -> tuple[Target, list[Service]]:
    database = work / "a.db"
    url = f"sqlite:///{database}"
    seed(url, "bench-password")
    config = StackConfig(
        gateway_port=31000,
        rasa_port=31005,
        action_port=31055,
        log_dir=work / "log",
        env={**_env(f"http://{HOST}:31000"), "HEALTHAID_DATABASE_URL": url},
    )
    target = Target("A", config.gateway_url, [config.gateway_url], config.rasa_url)
    return target, stack.services(config)


def _production_config(
    work: Path, name: str, base: int, engines: tuple[int, int], public_url: str
) -> ProductionConfig:
    """Ports base … base+99: HAProxy at base, gateways +1 +2, Rasa's HAProxy +4, Rasa +5 +6,
    the action server +55, HAProxy's status page +99; PostgreSQL and Redis at `engines`."""
    return ProductionConfig(
        public_port=base,
        gateway_ports=(base + 1, base + 2),
        rasa_port=base + 4,
        rasa_ports=(base + 5, base + 6),
        action_port=base + 55,
        stats_port=base + 99,
        postgres_port=engines[0],
        redis_port=engines[1],
        postgres_root=work / f"pg-{name.lower()}",
        run_dir=work / "run",
        log_dir=work / "log",
        env=_env(public_url),
    )


def single(work: Path) -> tuple[ProductionConfig, Target, list[Service]]:
    """B: the first Rasa instance and the first gateway of a production configuration, the
    gateway talking to that instance directly."""
    gateway_url, rasa_url = f"http://{HOST}:31101", f"http://{HOST}:31105"
    config = _production_config(work, "B", 31100, (31432, 31379), gateway_url)
    config = replace(
        config,
        action_workers=1,
        env={**config.env, "HEALTHAID_WORKERS": "1", "HEALTHAID_RASA_URL": rasa_url},
    )
    planned = [
        action_server_service(config),
        rasa_services(config)[0],
        gateway_services(config)[0],
    ]
    return config, Target("B", gateway_url, [gateway_url], rasa_url), planned


def scaled_out(work: Path) -> tuple[ProductionConfig, Target, list[Service]]:
    """C: healthaid/production.py's services as they are."""
    config = _production_config(work, "C", 31200, (31433, 31380), f"http://{HOST}:31200")
    gateways = [f"http://{HOST}:{port}" for port in config.gateway_ports]
    target = Target("C", config.public_url, gateways, config.rasa_url, stats_url=config.stats_url)
    return config, target, production_services(config, haproxy_binary())


def _engine_pid_files(config: ProductionConfig) -> dict[str, Path]:
    return {
        "postgres": config.postgres_root / "data" / "postmaster.pid",
        "redis": ROOT / "var" / "redis" / str(config.redis_port) / "redis.pid",
    }


@contextmanager
def running_configurations(names: str = "ABC", timeout: float = 420) -> Iterator[list[Target]]:
    """The configurations `names` (a subset of "ABC") up and ready inside the block, every
    process started at once, so the Rasa instances load the model together; everything
    stopped after it, on error too."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    with ExitStack() as stack_of:
        chosen: list[tuple[Target, list[Service]]] = []
        if "A" in names:
            chosen.append(embedded(WORK))
        for name, build in (("B", single), ("C", scaled_out)):
            if name in names:
                config, target, services = build(WORK)
                stack_of.enter_context(running_engines(config.engines))
                prepare_registry(config, demo=True)
                target.engine_pid_files = _engine_pid_files(config)
                chosen.append((target, services))
        for target, services in chosen:
            for service in services:
                service.name = f"{target.name}-{service.name}"  # one log folder for all
                target.services[service.name] = service
        planned = [service for _, services in chosen for service in services]
        stack_of.enter_context(running_services(planned, WORK / "log", timeout))
        yield [target for target, _ in chosen]

"""Every fixed port the project listens on is below Linux's ephemeral range (32768-60999 by
default), so an outgoing connection's local port can never be holding it when a server starts.
A CI run once failed to start PostgreSQL on 55432 for that reason."""

import dataclasses
import re
from pathlib import Path

import pytest

from bench.broadcast import world
from healthaid.production import ProductionConfig
from healthaid.stack import StackConfig
from tests.production.test_stack import CONFIG as PRODUCTION_TEST_CONFIG

ROOT = Path(__file__).resolve().parent.parent
EPHEMERAL_START = 32768  # Linux's default ip_local_port_range starts here


def ephemeral_start() -> int:
    """This machine's first ephemeral port (the kernel's setting), or Linux's default."""
    path = Path("/proc/sys/net/ipv4/ip_local_port_range")
    if path.exists():
        return min(EPHEMERAL_START, int(path.read_text().split()[0]))
    return EPHEMERAL_START


def script_ports() -> dict[str, int]:
    """The default ports of scripts/postgres.sh and scripts/redis.sh ("${VAR:-24432}")."""
    found: dict[str, int] = {}
    for script in ("postgres.sh", "redis.sh"):
        text = (ROOT / "scripts" / script).read_text(encoding="utf-8")
        for number, port in enumerate(re.findall(r'PORT="\$\{[A-Z_]+:-(\d+)\}"', text)):
            found[f"{script} #{number}"] = int(port)
    return found


def config_ports(config: object) -> dict[str, int]:
    ports: dict[str, int] = {}
    for field in dataclasses.fields(config):  # type: ignore[arg-type]
        value = getattr(config, field.name)
        if field.name.endswith("_port"):
            ports[field.name] = value
        elif field.name.endswith("_ports"):
            ports |= {f"{field.name}[{i}]": port for i, port in enumerate(value)}
    return ports


ALL_PORTS = {
    **script_ports(),
    **{f"production {k}": v for k, v in config_ports(ProductionConfig()).items()},
    **{f"make run {k}": v for k, v in config_ports(StackConfig()).items()},
    **{f"production test {k}": v for k, v in PRODUCTION_TEST_CONFIG.items() if "port" in k},
    "bench broadcast postgres": world.POSTGRES_PORT,
    "bench broadcast redis": world.REDIS_PORT,
}


def test_the_scripts_ports_are_found() -> None:
    assert len(script_ports()) == 3  # tests' and production's PostgreSQL, Redis


@pytest.mark.parametrize(("where", "port"), sorted(ALL_PORTS.items()))
def test_a_fixed_port_is_below_the_ephemeral_range(where: str, port: object) -> None:
    ports = port if isinstance(port, tuple) else (port,)
    assert all(isinstance(p, int) and 1024 <= p < ephemeral_start() for p in ports), where

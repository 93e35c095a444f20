"""The production profile's engines, through the project's own scripts: PostgreSQL
(scripts/postgres.sh --production), Redis (scripts/redis.sh) and HAProxy (scripts/haproxy.sh),
each installed from Debian's packages when missing and bound to loopback.

PostgreSQL and Redis run as daemons the scripts start and stop; HAProxy runs in the foreground
as one of the stack's services (healthaid/production.py), from a configuration rendered here.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from healthaid.stack import HOST, ROOT, StackError
from healthaid.templates import render

SCRIPTS = ROOT / "scripts"
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg.tmpl"
RASA_ENV = ROOT / "deploy" / "rasa.env"


@dataclass(frozen=True)
class Engines:
    postgres_port: int
    postgres_root: Path  # the cluster's folder: data/, run/, postgres.log
    redis_port: int

    def _script_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PGPORT_HEALTHAID": str(self.postgres_port),
            "PGROOT_HEALTHAID": str(self.postgres_root),
            "REDIS_PORT_HEALTHAID": str(self.redis_port),
        }

    def postgres(self, *args: str, check: bool = True) -> str:
        return _run(["postgres.sh", "--production", *args], self._script_env(), check)

    def redis(self, *args: str, check: bool = True) -> str:
        return _run(["redis.sh", *args], self._script_env(), check)


def _run(command: list[str], env: dict[str, str], check: bool) -> str:
    """The script's output; a StackError with what it said when it fails and `check` is set."""
    done = subprocess.run(
        [str(SCRIPTS / command[0]), *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise StackError(f"scripts/{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


@contextmanager
def running_engines(engines: Engines) -> Iterator[list[str]]:
    """PostgreSQL and Redis started inside the block (installed first if missing) and stopped
    after it. Yields what the scripts said, one line per server."""
    said: list[str] = []
    try:
        said.append(engines.postgres("start"))
        said.append(engines.redis("start"))
        yield said
    finally:
        # Stopping a server that is not running is fine; a failed stop must not hide the error
        # that ended the block.
        engines.redis("stop", check=False)
        engines.postgres("stop", check=False)


def haproxy_binary() -> str:
    """HAProxy's path, installing Debian's package first if it is missing (root only)."""
    return _run(["haproxy.sh", "path"], dict(os.environ), check=True).splitlines()[-1]


def write_haproxy_config(path: Path, ports: dict[str, int]) -> Path:
    """deploy/haproxy.cfg.tmpl rendered with `ports` (PUBLIC_PORT, GATEWAY_1_PORT, ...),
    validated by `haproxy -c` before anything uses it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(HAPROXY_TEMPLATE, {"HOST": HOST, **ports}), encoding="utf-8")
    _run(["haproxy.sh", "check", str(path)], dict(os.environ), check=True)
    return path


def rasa_environment(path: Path = RASA_ENV) -> dict[str, str]:
    """deploy/rasa.env as a dict: KEY=VALUE lines, blank lines and # comments skipped (the
    subset of systemd's EnvironmentFile= syntax the file keeps to)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.isidentifier():
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[name] = value
    return values

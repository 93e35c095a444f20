"""Start the whole stack — action server, Rasa server, gateway, broadcast sender — wait until
all are ready, and stop them together. `make run` uses it (the embedded profile: one process
of each, SQLite, Rasa's trackers in memory, the broadcast queue in a SQLite file); so do the
end-to-end tests, on their own ports. The production
profile (healthaid/production.py) starts more processes with the same helpers.

Every process listens on 127.0.0.1 only (Rasa with -i, the action server via SANIC_HOST).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from healthaid.templates import render_yaml

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
ENDPOINT_TEMPLATES = ROOT / "bot" / "endpoints"
PYTHON = ROOT / ".venv" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


class LoopbackURLs:
    """`rasa_url` and `action_url` for a profile's configuration (StackConfig, ProductionConfig):
    where the gateways reach Rasa and Rasa reaches the action server."""

    rasa_port: int
    action_port: int

    @property
    def rasa_url(self) -> str:
        return local_url(self.rasa_port)

    @property
    def action_url(self) -> str:
        return local_url(self.action_port)


@dataclass(frozen=True)
class StackConfig(LoopbackURLs):
    gateway_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    model_dir: Path = ROOT / "models"
    log_dir: Path = ROOT / "var" / "log"
    env: dict[str, str] = field(default_factory=dict)  # extra environment for every process

    @property
    def gateway_url(self) -> str:
        return local_url(self.gateway_port)


@dataclass
class Service:
    name: str
    command: list[str]
    ready_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    # A process without an HTTP endpoint (the broadcast consumer) is ready once it wrote this.
    ready_file: Path | None = None
    # Readiness that a 200 from `ready_url` does not prove (HAProxy: every server it routes to
    # passed its checks, not just its status page up).
    ready_probe: Callable[[], bool] | None = None

    def ready(self) -> bool:
        if self.ready_file is not None:
            return self.ready_file.exists()
        if self.ready_probe is not None:
            return self.ready_probe()
        return _ready(self.ready_url)


def write_endpoints(profile: str, values: dict[str, str | int | None], path: Path) -> Path:
    """Rasa's endpoints file for `profile`, from bot/endpoints/<profile>.yml.tmpl."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_yaml(ENDPOINT_TEMPLATES / f"{profile}.yml.tmpl", values), "utf-8")
    return path


def _endpoints_file(config: StackConfig) -> Path:
    """Rasa's endpoints.yml pointing at this stack's action server, nothing else."""
    return write_endpoints(
        "embedded",
        {"ACTION_WEBHOOK": f"{config.action_url}/webhook"},
        config.log_dir / f"endpoints-{config.rasa_port}.yml",
    )


def python_path(env: dict[str, str]) -> str:
    """The repository root first, so Rasa finds bot.components and understanding."""
    rest = env.get("PYTHONPATH", "")
    return f"{ROOT}{os.pathsep}{rest}" if rest else str(ROOT)


def action_server_command(port: int) -> list[str]:
    return [str(PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


def rasa_command(port: int, model_dir: Path, endpoints: Path) -> list[str]:
    return [
        str(RASA),
        "run",
        "--enable-api",
        "-i",
        HOST,
        "-p",
        str(port),
        "--model",
        str(model_dir),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "bot" / "credentials.yml"),
    ]


def gateway_command(port: int, *options: str) -> list[str]:
    return [
        str(PYTHON),
        "-m",
        "uvicorn",
        "gateway.app:create_app",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        *options,
    ]


def broadcast_worker(name: str, env: dict[str, str], log_dir: Path) -> Service:
    """The broadcast consumer (gateway/broadcasts/worker.py): ready once it wrote its file."""
    ready = log_dir / f"{name}.ready"
    command = [str(PYTHON), "-m", "gateway.broadcasts.worker", "--ready-file", str(ready)]
    return Service(name, command, "", env, ready_file=ready)


def services(config: StackConfig) -> list[Service]:
    base_env = {**os.environ, **config.env}
    return [
        Service(
            "action-server",
            action_server_command(config.action_port),
            f"{config.action_url}/health",
            {**base_env, "SANIC_HOST": HOST},
        ),
        Service(
            "rasa",
            rasa_command(config.rasa_port, config.model_dir, _endpoints_file(config)),
            f"{config.rasa_url}/status",
            # The NLU pipeline's DomainReader (bot/components/) imports understanding/ from here.
            {**base_env, "PYTHONPATH": python_path(base_env)},
        ),
        Service(
            "gateway",
            gateway_command(config.gateway_port),
            f"{config.gateway_url}/readyz",
            # config.env last: tests put a fault-injecting proxy between the gateway and Rasa.
            {
                **base_env,
                "RASA_URL": config.rasa_url,
                "ACTION_SERVER_URL": config.action_url,
                **config.env,
            },
        ),
        broadcast_worker("broadcasts", base_env, config.log_dir),
    ]


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class StackError(RuntimeError):
    """A process died or did not become ready; the message carries the end of its log."""


def start(service: Service, log_dir: Path) -> None:
    if service.ready_file is not None:
        service.ready_file.unlink(missing_ok=True)
    # The child keeps its own copy of the file descriptor; ours is closed at once.
    with (log_dir / f"{service.name}.log").open("wb") as log:
        service.process = subprocess.Popen(
            service.command,
            cwd=ROOT,
            env=service.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the children in order
        )


def wait(service: Service, log_dir: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            log = _tail(log_dir / f"{service.name}.log")
            raise StackError(f"{service.name} exited with {service.process.returncode}\n{log}")
        if service.ready():
            return
        time.sleep(0.5)
    raise StackError(
        f"{service.name} not ready at {service.ready_url}\n{_tail(log_dir / f'{service.name}.log')}"
    )


def stop(running: list[Service]) -> None:
    for service in reversed(running):
        process = service.process
        if process is None or process.poll() is not None:
            continue
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def running_services(
    planned: list[Service], log_dir: Path, timeout: float
) -> Iterator[list[Service]]:
    """Every service started at once, all ready inside the block (within `timeout` seconds);
    all stopped after it, the last started first."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: list[Service] = []
    try:
        for service in planned:
            start(service, log_dir)
            started.append(service)
        deadline = time.monotonic() + timeout
        for service in started:
            wait(service, log_dir, deadline)
        yield started
    finally:
        stop(started)


@contextmanager
def running_stack(config: StackConfig, timeout: float = 180) -> Iterator[list[Service]]:
    """All three services up and ready inside the block; all stopped after it."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    with running_services(services(config), config.log_dir, timeout) as started:
        yield started


def wait_for_ctrl_c() -> None:
    # Blocked only now: a blocked mask would be inherited by the children started before.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.sigwait({signal.SIGINT, signal.SIGTERM})


def serve_until_ctrl_c(running: AbstractContextManager[object], banner: Callable[[], str]) -> int:
    """Enter `running` (which starts processes), print `banner()`, wait for Ctrl-C or SIGTERM,
    then leave it (which stops them). 0, or 1 after one line saying why it could not start."""
    try:
        with running:
            print(banner())
            wait_for_ctrl_c()
    except StackError as exc:
        print(f"healthaid could not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("stopped.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="start gateway, Rasa and the action server")
    parser.add_argument("--gateway-port", type=int, default=8000)
    args = parser.parse_args()
    config = StackConfig(gateway_port=args.gateway_port)
    print(
        "starting the action server, Rasa (loading the model takes a little while) and the gateway…"
    )
    return serve_until_ctrl_c(
        running_stack(config),
        lambda: (
            f"\nhealthaid is running:\n  chat widget   {config.gateway_url}/chat\n"
            f"  cadre sign-in {config.gateway_url}/login   (demo: see README)\n"
            f"  admin         {config.gateway_url}/admin\n"
            f"  estimate API  {config.gateway_url}/docs\n"
            f"  Rasa          {config.rasa_url}   action server {config.action_url}\n"
            "Press Ctrl-C to stop all three."
        ),
    )


if __name__ == "__main__":
    sys.exit(main())

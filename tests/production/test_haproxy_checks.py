"""The health checks of deploy/haproxy.cfg.tmpl, run by Debian's HAProxy against real sockets:
a Rasa instance that answers its check late (busy with turns) stays up, and one that refuses
connections (killed) is marked down by the first request that meets it, which HAProxy sends
to the other instance. About 5 seconds (one slow check). Needs Debian's haproxy, like
test_haproxy.py."""

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from gateway.rasa_client import SENDER_HEADER
from healthaid.infrastructure import haproxy_binary, write_haproxy_config
from healthaid.production import every_server_up, proxied_servers

CHECK_ANSWER_SECONDS = 3.0  # over the old 1-s check timeout, under the new 5 s


class BusyRasa(BaseHTTPRequestHandler):
    """Answers the webhook at once and its health check (GET /) late, as a busy Rasa does."""

    def do_GET(self) -> None:
        time.sleep(CHECK_ANSWER_SECONDS)
        self._answer(b"Hello from Rasa: 3.6.21")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(b"[]")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def servers(stats_url: str) -> dict[str, dict[str, str]]:
    return proxied_servers(stats_url, "rasa_instances")


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """HAProxy with rasa-1 busy (and the gateways pointing at it too) and rasa-2 killed:
    (the Rasa frontend's URL, the status page's URL, HAProxy's log)."""
    busy = ThreadingHTTPServer(("127.0.0.1", 0), BusyRasa)
    busy.daemon_threads = True
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    busy_port, dead_port = busy.server_address[1], free_port()
    ports = {
        "PUBLIC_PORT": free_port(),
        "GATEWAY_1_PORT": busy_port,
        "GATEWAY_2_PORT": busy_port,
        "RASA_PORT": free_port(),
        "RASA_1_PORT": busy_port,
        "RASA_2_PORT": dead_port,  # nothing listens: connections are refused, as after SIGKILL
        "STATS_PORT": free_port(),
    }
    config = write_haproxy_config(tmp_path / "haproxy.cfg", ports)
    log = tmp_path / "haproxy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [haproxy_binary(), "-db", "-f", str(config)], stdout=output, stderr=output
        )
    stats_url = f"http://127.0.0.1:{ports['STATS_PORT']}/"
    try:
        for _ in range(100):
            try:
                servers(stats_url)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{ports['RASA_PORT']}", stats_url, log
    finally:
        process.terminate()
        process.wait(timeout=10)
        busy.shutdown()
        busy.server_close()


def test_a_killed_instance_is_marked_down_by_live_traffic_and_a_busy_one_stays_up(
    proxy: tuple[str, str, Path],
) -> None:
    rasa_url, stats_url, log = proxy

    # Senders spread over both instances by the consistent hash; some land on the dead one.
    statuses = [
        httpx.post(
            f"{rasa_url}/webhooks/rest/webhook",
            json={"sender": f"u_{n}", "message": "你好"},
            headers={SENDER_HEADER: f"u_{n}"},
            timeout=10,
        ).status_code
        for n in range(8)
    ]
    marked = servers(stats_url)
    # Wait (bounded) until HAProxy has finished a check of the busy instance.
    for _ in range(200):
        if servers(stats_url)["rasa-1"]["check_status"] == "L7OK":
            break
        time.sleep(0.05)
    later = servers(stats_url)

    assert statuses == [200] * 8  # a refused connection was retried on rasa-1
    assert marked["rasa-2"]["status"] == "DOWN"
    # Down because a request met a refused connection, not because checks failed.
    assert "rasa-2 is DOWN, reason: Health analyze" in log.read_text()
    assert later["rasa-1"]["status"] == "UP"
    assert later["rasa-1"]["check_status"] == "L7OK"
    assert int(later["rasa-1"]["check_duration"]) >= CHECK_ANSWER_SECONDS * 1000
    assert later["rasa-1"]["chkfail"] == "0"
    # The production profile is not ready while HAProxy has a server down (healthaid/production.py).
    assert not every_server_up(stats_url)

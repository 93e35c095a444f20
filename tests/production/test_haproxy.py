"""HAProxy's configuration for the production profile, checked by HAProxy itself
(scripts/haproxy.sh check: `haproxy -c -dW`, warnings fail too). Needs Debian's haproxy:
`make test` installs it (make haproxy), as root on CI."""

from pathlib import Path

import pytest

from gateway.rasa_client import SENDER_HEADER
from healthaid.infrastructure import write_haproxy_config
from healthaid.production import ProductionConfig, haproxy_ports
from healthaid.stack import StackError


def _sections(text: str) -> dict[str, list[str]]:
    """Each `frontend`/`backend`/`listen` section's lines, comments and blanks dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            current = sections.setdefault(line, [])
        else:
            current.append(line.strip())
    return sections


@pytest.fixture
def config_text(tmp_path: Path) -> str:
    path = write_haproxy_config(tmp_path / "haproxy.cfg", haproxy_ports(ProductionConfig()))
    return path.read_text(encoding="utf-8")


def test_the_production_configuration_is_valid_without_warnings(config_text: str) -> None:
    # write_haproxy_config raised otherwise; every listener is on loopback.
    binds = [line for line in config_text.splitlines() if line.strip().startswith("bind ")]

    assert len(binds) == 3
    assert all(line.split()[1].startswith("127.0.0.1:") for line in binds)


def test_rasa_is_chosen_by_a_consistent_hash_of_the_header_the_gateway_sends(
    config_text: str,
) -> None:
    rasa = _sections(config_text)["backend rasa_instances"]

    assert f"balance hdr({SENDER_HEADER})" in rasa
    assert "hash-type consistent" in rasa
    assert "option httpchk GET /" in rasa
    assert [line for line in rasa if line.startswith("server ")] == [
        "server rasa-1 127.0.0.1:5005",
        "server rasa-2 127.0.0.1:5006",
    ]


def test_a_refused_connection_is_retried_on_the_other_server_and_nothing_else_is(
    config_text: str,
) -> None:
    defaults = _sections(config_text)["defaults"]

    assert "option redispatch" in defaults
    assert "retries 1" in defaults
    # No retry-on: HAProxy's default retries connection failures only, so a message that
    # reached a Rasa instance or a gateway is never sent a second time.
    assert not any(line.startswith("retry-on") for line in defaults)


def _setting(lines: list[str], prefix: str) -> list[str]:
    [line] = [line for line in lines if line.startswith(prefix)]
    return line.split()


def _seconds(value: str) -> float:
    return float(value.removesuffix("ms")) / 1000 if value.endswith("ms") else float(value[:-1])


def test_a_busy_server_has_time_to_answer_its_check_and_a_dead_one_is_found_at_once(
    config_text: str,
) -> None:
    defaults = _sections(config_text)["defaults"]
    server = _setting(defaults, "default-server ")
    check_timeout = _seconds(_setting(defaults, "timeout check ")[2])
    inter, fall = _seconds(server[server.index("inter") + 1]), int(server[server.index("fall") + 1])

    # A busy Rasa answered its check in more than 1 s (bench/README.md, 13 false downs with
    # the 1-s check and 2 failures): a check now waits 5 s, and 3 must fail in a row.
    assert check_timeout >= 5 and fall >= 3
    # A killed process refuses connections: the first refused connection of live traffic
    # marks it down, without waiting for the checks.
    assert server[server.index("observe") + 1] == "layer4"
    assert server[server.index("error-limit") + 1] == "1"
    assert server[server.index("on-error") + 1] == "mark-down"
    # One that hangs is still found by the checks within half a minute.
    assert fall * (inter + check_timeout) <= 30


def test_the_gateways_share_the_public_port_and_are_checked_on_healthz(config_text: str) -> None:
    gateways = _sections(config_text)["backend gateways"]

    assert "balance roundrobin" in gateways
    assert "option httpchk GET /healthz" in gateways
    assert [line for line in gateways if line.startswith("server ")] == [
        "server gateway-1 127.0.0.1:8001",
        "server gateway-2 127.0.0.1:8002",
    ]


def test_haproxy_refuses_a_broken_configuration(tmp_path: Path) -> None:
    ports = {**haproxy_ports(ProductionConfig()), "RASA_2_PORT": 70000}  # not a port

    with pytest.raises(StackError, match="invalid port"):
        write_haproxy_config(tmp_path / "haproxy.cfg", ports)

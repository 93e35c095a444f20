"""Rasa's endpoints per profile and the production environment, rendered from their templates
(bot/endpoints/*.yml.tmpl, deploy/rasa.env) without starting anything."""

from pathlib import Path

import pytest
import yaml

from healthaid.infrastructure import RASA_ENV, rasa_environment
from healthaid.production import ProductionConfig, endpoint_values
from healthaid.stack import StackConfig, _endpoints_file, write_endpoints
from healthaid.templates import TemplateError, render_yaml, yaml_scalar


def _production(tmp_path: Path, **overrides: str | int | None) -> dict[str, object]:
    values = {**endpoint_values(ProductionConfig()), **overrides}
    path = write_endpoints("production", values, tmp_path / "endpoints.yml")
    loaded: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_the_embedded_profile_keeps_trackers_and_locks_in_rasa(tmp_path: Path) -> None:
    path = _endpoints_file(StackConfig(action_port=5055, log_dir=tmp_path))

    endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))

    # No tracker_store and no lock_store: Rasa's in-memory defaults, as `make run` always had.
    assert endpoints == {"action_endpoint": {"url": "http://127.0.0.1:5055/webhook"}}


def test_the_production_profile_shares_trackers_in_postgresql_and_locks_in_redis(
    tmp_path: Path,
) -> None:
    endpoints = _production(tmp_path)

    assert endpoints == {
        "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
        "tracker_store": {
            "type": "SQL",
            "dialect": "postgresql",
            "url": "127.0.0.1",
            "port": 24433,
            "db": "rasa",
            "username": "postgres",
            "password": None,
        },
        "lock_store": {
            "type": "redis",
            "url": "127.0.0.1",
            "port": 24380,
            "db": 1,
            "password": None,
            "key_prefix": "healthaid",
        },
    }


def test_a_password_with_yaml_syntax_in_it_stays_one_value(tmp_path: Path) -> None:
    password = 'p"a:ss #1\n- x: {y}'

    endpoints = _production(tmp_path, TRACKER_PASSWORD=password, LOCK_PASSWORD="密码")

    assert endpoints["tracker_store"]["password"] == password  # type: ignore[index]
    assert endpoints["lock_store"]["password"] == "密码"  # type: ignore[index]


def test_a_field_nobody_filled_in_is_named(tmp_path: Path) -> None:
    values = endpoint_values(ProductionConfig())
    del values["LOCK_PORT"]

    with pytest.raises(TemplateError, match=r"production\.yml\.tmpl: no value for \$\{LOCK_PORT\}"):
        write_endpoints("production", values, tmp_path / "endpoints.yml")


@pytest.mark.parametrize(
    ("value", "scalar"),
    [
        (24433, "24433"),  # a port stays a number
        (None, "null"),  # an unset password
        ("127.0.0.1", '"127.0.0.1"'),
        ("a: b", '"a: b"'),  # would be a mapping unquoted
    ],
)
def test_yaml_scalars(value: str | int | None, scalar: str) -> None:
    assert yaml_scalar(value) == scalar


def test_a_template_with_a_stray_dollar_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "bad.yml.tmpl"
    template.write_text("price: $ 5\n", encoding="utf-8")

    with pytest.raises(TemplateError, match=r"bad\.yml\.tmpl"):
        render_yaml(template, {})


def test_rasa_is_tuned_for_two_cores_through_the_variables_rasa_reads() -> None:
    env = rasa_environment()

    # The names are those of rasa 3.6.21 (core/lock_store.py, core/constants.py, constants.py).
    # Above the gateway's 8-s deadline, below its 8 + 5 s budget for a retry after a failover.
    assert env["TICKET_LOCK_LIFETIME"] == "10"
    assert (env["SQL_POOL_SIZE"], env["SQL_MAX_OVERFLOW"]) == ("5", "5")
    assert env["TF_INTRA_OP_PARALLELISM_THREADS"] == env["TF_INTER_OP_PARALLELISM_THREADS"] == "1"
    assert env["SANIC_WORKERS"] == "1"


def test_every_rasa_setting_says_why_next_to_it() -> None:
    # Each block of values is preceded by a comment citing the research note.
    blocks = RASA_ENV.read_text(encoding="utf-8").split("\n\n")[1:]

    for block in blocks:
        comment = [line for line in block.splitlines() if line.startswith("#")]
        assert comment, block
        assert any("scale-out.md" in line for line in comment) or "telemetry" in block, block


def test_a_line_that_is_not_key_equals_value_is_refused(tmp_path: Path) -> None:
    env = tmp_path / "rasa.env"
    env.write_text("# fine\nTICKET_LOCK_LIFETIME 20\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"rasa\.env:2: expected KEY=VALUE"):
        rasa_environment(env)

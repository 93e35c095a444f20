"""Settings from the environment: the HEALTHAID_ names, nested per channel, the older names
scripts still set, and the refusals (placeholders in production, several workers on SQLite or
without Redis)."""

import os
from collections.abc import Callable

import pytest

from gateway.app import create_app
from gateway.settings import (
    DEVELOPMENT_SECRET_KEY,
    LEGACY_NAMES,
    Settings,
    SettingsError,
    get_settings,
)

LONG_KEY = "k" * 40
POSTGRES = "postgresql+psycopg://healthaid@127.0.0.1:24432/healthaid"
REDIS = "redis://127.0.0.1:24379/0"

Environ = Callable[..., None]


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Environ:
    """Only the variables a test sets: the developer's or CI's own are removed first."""
    for name in list(os.environ):
        if name.startswith("HEALTHAID_") or name in LEGACY_NAMES:
            monkeypatch.delenv(name)

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_variables


def test_development_works_without_a_secret_key(environ: Environ) -> None:
    environ(HEALTHAID_ENV="development")

    settings = Settings()

    assert settings.secret_key == DEVELOPMENT_SECRET_KEY
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_server_url == "http://127.0.0.1:5055"
    assert settings.rasa_timeout_seconds == 8.0
    assert settings.redis_url is None and settings.workers == 1
    assert settings.database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    "variables",
    [
        {"HEALTHAID_ENV": "production"},  # no key at all
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": "changeme"},
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": "short"},
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": DEVELOPMENT_SECRET_KEY},
        # a placeholder channel secret, by the old name and by the nested one
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": LONG_KEY, "WECHAT_TOKEN": "test"},
        {
            "HEALTHAID_ENV": "production",
            "HEALTHAID_SECRET_KEY": LONG_KEY,
            "HEALTHAID_TWILIO__AUTH_TOKEN": "changeme",
        },
        {"HEALTHAID_ENV": "staging"},
        {"RASA_TIMEOUT_SECONDS": "soon"},
        {"HEALTHAID_WECHAT__PASSIVE_SECONDS": "0"},  # timings must be positive
        {"HEALTHAID_WECHAT__ASYNC_TIMEOUT_SECONDS": "-1"},
        {"HEALTHAID_RATE_LIMIT_PER_SENDER": "many"},
        {"HEALTHAID_WECHAT__NO_SUCH_THING": "1"},  # a misspelt channel setting
        # a template layout where no field holds the broadcast's text
        {"HEALTHAID_WECHAT__TEMPLATE_DATA": '{"first": "健康帮扶通知"}'},
        # a template field name WeChat cannot have ({{key word.DATA}})
        {"HEALTHAID_WECHAT__TEMPLATE_DATA": '{"key word": "{text}"}'},
        {"HEALTHAID_WECHAT__TEMPLATE_DATA": "not json"},
        # an account to send SMS from, but no number or messaging service to send with
        {"HEALTHAID_TWILIO__ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t0k3n"},
    ],
)
def test_unsafe_or_broken_environments_are_refused(
    environ: Environ, variables: dict[str, str]
) -> None:
    environ(**variables)

    with pytest.raises(SettingsError):
        Settings()


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        # two uvicorn workers on the default SQLite file
        ({"WEB_CONCURRENCY": "2", "HEALTHAID_REDIS_URL": REDIS}, "PostgreSQL"),
        # two processes behind a proxy, on PostgreSQL but without Redis
        ({"HEALTHAID_WORKERS": "2", "HEALTHAID_DATABASE_URL": POSTGRES}, "Redis"),
        # neither
        ({"HEALTHAID_WORKERS": "4"}, "PostgreSQL"),
    ],
)
def test_several_workers_need_postgresql_and_redis(
    environ: Environ, variables: dict[str, str], names: str
) -> None:
    environ(**variables)

    with pytest.raises(SettingsError, match=names):
        Settings()


def test_several_workers_on_postgresql_and_redis_may_start(environ: Environ) -> None:
    environ(WEB_CONCURRENCY="2", HEALTHAID_DATABASE_URL=POSTGRES, HEALTHAID_REDIS_URL=REDIS)

    settings = Settings()

    assert settings.workers == 2 and settings.redis_url == REDIS


def test_the_gateway_refuses_to_start_several_workers_without_redis(environ: Environ) -> None:
    environ(HEALTHAID_WORKERS="2", HEALTHAID_DATABASE_URL=POSTGRES)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="HEALTHAID_REDIS_URL"):
            create_app()
    finally:
        get_settings.cache_clear()


def test_channel_settings_are_nested(environ: Environ) -> None:
    environ(
        HEALTHAID_TWILIO__AUTH_TOKEN="twilio-token",
        HEALTHAID_WECHAT__TOKEN="wechat-token",
        HEALTHAID_WECHAT__APP_ID="wx0123456789abcdef",
        HEALTHAID_WECHAT__PASSIVE_SECONDS="3.5",
        HEALTHAID_WECHAT__ASYNC_TIMEOUT_SECONDS="30",
    )

    settings = Settings()

    assert settings.twilio.auth_token == "twilio-token"
    assert settings.wechat.token == "wechat-token"
    assert settings.wechat.app_id == "wx0123456789abcdef"
    assert settings.wechat.passive_seconds == 3.5
    assert settings.wechat.async_timeout_seconds == 30.0
    assert settings.wechat.api_base_url == "https://api.weixin.qq.com"  # untouched default
    assert settings.twilio.api_base_url == "https://api.twilio.com"
    assert not settings.twilio.sends  # a token to check signatures, no account to send from


def test_the_wechat_template_settings_are_nested(environ: Environ) -> None:
    environ(
        HEALTHAID_WECHAT__TEMPLATE_ID="ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
        HEALTHAID_WECHAT__TEMPLATE_DATA='{"first": "健康帮扶通知", "keyword1": "{text}"}',
        HEALTHAID_WECHAT__TEMPLATE_URL="https://example.org/notices",
    )

    wechat = Settings().wechat

    assert wechat.template_id == "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
    assert wechat.template_data == {"first": "健康帮扶通知", "keyword1": "{text}"}
    assert wechat.template_url == "https://example.org/notices"


def test_without_template_settings_there_is_no_template_and_one_content_field(
    environ: Environ,
) -> None:
    wechat = Settings().wechat

    assert wechat.template_id == ""
    assert wechat.template_data == {"content": "{text}"}


def test_sms_sending_settings_are_nested(environ: Environ) -> None:
    environ(
        HEALTHAID_TWILIO__AUTH_TOKEN="twilio-token",
        HEALTHAID_TWILIO__ACCOUNT_SID="AC" + "1" * 32,
        HEALTHAID_TWILIO__FROM_NUMBER="+15005550006",
        HEALTHAID_TWILIO__API_BASE_URL="http://127.0.0.1:18082",
        HEALTHAID_TWILIO__TIMEOUT_SECONDS="5",
    )

    twilio = Settings().twilio

    assert (twilio.account_sid, twilio.from_number) == ("AC" + "1" * 32, "+15005550006")
    assert (twilio.api_base_url, twilio.timeout_seconds) == ("http://127.0.0.1:18082", 5.0)
    assert twilio.sends and twilio.messaging_service_sid == ""


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        # the names healthaid/stack.py, bench/, tests/e2e and the README use
        ("TWILIO_AUTH_TOKEN", "t0k3n", lambda s: s.twilio.auth_token),
        ("WECHAT_TOKEN", "wx-token", lambda s: s.wechat.token),
        ("WECHAT_APP_ID", "wx0123", lambda s: s.wechat.app_id),
        ("WECHAT_APP_SECRET", "wx-secret", lambda s: s.wechat.app_secret),
        ("WECHAT_AES_KEY", "a" * 43, lambda s: s.wechat.aes_key),
        ("WECHAT_API_BASE_URL", "http://127.0.0.1:9", lambda s: s.wechat.api_base_url),
        ("RASA_URL", "http://rasa.internal:5005", lambda s: s.rasa_url),
        ("ACTION_SERVER_URL", "http://actions:5055", lambda s: s.action_server_url),
        ("RASA_TIMEOUT_SECONDS", "5", lambda s: str(int(s.rasa_timeout_seconds))),
        ("HEALTHAID_RATE_LIMIT_PER_SENDER", "1000", lambda s: str(s.rate_limit_per_sender)),
        ("HEALTHAID_RATE_LIMIT_GLOBAL", "100000", lambda s: str(s.rate_limit_global)),
        ("HEALTHAID_DATABASE_URL", POSTGRES, lambda s: s.database_url),
        ("HEALTHAID_PUBLIC_BASE_URL", "https://x.org", lambda s: s.public_base_url),
        ("HEALTHAID_REDIS_URL", REDIS, lambda s: s.redis_url),
    ],
)
def test_every_name_in_use_is_read(
    environ: Environ, variable: str, value: str, read: Callable[[Settings], str]
) -> None:
    environ(**{variable: value})

    assert read(Settings()) == value


def test_the_healthaid_name_wins_over_the_older_one(environ: Environ) -> None:
    environ(WECHAT_TOKEN="old", HEALTHAID_WECHAT__TOKEN="new", WECHAT_APP_ID="wx-old")

    settings = Settings()

    assert settings.wechat.token == "new"
    assert settings.wechat.app_id == "wx-old"  # merged, not replaced


def test_an_empty_variable_counts_as_unset(environ: Environ) -> None:
    environ(HEALTHAID_PUBLIC_BASE_URL="", RASA_URL="", HEALTHAID_REDIS_URL="")

    settings = Settings()

    assert settings.public_base_url is None
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.redis_url is None


def test_production_with_a_real_key_and_https_gets_secure_cookies(environ: Environ) -> None:
    environ(
        HEALTHAID_ENV="production",
        HEALTHAID_SECRET_KEY=LONG_KEY,
        HEALTHAID_PUBLIC_BASE_URL="https://healthaid.example.org",
        RASA_TIMEOUT_SECONDS="5",
    )

    settings = Settings()

    assert settings.secure_cookies and settings.rasa_timeout_seconds == 5.0
    assert LONG_KEY in settings.secret_key


def test_secrets_stay_out_of_the_repr(environ: Environ) -> None:
    environ(
        HEALTHAID_SECRET_KEY=LONG_KEY,
        TWILIO_AUTH_TOKEN="twilio-secret-value",
        WECHAT_APP_SECRET="wechat-secret-value",
        HEALTHAID_DATABASE_URL="postgresql+psycopg://u:db-password@db/healthaid",
        HEALTHAID_REDIS_URL="redis://:redis-password@cache:6379/0",
    )

    shown = repr(Settings())

    for secret in (LONG_KEY, "twilio-secret", "wechat-secret", "db-password", "redis-password"):
        assert secret not in shown


def test_init_arguments_win_over_the_environment(environ: Environ) -> None:
    environ(RASA_URL="http://from-env:5005", WECHAT_TOKEN="from-env")

    settings = Settings(rasa_url="http://given:5005", wechat={"token": "given"})

    assert settings.rasa_url == "http://given:5005"
    assert settings.wechat.token == "given"


def test_get_settings_is_cached_and_clearable(environ: Environ) -> None:
    get_settings.cache_clear()
    environ(RASA_URL="http://rasa.internal:5005")
    try:
        assert get_settings() is get_settings()
        assert get_settings().rasa_url == "http://rasa.internal:5005"
    finally:
        get_settings.cache_clear()

"""Settings from the environment, and the Rasa client's protocol, deadline and errors."""

import asyncio
import json

import httpx
import pytest

from gateway.rasa_client import Button, RasaClient, RasaTimeout, RasaUnavailable, Reply
from gateway.settings import DEVELOPMENT_SECRET_KEY, Settings, SettingsError, get_settings
from tests.gateway.fake_rasa import FakeRasa

LONG_KEY = "k" * 40


def test_development_works_without_a_secret_key() -> None:
    settings = Settings.from_env({"HEALTHAID_ENV": "development"})

    assert settings.secret_key == DEVELOPMENT_SECRET_KEY
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_server_url == "http://127.0.0.1:5055"
    assert settings.rasa_timeout_seconds == 8.0


@pytest.mark.parametrize(
    "environ",
    [
        {"HEALTHAID_ENV": "production"},  # no key at all
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": "changeme"},
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": "short"},
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": DEVELOPMENT_SECRET_KEY},
        {"HEALTHAID_ENV": "production", "HEALTHAID_SECRET_KEY": LONG_KEY, "WECHAT_TOKEN": "test"},
        {"HEALTHAID_ENV": "staging"},
        {"RASA_TIMEOUT_SECONDS": "soon"},
    ],
)
def test_unsafe_or_broken_environments_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_production_with_a_real_key_and_https_gets_secure_cookies() -> None:
    settings = Settings.from_env(
        {
            "HEALTHAID_ENV": "production",
            "HEALTHAID_SECRET_KEY": LONG_KEY,
            "HEALTHAID_PUBLIC_BASE_URL": "https://healthaid.example.org",
            "RASA_TIMEOUT_SECONDS": "5",
        }
    )

    assert settings.secure_cookies and settings.rasa_timeout_seconds == 5.0
    assert LONG_KEY in settings.secret_key


def test_get_settings_is_cached_and_clearable(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005")
    try:
        assert get_settings() is get_settings()
        assert get_settings().rasa_url == "http://rasa.internal:5005"
    finally:
        get_settings.cache_clear()


async def _send(client: RasaClient, **kwargs: float) -> list[Reply]:
    async with client:
        return await client.send("u_1", "你好", "sms", {"channel": "sms"}, **kwargs)


def test_the_request_follows_the_rest_channel_contract() -> None:
    rasa = FakeRasa(
        answer=lambda text: [
            {"text": "住院还是门诊？", "buttons": [{"title": "住院", "payload": "/inform"}]},
            {"image": "https://x/1.png"},  # no text: SMS and WeChat cannot show it
        ]
    )

    replies = asyncio.run(_send(rasa.client()))

    assert rasa.received == [
        {"sender": "u_1", "message": "你好", "input_channel": "sms", "metadata": {"channel": "sms"}}
    ]
    assert replies == [Reply("住院还是门诊？", [Button("住院", "/inform")])]


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (lambda r: httpx.Response(500), RasaUnavailable),
        (lambda r: httpx.Response(200, content=b"<html>"), RasaUnavailable),
        (lambda r: httpx.Response(200, json={"text": "not a list"}), RasaUnavailable),
    ],
)
def test_bad_answers_raise_typed_errors(handler: object, error: type[Exception]) -> None:
    client = RasaClient("http://rasa.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]

    with pytest.raises(error):
        asyncio.run(_send(client))


def test_a_refused_connection_is_unavailable() -> None:
    with pytest.raises(RasaUnavailable):
        asyncio.run(_send(FakeRasa(down=True).client()))


def test_the_deadline_is_ours_not_rasas() -> None:
    with pytest.raises(RasaTimeout):
        asyncio.run(_send(FakeRasa(delay=5).client(), timeout=0.1))


def test_the_body_is_utf8_json() -> None:
    rasa = FakeRasa()
    asyncio.run(_send(rasa.client()))
    assert json.dumps(rasa.received[0], ensure_ascii=False)

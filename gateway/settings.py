"""The gateway's settings, read from the environment once, through `get_settings()`.

Nothing is read at import time: tests build `Settings(...)` directly or call
`Settings.from_env(environ)`, and `get_settings.cache_clear()` forgets the cached copy.
Secrets have no working default outside development, and placeholders are refused there.
"""

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from registry.db import URL_VARIABLE, database_url

Environment = Literal["development", "production"]

# Used only when HEALTHAID_ENV=development and no key is set: sessions and sender hashes then
# change meaning the day a real key is configured, which is fine for a developer's laptop.
DEVELOPMENT_SECRET_KEY = "development-only-not-a-secret-0123456789"
MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "password", "xxx", "todo", "test"}
)


class SettingsError(ValueError):
    """The environment does not describe a gateway that may start."""


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or value == DEVELOPMENT_SECRET_KEY


@dataclass(frozen=True)
class Settings:
    env: Environment = "development"
    database_url: str = field(default_factory=database_url)
    secret_key: str = DEVELOPMENT_SECRET_KEY
    public_base_url: str | None = None
    twilio_auth_token: str = ""
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = field(default="", repr=False)
    wechat_aes_key: str = field(default="", repr=False)
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 8.0
    # WeChat drops the connection after 5 s; answer passively only within this.
    wechat_passive_seconds: float = 4.0
    # How long a WeChat answer may take before it is given up (then 「系统繁忙」 is sent).
    wechat_async_timeout_seconds: float = 60.0
    rate_limit_per_sender: int = 20  # messages per minute from one sender
    rate_limit_global: int = 6000  # messages per minute through the whole gateway
    login_attempts: int = 5  # failed sign-ins per 15 minutes, per IP and per username

    def __post_init__(self) -> None:
        if self.env not in ("development", "production"):
            raise SettingsError(f"HEALTHAID_ENV must be development or production: {self.env!r}")
        if self.env == "production":
            if _placeholder(self.secret_key) or len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise SettingsError(
                    "HEALTHAID_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters in production"
                )
            for name in ("twilio_auth_token", "wechat_token", "wechat_app_secret"):
                value = getattr(self, name)
                if value and _placeholder(value):
                    raise SettingsError(f"{name.upper()} is a placeholder: {value!r}")
        if self.rasa_timeout_seconds <= 0 or self.wechat_passive_seconds <= 0:
            raise SettingsError("timeouts must be positive")

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag when the public address is https."""
        return bool(self.public_base_url and self.public_base_url.startswith("https://"))

    @property
    def wechat_safe_mode(self) -> bool:
        return bool(self.wechat_aes_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        mode = env.get("HEALTHAID_ENV", "development")
        secret = env.get("HEALTHAID_SECRET_KEY", "")
        if not secret and mode == "development":
            secret = DEVELOPMENT_SECRET_KEY
        values: dict[str, object] = {
            "env": mode,
            "database_url": env.get(URL_VARIABLE) or database_url(),
            "secret_key": secret,
            "public_base_url": env.get("HEALTHAID_PUBLIC_BASE_URL") or None,
            "twilio_auth_token": env.get("TWILIO_AUTH_TOKEN", ""),
            "wechat_token": env.get("WECHAT_TOKEN", ""),
            "wechat_app_id": env.get("WECHAT_APP_ID", ""),
            "wechat_app_secret": env.get("WECHAT_APP_SECRET", ""),
            "wechat_aes_key": env.get("WECHAT_AES_KEY", ""),
            "wechat_api_base_url": env.get("WECHAT_API_BASE_URL") or cls.wechat_api_base_url,
            "rasa_url": env.get("RASA_URL") or cls.rasa_url,
            "action_server_url": env.get("ACTION_SERVER_URL") or cls.action_server_url,
        }
        numbers = {
            "rasa_timeout_seconds": ("RASA_TIMEOUT_SECONDS", float),
            "rate_limit_per_sender": ("HEALTHAID_RATE_LIMIT_PER_SENDER", int),
            "rate_limit_global": ("HEALTHAID_RATE_LIMIT_GLOBAL", int),
        }
        for name, (variable, kind) in numbers.items():
            raw = env.get(variable)
            if raw:
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise SettingsError(f"{variable} is not a number: {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env()

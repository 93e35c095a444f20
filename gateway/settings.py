"""The gateway's settings, read from the environment once, through `get_settings()`.

pydantic-settings reads them: every field is `HEALTHAID_<NAME>`, and a channel's fields are
nested under it with a double underscore (`HEALTHAID_WECHAT__TOKEN`,
`HEALTHAID_WECHAT__PASSIVE_SECONDS`, `HEALTHAID_TWILIO__AUTH_TOKEN`). The names used before
(`WECHAT_TOKEN`, `TWILIO_AUTH_TOKEN`, `RASA_URL`, ...; `LEGACY_NAMES`) still work, and lose to
the `HEALTHAID_` name when both are set. An empty variable counts as unset.

Nothing is read at import time: tests build `Settings(...)` directly, and
`get_settings.cache_clear()` forgets the cached copy. Secrets have no working default outside
development, and placeholders are refused there. Several gateway processes (`workers`) need
PostgreSQL and Redis, since each process would otherwise keep its own limits and memory.
"""

import functools
import os
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

from registry.db import default_url

Environment = Literal["development", "production"]

# Used only when HEALTHAID_ENV=development and no key is set: sessions and sender hashes then
# change meaning the day a real key is configured, which is fine for a developer's laptop.
DEVELOPMENT_SECRET_KEY = "development-only-not-a-secret-0123456789"
MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "password", "xxx", "todo", "test"}
)

# Variable names from before the nested settings, kept because scripts, healthaid/stack.py,
# the benchmarks and deployments set them. WEB_CONCURRENCY is what uvicorn reads for --workers.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "TWILIO_AUTH_TOKEN": ("twilio", "auth_token"),
    "WECHAT_TOKEN": ("wechat", "token"),
    "WECHAT_APP_ID": ("wechat", "app_id"),
    "WECHAT_APP_SECRET": ("wechat", "app_secret"),
    "WECHAT_AES_KEY": ("wechat", "aes_key"),
    "WECHAT_API_BASE_URL": ("wechat", "api_base_url"),
    "RASA_URL": ("rasa_url",),
    "ACTION_SERVER_URL": ("action_server_url",),
    "RASA_TIMEOUT_SECONDS": ("rasa_timeout_seconds",),
    "WEB_CONCURRENCY": ("workers",),
}


class SettingsError(ValueError):
    """The environment does not describe a gateway that may start."""


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or value == DEVELOPMENT_SECRET_KEY


class TwilioSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    auth_token: str = Field("", repr=False)


class WeChatSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str = Field("", repr=False)
    app_id: str = ""
    app_secret: str = Field("", repr=False)
    aes_key: str = Field("", repr=False)  # EncodingAESKey: set means safe (encrypted) mode
    api_base_url: str = "https://api.weixin.qq.com"
    # WeChat drops the connection after 5 s; answer passively only within this.
    passive_seconds: PositiveFloat = 4.0
    # How long a WeChat answer may take before it is given up (then 「系统繁忙」 is sent).
    async_timeout_seconds: PositiveFloat = 60.0

    @property
    def safe_mode(self) -> bool:
        return bool(self.aes_key)


class OutboxSettings(BaseModel):
    """The sender of messages sent outside an HTTP reply (gateway/outbox.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # How long a sender holds a row it is sending; past it, another process sends the row.
    lease_seconds: PositiveFloat = 30.0
    # How often each gateway process looks for due rows.
    poll_seconds: PositiveFloat = 1.0
    # Sends of a row that failed for a transient reason (network, WeChat busy) before giving up.
    max_attempts: PositiveInt = 5


class LegacyNames(PydanticBaseSettingsSource):
    """The variables of `LEGACY_NAMES`, as a source ranked after the `HEALTHAID_` names."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every name at once

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for variable, path in LEGACY_NAMES.items():
            raw = os.environ.get(variable)
            if not raw:
                continue
            target = values
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = raw
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HEALTHAID_",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
    )

    env: Environment = "development"
    database_url: str = Field(default_factory=default_url, repr=False)  # may hold a password
    secret_key: str = Field(DEVELOPMENT_SECRET_KEY, repr=False)
    public_base_url: str | None = None
    twilio: TwilioSettings = TwilioSettings()
    wechat: WeChatSettings = WeChatSettings()
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: PositiveFloat = 8.0
    # When a post to Rasa breaks (its instance died), the retry on the other instance may take
    # this much longer: it waits for the dead instance's lock to expire (TICKET_LOCK_LIFETIME).
    # 8 + 5 s stays under the 15 s Twilio waits for an answer (docs/deploy.md).
    rasa_failover_seconds: PositiveFloat = 5.0
    # A claim on a provider message id lasts the turn's deadline plus this; a copy of the
    # message arriving later (its worker died) is answered rather than dropped.
    claim_margin_seconds: PositiveFloat = 2.0
    outbox: OutboxSettings = OutboxSettings()
    rate_limit_per_sender: PositiveInt = 20  # messages per minute from one sender
    rate_limit_global: PositiveInt = 6000  # messages per minute through the whole gateway
    login_attempts: PositiveInt = 5  # failed sign-ins per 15 minutes, per IP and per username
    # Where the gateway's shared state lives (sender memory, limits, reply cache): in this
    # process when unset, in Redis (redis://host:port/db) when set.
    redis_url: str | None = Field(None, repr=False)
    redis_prefix: str = "healthaid"  # several deployments may share one Redis
    # How many gateway processes serve this deployment: uvicorn's workers (WEB_CONCURRENCY)
    # or separate processes behind a proxy. More than one needs PostgreSQL and Redis. The app
    # cannot see uvicorn's --workers flag, so set WEB_CONCURRENCY rather than the flag.
    workers: PositiveInt = 1

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env file and no secrets directory: the environment is the only input.
        return init_settings, env_settings, LegacyNames(settings_cls)

    @model_validator(mode="after")
    def _may_start(self) -> "Settings":
        if self.env == "production":
            if _placeholder(self.secret_key) or len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    "HEALTHAID_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters in production"
                )
            secrets = {
                "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
                "WECHAT_TOKEN": self.wechat.token,
                "WECHAT_APP_SECRET": self.wechat.app_secret,
            }
            for name, value in secrets.items():
                if value and _placeholder(value):
                    raise ValueError(f"{name} is a placeholder: {value!r}")
        if self.workers > 1:
            if make_url(self.database_url).get_backend_name() == "sqlite":
                raise ValueError(
                    f"{self.workers} gateway workers need PostgreSQL (HEALTHAID_DATABASE_URL), "
                    "not SQLite"
                )
            if not self.redis_url:
                raise ValueError(
                    f"{self.workers} gateway workers need Redis (HEALTHAID_REDIS_URL) to share "
                    "sender memory and limits"
                )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag when the public address is https."""
        return bool(self.public_base_url and self.public_base_url.startswith("https://"))


def _describe(error: ValidationError) -> str:
    """One line per problem, naming the variable as a person would set it."""
    lines = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        path = [str(part) for part in problem["loc"]]
        if path:
            lines.append(f"HEALTHAID_{'__'.join(path).upper()}: {message}")
        else:
            lines.append(message)
    return "; ".join(lines)


@functools.cache
def get_settings() -> Settings:
    return Settings()

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
import re
from typing import Any, Literal

import pydantic_settings
from limits import parse
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


# WeChat template fields are named like first, keyword1, remark, thing2 ({{keyword1.DATA}}).
TEMPLATE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
TEMPLATE_TEXT = "{text}"  # in template_data: replaced by the broadcast's text


class SettingsError(ValueError):
    """The environment does not describe a gateway that may start."""


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or value == DEVELOPMENT_SECRET_KEY


class TwilioSettings(BaseModel):
    """Twilio: `auth_token` checks the signature of what Twilio posts (messages, status
    callbacks); with `account_sid` and `from_number` or `messaging_service_sid` the gateway
    also sends SMS through Twilio's REST API (the outbox's `sms` channel), at `api_base_url`
    (a local fake in tests and benchmarks). Status callbacks go to
    HEALTHAID_PUBLIC_BASE_URL + /twilio/status, the URL their signature is checked against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth_token: str = Field("", repr=False)
    account_sid: str = ""  # AC…, 34 characters
    from_number: str = ""  # the sending number, E.164 (+1…)
    messaging_service_sid: str = ""  # MG…: sends from the service's numbers instead
    api_base_url: str = "https://api.twilio.com"
    timeout_seconds: PositiveFloat = 15.0  # one REST request, connect to last byte

    @property
    def sends(self) -> bool:
        """Whether SMS can be sent: an account, its token, and a sender."""
        sender = self.from_number or self.messaging_service_sid
        return bool(self.account_sid and self.auth_token and sender)


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
    # Template messages (模板消息) reach a follower who has not written for 48 hours, which
    # customer-service messages cannot: a broadcast goes to them with this template. The county
    # adds the template to its Official Account in the WeChat console (模板消息) and sets its ID
    # here; unset, such residents are recorded undeliverable. `template_data` says what each
    # field of the template holds: "{text}" is replaced by the broadcast's text, anything else
    # is sent as written (e.g. {"first": "健康帮扶通知", "keyword1": "{text}", "remark": "…"}).
    template_id: str = ""
    template_data: dict[str, str] = Field(default_factory=lambda: {"content": TEMPLATE_TEXT})
    template_url: str = ""  # where tapping the message leads; none when empty

    @property
    def safe_mode(self) -> bool:
        return bool(self.aes_key)

    @model_validator(mode="after")
    def _template_fits(self) -> "WeChatSettings":
        bad = [key for key in self.template_data if not TEMPLATE_KEY.fullmatch(key)]
        if bad:
            raise ValueError(f"template_data: {bad[0]!r} is not a template field name")
        if not any(TEMPLATE_TEXT in value for value in self.template_data.values()):
            raise ValueError(f"template_data: no field holds the broadcast's text {TEMPLATE_TEXT}")
        return self


class OutboxSettings(BaseModel):
    """The sender of messages sent outside an HTTP reply (gateway/outbox.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # How long a sender holds a row it is sending; past it, another process sends the row.
    lease_seconds: PositiveFloat = 30.0
    # How often each gateway process looks for due rows.
    poll_seconds: PositiveFloat = 1.0
    # Sends of a row that failed for a transient reason (network, WeChat busy) before giving up.
    max_attempts: PositiveInt = 5


class BroadcastSettings(BaseModel):
    """Broadcasts (gateway/broadcasts/): how fast each channel sends, and the job queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Per channel, in `limits` notation ("1/second", "30/minute"): Twilio queues more than
    # one message a second per long-code number, and a county's number is usually one.
    sms_rate: str = "1/second"
    wechat_rate: str = "20/second"
    # How long the sending job holds a broadcast without renewing it; past it (the job died)
    # another job resumes it.
    lease_seconds: PositiveFloat = 60.0
    # The embedded job queue (SQLite) when there is no Redis; unset: next to the SQLite
    # registry, or var/broadcast-queue.db.
    queue_path: str | None = None
    workers: PositiveInt = 2  # threads of the consumer (`healthaid broadcasts worker`)

    @model_validator(mode="after")
    def _rates_parse(self) -> "BroadcastSettings":
        for name in ("sms_rate", "wechat_rate"):
            try:
                parse(getattr(self, name))
            except ValueError:
                raise ValueError(f"{name} is not a rate such as 1/second") from None
        return self

    def rate(self, channel: str) -> str:
        return str(getattr(self, f"{channel}_rate"))


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
    # Signs the cadres' session cookies and CSRF tokens. When it is rotated, the key before it
    # goes in previous_secret_key for a while, so nobody is signed out at once.
    secret_key: str = Field(DEVELOPMENT_SECRET_KEY, repr=False)
    previous_secret_key: str | None = Field(None, repr=False)
    # Keys the senders' pseudonyms (gateway/text.py: sender_key). Unset: the secret key does.
    # Set it once (to the current secret key, in a running deployment) and the secret key can
    # then be rotated without every resident becoming a new sender (docs/deploy.md).
    sender_key: str | None = Field(None, repr=False)
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
    broadcast: BroadcastSettings = BroadcastSettings()
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
        except pydantic_settings.SettingsError as error:  # a variable that is not valid JSON
            raise SettingsError(f"{error}: a mapping (…__TEMPLATE_DATA) must be JSON") from None

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
            for name, value in (
                ("HEALTHAID_PREVIOUS_SECRET_KEY", self.previous_secret_key),
                ("HEALTHAID_SENDER_KEY", self.sender_key),
            ):
                if value is not None and (
                    _placeholder(value) or len(value) < MIN_SECRET_KEY_LENGTH
                ):
                    raise ValueError(
                        f"{name} must be a random value of at least "
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
        if self.twilio.account_sid and not self.twilio.sends:
            raise ValueError(
                "HEALTHAID_TWILIO__ACCOUNT_SID is set: sending SMS also needs "
                "HEALTHAID_TWILIO__AUTH_TOKEN and HEALTHAID_TWILIO__FROM_NUMBER or "
                "HEALTHAID_TWILIO__MESSAGING_SERVICE_SID"
            )
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
    def sender_secret(self) -> bytes:
        """The key of the senders' pseudonyms: HEALTHAID_SENDER_KEY, else the secret key."""
        return (self.sender_key or self.secret_key).encode("utf-8")

    @property
    def session_secrets(self) -> list[str]:
        """Keys that verify a session cookie, oldest first; the last one signs (itsdangerous)."""
        if self.previous_secret_key:
            return [self.previous_secret_key, self.secret_key]
        return [self.secret_key]

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

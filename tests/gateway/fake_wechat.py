"""A local stand-in for api.weixin.qq.com speaking the real protocol, for client tests.

Behaviour follows WeChat's documentation (获取Access token, 获取稳定版接口调用凭据, 客服消息,
全局返回码): every answer is HTTP 200 with a JSON body; errors carry errcode and an errmsg
that ends in a request id (" rid: …"), as WeChat's do.

- `GET /cgi-bin/token` issues a new token on every call and leaves the previous one valid for
  5 more minutes.
- `POST /cgi-bin/stable_token` (JSON body) in normal mode returns the same token while it has
  more than 5 minutes left, and a new one during its last 5 minutes (both valid meanwhile);
  `force_refresh: true` retires the current token at once, at most 20 times a day and not
  within 30 s of the last forced refresh (then the current token comes back unchanged). The
  two kinds of token are independent of each other.
- `POST /cgi-bin/message/custom/send` checks the token, the follower, and with
  `enforce_window` the 48-hour window after the follower's last message (45015) and its quota
  of 5 messages in it (45047). `faults` are errcodes to answer to the next sends (of either
  kind), one each.
- `POST /cgi-bin/message/template/send` (模板消息) checks the token, the template id among the
  account's `templates` (40037), the follower (40003) and whether the follower refused the
  account's template messages (`template_refused`: 43101); no window applies. It answers
  `{"errcode": 0, "errmsg": "ok", "msgid": …}` and records the message in `templates_sent`.
"""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

OLD_TOKEN_GRACE_SECONDS = 300
STABLE_RENEWAL_SECONDS = 300  # a stable token is renewed during its last 5 minutes
FORCE_REFRESH_INTERVAL_SECONDS = 30
FORCE_REFRESHES_PER_DAY = 20
WINDOW_SECONDS = 48 * 3600  # customer-service messages: within 48 h of the user's message
MESSAGES_PER_WINDOW = 5  # since 2023: 5 customer-service messages per user message

# 全局返回码 used here, with WeChat's own errmsg.
SYSTEM_ERROR = -1
INVALID_CREDENTIAL = 40001
INVALID_GRANT_TYPE = 40002
INVALID_OPENID = 40003
INVALID_MESSAGE_TYPE = 40008
INVALID_APPID = 40013
INVALID_TEMPLATE_ID = 40037
INVALID_APPSECRET = 40125
ACCESS_TOKEN_MISSING = 41001
APPID_MISSING = 41002
APPSECRET_MISSING = 41004
ACCESS_TOKEN_EXPIRED = 42001
REQUIRE_SUBSCRIBE = 43004
TEMPLATE_REFUSED = 43101
DAILY_QUOTA = 45009
RESPONSE_OUT_OF_TIME = 45015
RESPONSE_COUNT_LIMIT = 45047
DATA_FORMAT_ERROR = 47001

ERRMSG = {
    SYSTEM_ERROR: "system error",
    INVALID_CREDENTIAL: "invalid credential, access_token is invalid or not latest",
    INVALID_GRANT_TYPE: "invalid grant_type",
    INVALID_OPENID: "invalid openid",
    INVALID_MESSAGE_TYPE: "invalid message type",
    INVALID_APPID: "invalid appid",
    INVALID_TEMPLATE_ID: "invalid template_id",
    INVALID_APPSECRET: "invalid appsecret",
    ACCESS_TOKEN_MISSING: "access_token missing",
    APPID_MISSING: "appid missing",
    APPSECRET_MISSING: "appsecret missing",
    ACCESS_TOKEN_EXPIRED: "access_token expired",
    REQUIRE_SUBSCRIBE: "require subscribe",
    TEMPLATE_REFUSED: "user refuse to accept the msg",
    DAILY_QUOTA: "reach max api daily quota limit",
    RESPONSE_OUT_OF_TIME: "response out of time limit or subscription is canceled",
    RESPONSE_COUNT_LIMIT: "out of response count limit",
    DATA_FORMAT_ERROR: "data format error",
}


def _answer(payload: dict[str, Any]) -> Response:
    # WeChat labels its JSON with a non-standard parameter; the client must not rely on it.
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type="application/json; encoding=utf-8")


def _error(errcode: int) -> Response:
    rid = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    return _answer({"errcode": errcode, "errmsg": f"{ERRMSG[errcode]} rid: {rid}"})


@dataclass
class FakeWeChat:
    """One Official Account. `clock` is shared with the test, so tokens can be aged."""

    app_id: str
    secret: str
    clock: Callable[[], float]
    token_ttl: int = 7200
    followers: frozenset[str] | None = None  # None: every openid is a follower
    enforce_window: bool = False  # False: every follower may be sent to
    faults: list[int] = field(default_factory=list)  # errcodes for the next sends
    tokens: dict[str, float] = field(default_factory=dict)  # GET /token: token → expiry
    stable_tokens: dict[str, float] = field(default_factory=dict)  # stable_token: → expiry
    token_requests: int = 0  # calls of either token endpoint that returned a token
    forced_refreshes: int = 0
    send_requests: int = 0  # every custom/send call, refused or not
    delivered: list[dict[str, Any]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    templates: frozenset[str] = frozenset()  # template ids the account added in its console
    template_refused: frozenset[str] = frozenset()  # followers who refuse template messages
    template_requests: int = 0  # every template/send call, refused or not
    templates_sent: list[dict[str, Any]] = field(default_factory=list)
    _stable: str | None = None
    _last_forced_at: float | None = None
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)  # openid → (at, sent)

    def revoke_all(self) -> None:
        """Forget every token, as after an AppSecret reset."""
        self.tokens.clear()
        self.stable_tokens.clear()
        self._stable = None

    def user_message(self, openid: str) -> None:
        """The follower wrote to the account: a 48-hour window with 5 messages opens."""
        self._windows[openid] = (self.clock(), 0)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/token", self._token, methods=["GET"]),
                Route("/cgi-bin/stable_token", self._stable_token, methods=["POST"]),
                Route("/cgi-bin/message/custom/send", self._custom_send, methods=["POST"]),
                Route("/cgi-bin/message/template/send", self._template_send, methods=["POST"]),
            ]
        )

    def _credentials(self, grant_type: object, appid: object, secret: object) -> int:
        if grant_type != "client_credential":
            return INVALID_GRANT_TYPE
        if not appid:
            return APPID_MISSING
        if not secret:
            return APPSECRET_MISSING
        if appid != self.app_id:
            return INVALID_APPID
        if secret != self.secret:
            return INVALID_APPSECRET
        return 0

    async def _token(self, request: Request) -> Response:
        query = request.query_params
        fields = (query.get(name) for name in ("grant_type", "appid", "secret"))
        if problem := self._credentials(*fields):
            return _error(problem)
        self.token_requests += 1
        now = self.clock()
        for old in self.tokens:
            self.tokens[old] = min(self.tokens[old], now + OLD_TOKEN_GRACE_SECONDS)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_ttl
        return _answer({"access_token": token, "expires_in": self.token_ttl})

    async def _stable_token(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(DATA_FORMAT_ERROR)
        if not isinstance(body, dict):
            return _error(DATA_FORMAT_ERROR)
        problem = self._credentials(body.get("grant_type"), body.get("appid"), body.get("secret"))
        if problem:
            return _error(problem)
        now = self.clock()
        current = self._stable
        left = self.stable_tokens.get(current, now) - now if current else 0.0
        if body.get("force_refresh") is True and current is not None and left > 0:
            recent = self._last_forced_at is not None and (
                now - self._last_forced_at < FORCE_REFRESH_INTERVAL_SECONDS
            )
            if not recent:
                if self.forced_refreshes >= FORCE_REFRESHES_PER_DAY:
                    return _error(DAILY_QUOTA)
                self.forced_refreshes += 1
                self._last_forced_at = now
                del self.stable_tokens[current]  # retired at once
                left = 0.0
        if current is None or left <= STABLE_RENEWAL_SECONDS:
            current = secrets.token_urlsafe(24)
            self.stable_tokens[current] = now + self.token_ttl
            self._stable, left = current, float(self.token_ttl)
        self.token_requests += 1
        return _answer({"access_token": current, "expires_in": int(left)})

    def _token_error(self, token: str | None) -> int:
        if not token:
            return ACCESS_TOKEN_MISSING
        expiry = self.tokens.get(token, self.stable_tokens.get(token))
        if expiry is None:
            return INVALID_CREDENTIAL
        if self.clock() >= expiry:
            return ACCESS_TOKEN_EXPIRED
        return 0

    def _window_error(self, openid: str) -> int:
        if not self.enforce_window:
            return 0
        opened = self._windows.get(openid)
        if opened is None or self.clock() - opened[0] >= WINDOW_SECONDS:
            return RESPONSE_OUT_OF_TIME
        if opened[1] >= MESSAGES_PER_WINDOW:
            return RESPONSE_COUNT_LIMIT
        self._windows[openid] = (opened[0], opened[1] + 1)
        return 0

    async def _message(
        self, request: Request, *fields: str
    ) -> tuple[bytes, dict[str, Any], list[Any]] | Response:
        """What both sends check first, in this order: the token, a queued fault, then a JSON
        object that has `fields`. The raw body, the object and those fields' values; or the
        error answer."""
        if problem := self._token_error(request.query_params.get("access_token")):
            return _error(problem)
        if self.faults:
            return _error(self.faults.pop(0))
        raw = await request.body()
        try:
            message = json.loads(raw.decode("utf-8"))
            values = [message[name] for name in fields]  # not an object: TypeError
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            return _error(DATA_FORMAT_ERROR)
        return raw, message, values

    async def _custom_send(self, request: Request) -> Response:
        self.send_requests += 1
        read = await self._message(request, "touser", "msgtype")
        if isinstance(read, Response):
            return read
        raw, message, (openid, msgtype) = read
        if self.followers is not None and openid not in self.followers:
            return _error(INVALID_OPENID)
        if msgtype != "text":
            return _error(INVALID_MESSAGE_TYPE)
        content = (message.get("text") or {}).get("content")
        if not isinstance(content, str) or not content:
            return _error(DATA_FORMAT_ERROR)
        if problem := self._window_error(openid):
            return _error(problem)
        self.raw_bodies.append(raw)
        self.delivered.append(message)
        return _answer({"errcode": 0, "errmsg": "ok"})

    async def _template_send(self, request: Request) -> Response:
        self.template_requests += 1
        read = await self._message(request, "touser", "template_id", "data")
        if isinstance(read, Response):
            return read
        raw, message, (openid, template_id, data) = read
        if not isinstance(data, dict) or not all(
            isinstance(item, dict) and isinstance(item.get("value"), str) for item in data.values()
        ):
            return _error(DATA_FORMAT_ERROR)
        if template_id not in self.templates:
            return _error(INVALID_TEMPLATE_ID)
        if self.followers is not None and openid not in self.followers:
            return _error(INVALID_OPENID)
        if openid in self.template_refused:
            return _error(TEMPLATE_REFUSED)
        self.raw_bodies.append(raw)
        self.templates_sent.append(message)
        msgid = 200_000_000 + len(self.templates_sent)
        return _answer({"errcode": 0, "errmsg": "ok", "msgid": msgid})

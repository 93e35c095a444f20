"""A local stand-in for api.weixin.qq.com speaking the real protocol, for client tests.

Behaviour follows WeChat's documentation (获取Access token, 客服消息, 全局返回码): every answer
is HTTP 200 with a JSON body, errors carry errcode/errmsg; issuing a new token leaves the
previous one valid for 5 more minutes; tokens last `token_ttl` seconds.
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

# 全局返回码 used here.
INVALID_CREDENTIAL = 40001  # access_token invalid or not the latest
INVALID_GRANT_TYPE = 40002
INVALID_OPENID = 40003
INVALID_MESSAGE_TYPE = 40008
INVALID_APPID = 40013
INVALID_APPSECRET = 40125
ACCESS_TOKEN_MISSING = 41001
ACCESS_TOKEN_EXPIRED = 42001
DATA_FORMAT_ERROR = 47001


def _answer(payload: dict[str, Any]) -> Response:
    # WeChat labels its JSON with a non-standard parameter; the client must not rely on it.
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type="application/json; encoding=utf-8")


def _error(errcode: int, errmsg: str) -> Response:
    return _answer({"errcode": errcode, "errmsg": errmsg})


@dataclass
class FakeWeChat:
    """One Official Account. `clock` is shared with the test, so tokens can be aged."""

    app_id: str
    secret: str
    clock: Callable[[], float]
    token_ttl: int = 7200
    followers: frozenset[str] | None = None  # None: every openid is a follower
    tokens: dict[str, float] = field(default_factory=dict)  # token → expiry
    token_requests: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)

    def revoke_all(self) -> None:
        """Forget every token, as after an AppSecret reset or another server's refresh."""
        self.tokens.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/token", self._token, methods=["GET"]),
                Route("/cgi-bin/message/custom/send", self._custom_send, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> Response:
        query = request.query_params
        if query.get("grant_type") != "client_credential":
            return _error(INVALID_GRANT_TYPE, "invalid grant_type")
        if query.get("appid") != self.app_id:
            return _error(INVALID_APPID, "invalid appid")
        if query.get("secret") != self.secret:
            return _error(INVALID_APPSECRET, "invalid appsecret")
        self.token_requests += 1
        now = self.clock()
        for old in self.tokens:
            self.tokens[old] = min(self.tokens[old], now + OLD_TOKEN_GRACE_SECONDS)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_ttl
        return _answer({"access_token": token, "expires_in": self.token_ttl})

    def _token_error(self, token: str | None) -> Response | None:
        if not token:
            return _error(ACCESS_TOKEN_MISSING, "access_token missing")
        if token not in self.tokens:
            return _error(INVALID_CREDENTIAL, "invalid credential, access_token is invalid")
        if self.clock() >= self.tokens[token]:
            return _error(ACCESS_TOKEN_EXPIRED, "access_token expired")
        return None

    async def _custom_send(self, request: Request) -> Response:
        if (problem := self._token_error(request.query_params.get("access_token"))) is not None:
            return problem
        raw = await request.body()
        try:
            message = json.loads(raw.decode("utf-8"))
            openid, msgtype = message["touser"], message["msgtype"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            return _error(DATA_FORMAT_ERROR, "data format error")
        if self.followers is not None and openid not in self.followers:
            return _error(INVALID_OPENID, "invalid openid")
        if msgtype != "text":
            return _error(INVALID_MESSAGE_TYPE, "invalid message type")
        content = (message.get("text") or {}).get("content")
        if not isinstance(content, str) or not content:
            return _error(DATA_FORMAT_ERROR, "data format error")
        self.raw_bodies.append(raw)
        self.delivered.append(message)
        return _error(0, "ok")

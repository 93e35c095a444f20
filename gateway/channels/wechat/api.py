"""A thin async client for WeChat's customer-service messages (客服消息) and template
messages (模板消息).

Passive replies must come within 5 seconds; when an answer takes longer (Rasa, a settlement
estimate) the gateway acknowledges with "success" and sends the answer here, which WeChat
allows within 48 hours of the resident's last message. Template messages reach a follower
at any time, with a template the account registered in WeChat's console; broadcasts use them
for residents outside the 48 hours (gateway/channels/wechat/delivery.py).

The access token comes from `POST /cgi-bin/stable_token` (getStableAccessToken) in normal
mode: while a token is valid, every caller gets the same one, so several gateway processes
share one token without invalidating each other (GET /cgi-bin/token issued a new token on
every call and retired the previous one five minutes later, so two processes took turns
killing each other's token). The platform hands out the next token during the last five
minutes of the old one, and both work meanwhile. Each process still caches its token, and a
lock keeps concurrent senders in one process to one request.

A token WeChat refuses (40001, 40014, 42001) is refreshed once and the message sent once
more; if that fails too, the error is raised for the caller to record (the outbox row).

Logging: httpx logs request URLs at INFO level, and these URLs carry the access token. The
app must keep the "httpx" logger at WARNING.
"""

import asyncio
import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
# Use a token until this long before WeChat's stated expiry, so it never dies in flight. A
# stable token is always handed out with at least 300 s left, so the margin must be smaller.
EXPIRY_MARGIN_SECONDS = 60
# 40001 invalid credential, 40014 invalid access_token, 42001 access_token expired:
# the cached token is no longer good (a forced refresh elsewhere, an AppSecret reset).
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# -1 「系统繁忙，此时请开发者稍候再试」: the only errcode worth trying again later.
SYSTEM_BUSY = -1


class WeChatAPIError(Exception):
    """WeChat answered with a non-zero errcode (or with something that is not its JSON)."""

    def __init__(self, errcode: int, errmsg: str, endpoint: str) -> None:
        super().__init__(f"WeChat {endpoint} failed: errcode {errcode} ({errmsg})")
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint


def _json(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    response.raise_for_status()
    # WeChat often labels JSON as text/plain, so decode regardless of the content type.
    try:
        payload = json.loads(response.content)
    except ValueError:
        raise WeChatAPIError(SYSTEM_BUSY, "response is not JSON", endpoint) from None
    if not isinstance(payload, dict):
        raise WeChatAPIError(SYSTEM_BUSY, "response is not a JSON object", endpoint)
    errcode = int(payload.get("errcode") or 0)
    if errcode:
        raise WeChatAPIError(errcode, str(payload.get("errmsg", "")), endpoint)
    return payload


class WeChatAPI:
    """Customer-service sender for one Official Account; use as `async with WeChatAPI(…)`."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 5.0,
    ) -> None:
        self._app_id = app_id
        self._secret = secret
        self._clock = clock
        self._client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def access_token(self, *, refused: str | None = None) -> str:
        """The cached access token, fetched when missing or near expiry.

        `refused` is a token WeChat just refused: a new one is fetched unless another task
        already replaced it. Should normal mode hand back the very token WeChat refused, the
        token is force-refreshed once (which retires it for every process; they refresh in
        turn when WeChat refuses it).
        """
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._token_expires_at
            if self._token is not None and fresh and self._token != refused:
                return self._token
            token = await self._fetch_token(force=False)
            if refused is not None and token == refused:
                token = await self._fetch_token(force=True)
            return token

    async def _fetch_token(self, *, force: bool) -> str:
        response = await self._client.post(
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self._app_id,
                "secret": self._secret,
                "force_refresh": force,
            },
        )
        payload = _json(response, "stable_token")
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatAPIError(SYSTEM_BUSY, "no access_token in the answer", "stable_token")
        lifetime = float(payload.get("expires_in", 7200))
        self._token = token
        self._token_expires_at = self._clock() + max(lifetime - EXPIRY_MARGIN_SECONDS, 0.0)
        return token

    async def send_text(self, openid: str, content: str) -> None:
        """Send `content` to the follower `openid`. A refused token is refreshed once and the
        message sent once more; any other errcode raises WeChatAPIError at once (e.g. 45015:
        more than 48 hours since the resident's last message)."""
        payload = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        await self._post_message("/cgi-bin/message/custom/send", "message/custom/send", payload)

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str = ""
    ) -> int | None:
        """Send the template message `template_id` (模板消息) with `data` (field → text) to
        `openid`, which needs no recent message from the follower; WeChat's `msgid`, or None
        when the answer has none. Tokens as for `send_text`; other errcodes raise, e.g. 40037
        (invalid template_id), 43101 (the follower refuses template messages), 40003."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url:
            payload["url"] = url
        answer = await self._post_message(
            "/cgi-bin/message/template/send", "message/template/send", payload
        )
        msgid = answer.get("msgid")
        return msgid if isinstance(msgid, int) else None

    async def _post_message(
        self, path: str, endpoint: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        # ensure_ascii=False: WeChat shows \uXXXX escapes literally instead of the characters.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        token = await self.access_token()
        try:
            return await self._post(path, endpoint, token, body)
        except WeChatAPIError as error:
            if error.errcode not in TOKEN_ERRCODES:
                raise
            return await self._post(path, endpoint, await self.access_token(refused=token), body)

    async def _post(self, path: str, endpoint: str, token: str, body: bytes) -> dict[str, Any]:
        response = await self._client.post(
            path,
            params={"access_token": token},
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        return _json(response, endpoint)

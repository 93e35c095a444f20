"""WeChat customer-service messages as an outbox channel (gateway/outbox.py): what each of
WeChat's answers means for the row.

- sent: errcode 0;
- retry: -1 (「系统繁忙」), an answer that is not WeChat's JSON, or no answer at all;
- failed: no token could be had (wrong AppID or AppSecret, IP not whitelisted, quota), or the
  token was refused again after the one refresh `WeChatAPI.send_text` makes;
- undeliverable: any other refusal of the message itself — 45015 (more than 48 hours since
  the resident's last message, or unfollowed), 45047 (the 5 messages that window allows are
  used), 40003 (not a follower), 43004 — recorded once, never retried in a loop.
"""

from typing import Any

import httpx

from gateway.channels.wechat.api import SYSTEM_BUSY, TOKEN_ERRCODES, WeChatAPI, WeChatAPIError
from gateway.outbox import Deliver, Delivery, Outcome


def outcome_of(error: WeChatAPIError) -> Outcome:
    if error.errcode == SYSTEM_BUSY:
        return Outcome.RETRY
    if error.errcode in TOKEN_ERRCODES or error.endpoint == "stable_token":
        return Outcome.FAILED
    return Outcome.UNDELIVERABLE


def wechat_delivery(api: WeChatAPI) -> Deliver:
    """Send a row's `{"text": …}` to the follower through `api`."""

    async def deliver(openid: str, payload: dict[str, Any], row_id: int) -> Delivery:
        try:
            await api.send_text(openid, str(payload["text"]))
        except WeChatAPIError as error:
            return Delivery(outcome_of(error), f"{error.errcode} {error.errmsg}")
        except httpx.HTTPError as error:
            # The type only: httpx's messages quote the URL, which carries the access token.
            return Delivery(Outcome.RETRY, type(error).__name__)
        return Delivery(Outcome.SENT)

    return deliver

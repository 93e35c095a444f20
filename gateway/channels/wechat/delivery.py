"""WeChat as an outbox channel (gateway/outbox.py): which API a row goes through, and what
each of WeChat's answers means for the row.

A row goes as a customer-service message (客服消息), which WeChat allows for 48 hours after the
resident's last message. A broadcast row is told at sending time whether that window is open
(`payload[WINDOW_OPEN]`); when it is closed, or WeChat refuses the customer-service message
with 45015/45047 all the same, it goes as the configured template message (模板消息,
HEALTHAID_WECHAT__TEMPLATE_ID); without a template it is recorded undeliverable ("no template
configured"). Replies and handoff rows, queued in answer to the resident, never use the
template.

- sent: errcode 0 (a template message's msgid is kept as the row's provider id);
- retry: -1 (「系统繁忙」), an answer that is not WeChat's JSON, or no answer at all;
- failed: no token could be had (wrong AppID or AppSecret, IP not whitelisted, quota), the
  token was refused again after the one refresh the client makes, or 40037 (the configured
  template ID is wrong: every template message would fail alike);
- undeliverable: any other refusal of the message itself — 45015 (more than 48 hours since
  the resident's last message, or unfollowed), 45047 (the 5 messages that window allows are
  used), 40003 (not a follower), 43004, 43101 (the follower refuses template messages) —
  recorded once, never retried in a loop.
"""

from dataclasses import dataclass
from typing import Any

import httpx

from gateway.channels.wechat.api import SYSTEM_BUSY, TOKEN_ERRCODES, WeChatAPI, WeChatAPIError
from gateway.outbox import WINDOW_OPEN, Deliver, Delivery, Outcome
from gateway.settings import TEMPLATE_TEXT, WeChatSettings

INVALID_TEMPLATE_ID = 40037
# Customer-service refusals a template message gets past: the window closed (or the registry
# did not see the last message), or its 5 messages are used.
WINDOW_REFUSALS = frozenset({45015, 45047})
NO_TEMPLATE = "no template configured: more than 48 hours since the resident's last message"


@dataclass(frozen=True)
class Template:
    """A template message the account registered: its ID, what each field holds, a link."""

    template_id: str
    data: dict[str, str]
    url: str = ""

    @classmethod
    def of(cls, settings: WeChatSettings) -> "Template | None":
        if not settings.template_id:
            return None
        return cls(settings.template_id, dict(settings.template_data), settings.template_url)

    def fields(self, text: str) -> dict[str, str]:
        return {key: value.replace(TEMPLATE_TEXT, text) for key, value in self.data.items()}


def outcome_of(error: WeChatAPIError) -> Outcome:
    if error.errcode == SYSTEM_BUSY:
        return Outcome.RETRY
    if error.errcode in TOKEN_ERRCODES or error.endpoint == "stable_token":
        return Outcome.FAILED
    if error.errcode == INVALID_TEMPLATE_ID:
        return Outcome.FAILED
    return Outcome.UNDELIVERABLE


def wechat_delivery(api: WeChatAPI, template: Template | None = None) -> Deliver:
    """Send a row's `{"text": …}` to the follower through `api` (see the module docstring)."""

    async def by_template(openid: str, text: str) -> Delivery:
        if template is None:
            return Delivery(Outcome.UNDELIVERABLE, NO_TEMPLATE)
        msgid = await api.send_template(
            openid, template.template_id, template.fields(text), template.url
        )
        return Delivery(Outcome.SENT, provider_id=None if msgid is None else str(msgid))

    async def deliver(openid: str, payload: dict[str, Any], row_id: int) -> Delivery:
        text = str(payload["text"])
        broadcast = WINDOW_OPEN in payload
        try:
            if broadcast and not payload[WINDOW_OPEN]:
                return await by_template(openid, text)
            try:
                await api.send_text(openid, text)
            except WeChatAPIError as error:
                if not (broadcast and template and error.errcode in WINDOW_REFUSALS):
                    raise
                return await by_template(openid, text)
        except WeChatAPIError as error:
            return Delivery(outcome_of(error), f"{error.errcode} {error.errmsg}")
        except httpx.HTTPError as error:
            # The type only: httpx's messages quote the URL, which carries the access token.
            return Delivery(Outcome.RETRY, type(error).__name__)
        return Delivery(Outcome.SENT)

    return deliver

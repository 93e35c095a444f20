"""The channels a broadcast is sent on, as the settings configure them (gateway/outbox.py)."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from gateway.channels.twilio.delivery import sms_channel
from gateway.channels.wechat.api import WeChatAPI
from gateway.channels.wechat.delivery import Template, wechat_delivery
from gateway.outbox import Deliver
from gateway.settings import Settings


class ChannelsOf:
    """The channels' Deliver functions built from settings, for one pass of the job."""

    def __init__(
        self,
        settings: Settings,
        twilio_transport: httpx.AsyncBaseTransport | None = None,
        wechat_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        # Replace the network under Twilio's and WeChat's clients (tests).
        self._twilio_transport = twilio_transport
        self._wechat_transport = wechat_transport

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[dict[str, Deliver]]:
        wechat = self._settings.wechat
        async with AsyncExitStack() as stack:
            delivers: dict[str, Deliver] = {}
            if wechat.app_id and wechat.app_secret:
                api = WeChatAPI(
                    wechat.app_id, wechat.app_secret, wechat.api_base_url, self._wechat_transport
                )
                await stack.enter_async_context(api)
                delivers["wechat"] = wechat_delivery(api, Template.of(wechat))
            sms = sms_channel(self._settings, self._twilio_transport)
            if sms is not None:
                deliver, http = sms
                stack.push_async_callback(http.aclose)
                delivers["sms"] = deliver
            yield delivers

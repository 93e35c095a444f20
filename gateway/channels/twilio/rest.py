"""Twilio's REST API through the official `twilio` client, carried by httpx.

`twilio.rest.Client` builds each request (the account SID in the path, basic auth with the
SID and auth token, the form fields) and turns Twilio's error JSON into TwilioRestException
with the HTTP status and Twilio's error code. Its own asynchronous HTTP client runs on an
aiohttp session that must be created inside the running event loop and, when not pooled, is
left open by a request that fails; `HttpxTwilioClient` gives the library httpx instead, with
an injectable transport like every other outbound client of the gateway. The API's address
is the `base_url` of the client's `api` domain (`https://api.twilio.com` unless configured:
a local fake in tests and benchmarks).
"""

import logging
from typing import Any

import httpx
from twilio.http import AsyncHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from gateway.settings import TwilioSettings


class HttpxTwilioClient(AsyncHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """twilio's asynchronous HTTP client interface on an httpx.AsyncClient; `aclose()` when
    done. Timeouts in seconds; network failures raise httpx.HTTPError."""

    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), True, timeout)
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        response = await self._client.request(
            method,
            uri,
            params=params,  # type: ignore[arg-type]  # twilio passes str/list values
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
        )
        return Response(response.status_code, response.text, response.headers)

    async def aclose(self) -> None:
        await self._client.aclose()


def twilio_client(
    settings: TwilioSettings, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[Any, HttpxTwilioClient]:
    """A `twilio.rest.Client` for the configured account at `settings.api_base_url`, and
    the HTTP client it sends through (close it with `aclose()` at shutdown)."""
    http = HttpxTwilioClient(settings.timeout_seconds, transport)
    client = Client(settings.account_sid, settings.auth_token, http_client=http)
    client.api.base_url = settings.api_base_url.rstrip("/")
    return client, http


__all__ = ["Client", "HttpxTwilioClient", "twilio_client"]

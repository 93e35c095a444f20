"""The form of a post from Twilio, once its signature is checked: shared by every route
Twilio posts to (inbound messages, status callbacks)."""

from collections.abc import Mapping
from typing import cast

from fastapi import Request
from starlette.datastructures import FormData

from gateway.channels.twilio.webhook import SIGNATURE_HEADER, public_url, verify
from gateway.settings import Settings


async def signed_form(request: Request, settings: Settings) -> FormData | None:
    """The posted form when X-Twilio-Signature is Twilio's signature, with the auth token of
    `settings`, of the public URL (HEALTHAID_PUBLIC_BASE_URL + path + query) and every
    posted parameter, repeated keys included; None when it is missing or wrong. Callers
    answer None with 403 before reading anything, so a forged post costs nothing."""
    form = await request.form()
    url = public_url(
        settings.public_base_url, request.url.path, request.url.query, str(request.url)
    )
    params = cast("Mapping[str, str]", form)  # the validator reads repeated keys with getlist
    if not verify(url, params, request.headers.get(SIGNATURE_HEADER), settings.twilio.auth_token):
        return None
    return form

"""SMS through Twilio's REST API as an outbox channel (gateway/outbox.py): what each of
Twilio's answers means for the row.

- sent: 201 with the message resource; its SID and status (`queued`, or `accepted` through a
  messaging service) are recorded, and Twilio then reports delivery to the status callback
  (gateway/channels/twilio/status.py);
- retry: 429 (too many requests), any 5xx, or no answer (network, timeout);
- failed: the account cannot send (401/403/404: wrong SID or token, suspended account; or a
  configuration error such as a From number the account does not own) — every message would
  fail alike, so the row is given up and shown on the admin page;
- undeliverable: Twilio refused this message for good — 21211 invalid To number, 21610 the
  resident sent STOP to Twilio, 21614 not a mobile number, 21612/21408 cannot route there,
  21617 body too long, or any other 4xx about the message itself; never retried.

Only Twilio's status and error code are recorded: its messages quote the phone number.
"""

from collections.abc import Callable
from typing import Any

import httpx
from twilio.base import values  # type: ignore[import-untyped]
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioRestException,
    TwilioServiceException,
)

from gateway.channels.twilio.rest import HttpxTwilioClient, twilio_client
from gateway.channels.twilio.status import status_callback_url
from gateway.outbox import Deliver, Delivery, Outcome
from gateway.settings import Settings

# Errors of the account or its configuration, not of one message (Twilio's error dictionary).
ACCOUNT_ERRORS = frozenset(
    {
        20003,  # authentication failed
        20005,  # account not active
        21212,  # invalid From number
        21603,  # From missing
        21606,  # the From number is not a number of this account
        21659,  # From is not a Twilio number
        21703,  # the messaging service has no numbers
        21705,  # invalid messaging service
    }
)
ACCOUNT_STATUSES = frozenset({401, 403, 404})
# A short name for the admin page, for the refusals a resident's number causes.
ERROR_NAMES = {
    21211: "invalid To number",
    21408: "region not enabled",
    21610: "recipient unsubscribed (STOP)",
    21612: "cannot route to this number",
    21614: "not a mobile number",
    21617: "body over 1600 characters",
}


def outcome_of(status: int, code: int | None) -> Outcome:
    """The outbox outcome of Twilio's HTTP `status` and error `code` for a create."""
    if status == 429 or status >= 500:
        return Outcome.RETRY
    if status in ACCOUNT_STATUSES or code in ACCOUNT_ERRORS:
        return Outcome.FAILED
    return Outcome.UNDELIVERABLE


def _describe(status: int, code: int | None) -> str:
    if code is None:
        return f"HTTP {status}"
    name = ERROR_NAMES.get(code)
    return f"HTTP {status}, Twilio {code}" + (f" {name}" if name else "")


def sms_delivery(
    client: Any,
    *,
    from_number: str = "",
    messaging_service_sid: str = "",
    status_callback: Callable[[int], str | None] = lambda row_id: None,
) -> Deliver:
    """Send a row's `{"text": …}` to the phone number (E.164) with `client`, a
    `twilio.rest.Client` (gateway/channels/twilio/rest.py), from the number or the messaging
    service; `status_callback(row_id)` is the StatusCallback URL for that row, or None."""

    async def deliver(phone: str, payload: dict[str, Any], row_id: int) -> Delivery:
        try:
            message = await client.messages.create_async(
                to=phone,
                body=str(payload["text"]),
                from_=from_number or values.unset,
                messaging_service_sid=messaging_service_sid or values.unset,
                status_callback=status_callback(row_id) or values.unset,
            )
        except (TwilioRestException, TwilioServiceException) as error:
            # Without Twilio's JSON (a proxy's error page) the client gives the HTTP status
            # as the code.
            known = isinstance(error.code, int) and error.code != error.status
            code = error.code if known else None
            return Delivery(outcome_of(error.status, code), _describe(error.status, code))
        except httpx.HTTPError as error:
            return Delivery(Outcome.RETRY, type(error).__name__)
        return Delivery(Outcome.SENT, provider_id=message.sid, provider_status=message.status)

    return deliver


def sms_channel(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[Deliver, HttpxTwilioClient] | None:
    """The outbox's `sms` channel as configured (None unless `settings.twilio.sends`), and
    the HTTP client to close at shutdown. `transport` replaces the network (tests)."""
    twilio = settings.twilio
    if not twilio.sends:
        return None
    client, http = twilio_client(twilio, transport)
    deliver = sms_delivery(
        client,
        from_number=twilio.from_number,
        messaging_service_sid=twilio.messaging_service_sid,
        status_callback=lambda row_id: status_callback_url(settings.public_base_url, row_id),
    )
    return deliver, http

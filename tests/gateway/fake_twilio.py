"""A local stand-in for api.twilio.com's Programmable Messaging API, speaking its protocol.

Behaviour follows Twilio's documentation (Message resource, Message status callbacks, Error
and warning dictionary, REST API authentication):

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth with the account
  SID and auth token (else 401 with error 20003), form-encoded `To`, `From` or
  `MessagingServiceSid`, `Body`, optional `StatusCallback`. Answers 201 with the JSON message
  resource: `sid` "SM" + 32 hex digits, `status` "queued" ("accepted" through a messaging
  service), `num_segments` as a string counted as Twilio counts (GSM-7: 160, or 153 per
  part; UCS-2 as for Chinese: 70, or 67 per part), RFC 2822 dates, `uri`. Bad input gets
  Twilio's error JSON `{code, message, more_info, status}`: 21211 invalid To, 21604 no To,
  21603 no From, 21602 no Body, 21617 Body over 1600 characters, 21610 unsubscribed
  recipient, 21614 not a mobile number.
- Then, with a `StatusCallback`, it posts the status callbacks Twilio posts, signed with
  `X-Twilio-Signature` (twilio's RequestValidator over the URL and every parameter): `sent`
  then `delivered`, or for a number in `failing` `sent` then that status (`undelivered` or
  `failed`) with its `ErrorCode`.
- `GET /2010-04-01/Accounts/{AccountSid}/Messages/{sid}.json` returns the resource as it is
  now (its status follows the callbacks), 404 with error 20404 for an unknown sid.
- `faults` are HTTP statuses (429, 500, 503) to answer to the next creates, one each.

For tests and the scripts that start it as a process (`python -m tests.gateway.fake_twilio
--port N`), `GET /_fake/messages` returns what it received (`requests`: every authenticated
create's form; `messages`: the resources; `callbacks`: each callback posted with the status
the receiver answered; `received_at`: when each request arrived, time.time(), for
benchmarks) and `POST /_fake/faults` (JSON `{"statuses": [500, 429]}`) queues
faults. These two paths are not Twilio's.
"""

import argparse
import asyncio
import base64
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from gateway.channels.sms_format import segments

API_VERSION = "2010-04-01"
MAX_BODY = 1600
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ERRORS = {  # Twilio's error dictionary: code → (HTTP status, message)
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service is unavailable. Please try again"),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}
FAULT_CODES = {429: 20429, 500: 20500, 503: 20503}


def error(code: int, **words: str) -> JSONResponse:
    status, message = ERRORS[code]
    body = {
        "code": code,
        "message": message.format(**words),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment)  # "Thu, 24 Aug 2023 05:01:45 +0000", as Twilio writes dates


@dataclass
class FakeTwilio:
    """One Twilio account. `failing` maps a number to the final status and ErrorCode its
    messages get (`{"+8613900000000": ("undelivered", "30003")}`)."""

    account_sid: str
    auth_token: str
    unsubscribed: set[str] = field(default_factory=set)  # 21610: the recipient sent STOP
    landlines: set[str] = field(default_factory=set)  # 21614
    failing: dict[str, tuple[str, str]] = field(default_factory=dict)
    faults: list[int] = field(default_factory=list)  # HTTP statuses for the next creates
    callback_delay: float = 0.0  # seconds before each status callback
    requests: list[dict[str, str]] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)  # time.time() of each request
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        base = f"/{API_VERSION}/Accounts/{{account}}/Messages"
        return Starlette(
            routes=[
                Route(f"{base}.json", self._create, methods=["POST"]),
                Route(f"{base}/{{sid}}.json", self._fetch, methods=["GET"]),
                Route("/_fake/messages", self._records, methods=["GET"]),
                Route("/_fake/faults", self._add_faults, methods=["POST"]),
            ]
        )

    def _authenticated(self, request: Request) -> bool:
        """HTTP basic auth with this account's SID and auth token, for this account's path."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
            return False
        return (
            scheme.lower() == "basic"
            and request.path_params["account"] == self.account_sid
            and secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
        )

    async def _create(self, request: Request) -> Response:
        if not self._authenticated(request):
            return error(20003)
        form = {
            key: value for key, value in (await request.form()).items() if isinstance(value, str)
        }
        self.requests.append(form)
        self.received_at.append(time.time())
        if self.faults:
            return error(FAULT_CODES[self.faults.pop(0)])
        problem = self._problem(form)
        if problem:
            return problem
        message = self._message(form)
        self.messages[message["sid"]] = message
        callback = form.get("StatusCallback")
        task = BackgroundTask(self._report, message["sid"], callback) if callback else None
        return JSONResponse(message, status_code=201, background=task)

    def _problem(self, form: dict[str, str]) -> JSONResponse | None:
        to = form.get("To", "")
        if not to:
            return error(21604)
        if not E164.match(to):
            return error(21211, to=to)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return error(21603)
        body = form.get("Body", "")
        if not body:
            return error(21602)
        if len(body) > MAX_BODY:
            return error(21617)
        if to in self.unsubscribed:
            return error(21610)
        if to in self.landlines:
            return error(21614)
        return None

    def _message(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = _rfc2822(datetime.now(UTC))
        service = form.get("MessagingServiceSid")
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From") or None,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments(form["Body"])),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }

    async def _report(self, sid: str, url: str) -> None:
        """Post the callbacks, one after the other, as Twilio does."""
        message = self.messages[sid]
        final, code = self.failing.get(message["to"], ("delivered", ""))
        async with httpx.AsyncClient(timeout=15.0) as client:
            for status in ("sent", final):
                await asyncio.sleep(self.callback_delay)
                message.update(status=status, date_updated=_rfc2822(datetime.now(UTC)))
                params = {
                    "AccountSid": self.account_sid,
                    "ApiVersion": API_VERSION,
                    "From": message["from"] or "",
                    "MessageSid": sid,
                    "MessageStatus": status,
                    "SmsSid": sid,
                    "SmsStatus": status,
                    "To": message["to"],
                }
                if status in ("failed", "undelivered"):
                    params["ErrorCode"] = code
                    message["error_code"] = int(code)
                signature = RequestValidator(self.auth_token).compute_signature(url, params)
                record: dict[str, Any] = {"url": url, "params": params, "answer": None}
                self.callbacks.append(record)
                try:
                    answer = await client.post(
                        url, data=params, headers={"X-Twilio-Signature": signature}
                    )
                    record["answer"] = answer.status_code
                except httpx.HTTPError as failure:
                    record["answer"] = type(failure).__name__

    async def _fetch(self, request: Request) -> Response:
        if not self._authenticated(request):
            return error(20003)
        message = self.messages.get(request.path_params["sid"])
        if message is None:
            return error(20404, path=request.url.path)
        return JSONResponse(message)

    async def _records(self, request: Request) -> Response:
        return JSONResponse(
            {
                "requests": self.requests,
                "received_at": self.received_at,
                "messages": list(self.messages.values()),
                "callbacks": self.callbacks,
            }
        )

    async def _add_faults(self, request: Request) -> Response:
        statuses = (await request.json()).get("statuses", [])
        if not all(status in FAULT_CODES for status in statuses):
            return JSONResponse({"error": f"faults are among {sorted(FAULT_CODES)}"}, 400)
        self.faults.extend(statuses)
        return JSONResponse({"faults": self.faults})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A fake Twilio Messaging API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="fake-twilio-auth-token")
    parser.add_argument("--callback-delay", type=float, default=0.0)
    parser.add_argument(
        "--failing",
        action="append",
        default=[],
        metavar="NUMBER=STATUS:CODE",
        help="e.g. +8613900000000=undelivered:30003 (repeatable)",
    )
    args = parser.parse_args(argv)
    failing = {}
    for item in args.failing:
        number, _, outcome = item.partition("=")
        status, _, code = outcome.partition(":")
        failing[number] = (status, code)
    fake = FakeTwilio(
        args.account_sid, args.auth_token, failing=failing, callback_delay=args.callback_delay
    )
    uvicorn.run(fake.app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

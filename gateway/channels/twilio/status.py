"""POST /twilio/status: Twilio's status callbacks for the SMS the outbox sent.

Each message is sent with StatusCallback = HEALTHAID_PUBLIC_BASE_URL + /twilio/status?row=<id>
(`status_callback_url`). Twilio signs that URL with its query, so the row id cannot be forged
either. A callback is checked like every post from Twilio (403 when the signature is wrong),
then its MessageStatus (sent, delivered, undelivered, failed …) and ErrorCode are recorded on
the row (registry/delivery.py: late, repeated and out-of-order reports change nothing). A
callback about a message no row knows is answered 200 and logged: Twilio would only retry it.
"""

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from gateway.channels.twilio.signed import signed_form
from gateway.deps import StateDep
from gateway.logs import get_logger
from gateway.state import GatewayState
from registry.delivery import Reported, record_report

router = APIRouter(tags=["sms"])
STATUS_PATH = "/twilio/status"


def status_callback_url(public_base_url: str | None, row_id: int) -> str | None:
    """The StatusCallback for outbox row `row_id`; None without a public address (Twilio
    could not reach the gateway, so no callback is asked for)."""
    if not public_base_url:
        return None
    return f"{public_base_url.rstrip('/')}{STATUS_PATH}?row={row_id}"


def _row_id(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() else None


def _record(
    state: GatewayState, sid: str, status: str, error_code: str | None, row_id: int | None
) -> Reported:
    with state.sessions.begin() as session:
        return record_report(
            session, provider_id=sid, status=status, error_code=error_code, row_id=row_id
        )


@router.post(STATUS_PATH, include_in_schema=False)
async def twilio_status(request: Request, state: StateDep) -> Response:
    form = await signed_form(request, state.settings)
    if form is None:
        return PlainTextResponse("invalid signature", status_code=403)
    sid, status = form.get("MessageSid"), form.get("MessageStatus") or form.get("SmsStatus")
    if not isinstance(sid, str) or not sid or not isinstance(status, str) or not status:
        return PlainTextResponse("MessageSid and MessageStatus are required", status_code=400)
    code = form.get("ErrorCode")
    error_code = code if isinstance(code, str) and code else None
    row_id = _row_id(request.query_params.get("row"))
    reported = await run_in_threadpool(_record, state, sid, status, error_code, row_id)
    state.metrics.sms_status.labels(status, reported.value).inc()
    # The SID and status only: the callback's To and From are the resident's and our numbers.
    get_logger().info(
        "twilio_delivery_status",
        extra={
            "sid": sid,
            "row": row_id,
            "status": status,
            "error_code": error_code,
            "reported": reported.value,
        },
    )
    return Response(status_code=200)

"""POST /sms/twilio: Twilio's inbound SMS webhook, answered with TwiML.

Status callbacks posted to the same URL get an empty <Response/>; a picture without text gets
one text-only line. Both are signature-checked like every message. A copy of a message (same
MessageSid) gets the TwiML the first copy got, or waits for it while it is being answered.
"""

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from gateway.channels.twilio.signed import signed_form
from gateway.channels.twilio.webhook import parse, twiml
from gateway.deps import StateDep
from gateway.formatting import sms_first_page
from gateway.logs import get_logger
from gateway.messages import MalformedPayload
from gateway.replies import TEXT_ONLY
from gateway.turns import Turn

router = APIRouter(tags=["sms"])
TWIML = "application/xml"


@router.post("/sms/twilio", include_in_schema=False)
async def twilio_sms(request: Request, state: StateDep) -> Response:
    settings = state.settings
    # Verified before anything else is read: a forged post must cost nothing and store nothing.
    form = await signed_form(request, settings)
    if form is None:
        return PlainTextResponse("invalid signature", status_code=403)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    try:
        inbound = parse(fields)
    except MalformedPayload as error:
        return PlainTextResponse(str(error), status_code=400)
    if inbound.kind == "status":
        # A delivery report sent to the message URL: acknowledged, never answered (an answer
        # would go to the resident as an SMS of its own).
        get_logger().info("twilio_status", extra={"status": inbound.event})
        return Response(twiml([]), media_type=TWIML)
    if inbound.kind == "unsupported":
        return Response(twiml([TEXT_ONLY]), media_type=TWIML)
    pipeline = state.pipeline
    turn = Turn("sms", inbound.sender, inbound.text, provider_id=inbound.provider_message_id)
    prepared, answer = await pipeline.handle(turn, settings.rasa_timeout_seconds)
    text = ""  # duplicate without a cached answer, or opted out: send nothing
    if answer is not None:
        text = await sms_first_page(answer.replies, pipeline.memory, prepared.sender_key)
    elif prepared.decision in ("reply", "replay"):
        text = prepared.reply
    # Cached before the response goes out, so a copy of this message gets the same text.
    await pipeline.settle(turn, prepared, text)
    return Response(twiml([text] if text else []), media_type=TWIML)

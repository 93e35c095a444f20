"""GET /wechat (server verification) and POST /wechat (messages), plain and safe mode.

The 5-second rule: WeChat waits 5 s for a passive reply, then drops the connection and
retries the same message (three tries in all). The answer is given passively when Rasa
replies within `wechat.passive_seconds` (4 s); otherwise an outbox row is written, "success"
acknowledges, and the answer follows as a customer-service message (gateway/outbox.py).

Copies of one message (keyed by sender + MsgId: `inbound.dedupe_key`) are answered once: a copy
that arrives while the first is being answered waits (within its own passive deadline) for
that answer and repeats it passively, or gets "success" when the answer went to the outbox; a
copy that arrives after the first copy's worker died answers the message itself.
"""

import asyncio
import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from gateway.channels.wechat.inbound import ACK, parse, text_reply
from gateway.channels.wechat.safexml import read_xml
from gateway.channels.wechat.security import check_signature, decrypt, encrypt_reply, verify_url
from gateway.deps import StateDep
from gateway.formatting import wechat_text
from gateway.logs import get_logger, short
from gateway.messages import BadSignature, InboundError, InboundMessage, MalformedPayload
from gateway.pipeline import Answer
from gateway.replies import BUSY, UNSUPPORTED
from gateway.state import GatewayState
from gateway.turns import Prepared, Turn

router = APIRouter(tags=["wechat"])
CONVERSATION_EVENTS = frozenset({"subscribe", "scan"})


def _refusal(error: InboundError) -> PlainTextResponse:
    status = 400 if isinstance(error, MalformedPayload) else 403
    return PlainTextResponse(str(error) if status == 400 else "forbidden", status_code=status)


@router.get("/wechat", include_in_schema=False)
async def wechat_verify(request: Request, state: StateDep) -> Response:
    query = request.query_params
    settings = state.settings
    if not settings.wechat.token:
        return PlainTextResponse("WeChat is not configured", status_code=503)
    try:
        echo = verify_url(
            settings.wechat.token,
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("echostr", ""),
            signature=query.get("signature"),
            msg_signature=query.get("msg_signature"),
            crypto=state.wechat_crypto,
            now=state.clock(),
        )
    except InboundError as error:
        return _refusal(error)
    return PlainTextResponse(echo)


def _plaintext(request: Request, body: bytes, state: GatewayState) -> str | bytes:
    """The message XML after the signature (and, in safe mode, decryption) checks."""
    query = request.query_params
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if query.get("encrypt_type") == "aes":
        if state.wechat_crypto is None:
            raise BadSignature("safe mode message but WECHAT_AES_KEY is not set")
        return decrypt(
            body,
            query.get("msg_signature"),
            timestamp,
            nonce,
            state.wechat_crypto,
            now=state.clock(),
        )
    token = state.settings.wechat.token
    if not check_signature(token, timestamp, nonce, query.get("signature"), now=state.clock()):
        raise BadSignature("signature does not match")
    return body


@router.post("/wechat", include_in_schema=False)
async def wechat_message(request: Request, state: StateDep) -> Response:
    arrived = state.clock()
    if not state.settings.wechat.token:
        return PlainTextResponse("WeChat is not configured", status_code=503)
    try:
        xml = _plaintext(request, await request.body(), state)
        fields = read_xml(xml)
        inbound = parse(xml)
    except InboundError as error:
        return _refusal(error)

    def passive(text: str) -> Response:
        reply = text_reply(fields, text, now=int(state.clock()))
        if state.wechat_crypto is not None and request.query_params.get("encrypt_type") == "aes":
            nonce = secrets.token_hex(8)
            reply = encrypt_reply(
                reply, state.wechat_crypto, nonce=nonce, timestamp=str(int(state.clock()))
            )
        return Response(reply, media_type="application/xml")

    if inbound.kind == "unsupported":
        return passive(UNSUPPORTED)
    if inbound.kind == "event" and (inbound.event or "").lower() not in CONVERSATION_EVENTS:
        return PlainTextResponse(ACK)  # unsubscribe, menu clicks, location reports
    return await _converse(state, inbound, arrived, passive)


async def _converse(
    state: GatewayState,
    inbound: InboundMessage,
    arrived: float,
    passive: Callable[[str], Response],
) -> Response:
    pipeline, settings = state.pipeline, state.settings.wechat
    turn = Turn(
        "wechat",
        inbound.sender,
        inbound.text,
        provider_id=inbound.provider_message_id,
        scene=inbound.scene,
        start=inbound.kind == "event",
    )

    def remaining() -> float:
        return max(settings.passive_seconds - (state.clock() - arrived), 0.0)

    # The claim covers the passive deadline; by then the answer is given or in the outbox.
    prepared = await pipeline.prepare(
        turn, answer_within=settings.passive_seconds, wait=remaining()
    )
    if prepared.decision != "ask":
        text = prepared.reply if prepared.decision in ("reply", "replay") else ""
        await pipeline.settle(turn, prepared, text)
        return passive(text) if text else PlainTextResponse(ACK)
    answering = pipeline.spawn(pipeline.ask(prepared, "wechat", settings.async_timeout_seconds))
    done, _ = await asyncio.wait({answering}, timeout=remaining())
    if done:
        answer: Answer = answering.result()
        text = await wechat_text(answer.replies, pipeline.memory, prepared.sender_key)
        await pipeline.settle(turn, prepared, text)
        return passive(text)
    await _hand_over(state, turn, prepared, answering)
    return PlainTextResponse(ACK)


async def _hand_over(
    state: GatewayState, turn: Turn, prepared: Prepared, answering: "asyncio.Task[Answer]"
) -> None:
    """The answer is too late for a passive reply: an outbox row is written before "success"
    goes back. It holds 「系统繁忙」 and falls due only after the answer's own deadline; the
    answer replaces that text and is sent the moment it comes. Should this process die first,
    a sender loop sends the row when it falls due, so the resident hears back either way."""
    outbox, settings = state.outbox, state.settings
    row_id = None
    try:
        row_id = await outbox.enqueue(
            channel="wechat",
            kind="reply",
            recipient_key=prepared.sender_key,
            recipient=turn.sender,
            recipient_kind="openid",
            payload={"text": BUSY},
            idempotency_key=f"reply:wechat:{turn.provider_id}",
            due_in=settings.wechat.async_timeout_seconds + settings.outbox.lease_seconds,
        )
    except SQLAlchemyError as error:
        get_logger().warning(
            "wechat_delivery_failed",
            extra={"sender": short(prepared.sender_key), "error": type(error).__name__},
        )
    await state.pipeline.settle(turn, prepared, "")
    if row_id is not None:  # None: the row exists already (another copy handed over first)
        state.pipeline.spawn(_deliver_later(state, answering, row_id, prepared.sender_key))


async def _deliver_later(
    state: GatewayState, answering: "asyncio.Task[Answer]", row_id: int, key: str
) -> None:
    answer = await answering
    text = await wechat_text(answer.replies, state.pipeline.memory, key)
    outcome = await state.outbox.send_now(row_id, {"text": text})
    get_logger().info(
        "wechat_delivered",
        extra={"sender": short(key), "outcome": outcome.value if outcome else "not_claimed"},
    )

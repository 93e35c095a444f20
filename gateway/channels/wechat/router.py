"""GET /wechat (server verification) and POST /wechat (messages), plain and safe mode.

The 5-second rule: WeChat waits 5 s for a passive reply, then drops the connection and
retries the same message (three tries in all). The answer is given passively when Rasa
replies within `wechat.passive_seconds` (4 s); otherwise "success" acknowledges at once and
the answer follows as a customer-service message from a background task. Retries meanwhile
are duplicates (receipts, keyed by sender + MsgId: `inbound.dedupe_key`) and get "success" too,
so the resident gets exactly one answer.
"""

import asyncio
import secrets
from collections.abc import Callable

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from gateway.channels.wechat.api import WeChatAPIError
from gateway.channels.wechat.inbound import ACK, parse, text_reply
from gateway.channels.wechat.safexml import read_xml
from gateway.channels.wechat.security import check_signature, decrypt, encrypt_reply, verify_url
from gateway.deps import StateDep
from gateway.formatting import wechat_text
from gateway.logs import get_logger, short
from gateway.messages import BadSignature, InboundError, InboundMessage, MalformedPayload
from gateway.pipeline import Answer
from gateway.replies import UNSUPPORTED
from gateway.state import GatewayState
from gateway.turns import Turn

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
    pipeline = state.pipeline
    turn = Turn(
        "wechat",
        inbound.sender,
        inbound.text,
        provider_id=inbound.provider_message_id,
        scene=inbound.scene,
        start=inbound.kind == "event",
    )
    prepared = await pipeline.prepare(turn)
    if prepared.decision == "reply":
        return passive(prepared.reply)
    if prepared.decision != "ask":
        return PlainTextResponse(ACK)
    answering = pipeline.spawn(
        pipeline.ask(prepared, "wechat", state.settings.wechat.async_timeout_seconds)
    )
    remaining = state.settings.wechat.passive_seconds - (state.clock() - arrived)
    done, _ = await asyncio.wait({answering}, timeout=max(remaining, 0.0))
    if done:
        answer: Answer = answering.result()
        return passive(await wechat_text(answer.replies, pipeline.memory, prepared.sender_key))
    pipeline.spawn(_deliver_later(state, answering, inbound.sender, prepared.sender_key))
    return PlainTextResponse(ACK)


async def _deliver_later(
    state: GatewayState, answering: "asyncio.Task[Answer]", openid: str, key: str
) -> None:
    answer = await answering
    text = await wechat_text(answer.replies, state.pipeline.memory, key)
    outcome = "sent"
    if state.wechat_api is None:
        outcome = "not_configured"
    else:
        try:
            await state.wechat_api.send_text(openid, text)
        except (WeChatAPIError, httpx.HTTPError) as error:
            outcome = "failed"
            get_logger().warning(
                # The type only: httpx's messages quote the URL, which carries the access token.
                "wechat_delivery_failed",
                extra={"sender": short(key), "error": type(error).__name__},
            )
    state.metrics.wechat_async.labels(outcome).inc()
    get_logger().info("wechat_delivered", extra={"sender": short(key), "outcome": outcome})

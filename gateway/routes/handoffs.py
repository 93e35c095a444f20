"""The cadres' inbox of 转人工 requests (their region only), replies and closing.

- GET /handoffs: the page (polls the JSON below, no reload needed);
- GET /api/handoffs?seen=F: the open requests with their masked transcripts, or only
  `{"changed": false}` while nothing changed since the fingerprint F the page has;
- GET /api/handoffs/{id}: one request (404 outside the cadre's region, or unknown);
- POST /api/handoffs/{id}/messages `{"text", "via_phone"}` (X-CSRF-Token): a reply, 201
  `{"message_id", "outbox_id", "delivery"}`, or 409 `{"detail"}` when it cannot be delivered;
- POST /handoffs/{id}/close (form) and /api/handoffs/{id}/close (JSON): give the
  conversation back to the assistant; the resident is told.

Every transcript served, every reply and every close is audited (actor `cadre:<id>`).
"""

import hashlib
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.deps import CSRFDep, SignedInDep, StateDep, WebSessionDep
from gateway.handoff_inbox import CannotDeliver, HandoffView, close, inbox, reply, view
from gateway.logs import get_logger
from gateway.state import GatewayState
from registry import handoffs
from registry.models import audit
from registry.outbox_models import OutboxMessage
from registry.sqltypes import utcnow

router = APIRouter(tags=["handoffs"])
NOT_FOUND = "没有这个转人工请求"


class ReplyIn(BaseModel):
    text: str = Field(..., max_length=2000)
    via_phone: bool = False  # WeChat's window closed: to the registered phone by SMS


def _actor(cadre_id: int) -> str:
    return f"cadre:{cadre_id}"


def _viewed(session: Any, cadre_id: int, views: list[HandoffView]) -> None:
    if views:
        ids = ",".join(str(v.id) for v in views)
        audit(session, _actor(cadre_id), "handoff_viewed", f"handoffs={ids}")


def _inbox(state: GatewayState, region: str, cadre_id: int, seen: str | None) -> dict[str, Any]:
    now = utcnow()
    with state.sessions.begin() as session:
        views = inbox(session, region, now)
        listed = [v.as_json(now) for v in views]
        stable = [{k: v for k, v in item.items() if k != "waited_minutes"} for item in listed]
        digest = json.dumps(stable, ensure_ascii=False, sort_keys=True).encode("utf-8")
        fingerprint = hashlib.sha256(digest).hexdigest()[:32]
        if seen == fingerprint:  # nothing new: nothing personal sent, nothing to audit
            return {"fingerprint": fingerprint, "changed": False}
        _viewed(session, cadre_id, views)
        return {"fingerprint": fingerprint, "changed": True, "handoffs": listed}


def _one(state: GatewayState, handoff_id: int, region: str, cadre_id: int) -> dict[str, Any]:
    now = utcnow()
    with state.sessions.begin() as session:
        handoff = handoffs.in_region(session, handoff_id, region)
        if handoff is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        shown = view(session, handoff, now)
        _viewed(session, cadre_id, [shown])
        return shown.as_json(now)


@router.get("/handoffs", response_class=HTMLResponse)
async def handoffs_page(
    request: Request, state: StateDep, cadre: SignedInDep, web: WebSessionDep
) -> HTMLResponse:
    def load() -> list[HandoffView]:
        with state.sessions.begin() as session:
            views = inbox(session, cadre.region)
            _viewed(session, cadre.id, views)
            return views

    views = await run_in_threadpool(load)
    context = {"cadre": cadre, "csrf": web.csrf, "handoffs": views, "now": utcnow()}
    return state.templates.TemplateResponse(request, "handoffs.html", context)


@router.get("/api/handoffs")
async def handoffs_json(
    state: StateDep, cadre: SignedInDep, seen: str | None = None
) -> dict[str, Any]:
    return await run_in_threadpool(_inbox, state, cadre.region, cadre.id, seen)


@router.get("/api/handoffs/{handoff_id}")
async def handoff_json(handoff_id: int, state: StateDep, cadre: SignedInDep) -> dict[str, Any]:
    return await run_in_threadpool(_one, state, handoff_id, cadre.region, cadre.id)


@router.post("/api/handoffs/{handoff_id}/messages", dependencies=[CSRFDep])
async def reply_to_handoff(
    handoff_id: int, body: ReplyIn, state: StateDep, cadre: SignedInDep
) -> JSONResponse:
    def write() -> tuple[int, int | None]:
        with state.sessions.begin() as session:
            handoff = handoffs.in_region(session, handoff_id, cadre.region)
            if handoff is None or handoff.status != "open":
                raise HTTPException(status_code=404, detail=NOT_FOUND)
            message, row_id = reply(session, handoff, cadre.id, body.text, via_phone=body.via_phone)
            channel = "sms" if body.via_phone else handoff.channel
            detail = f"handoff={handoff_id} message={message.id} channel={channel}"
            audit(session, _actor(cadre.id), "handoff_replied", detail)
            return message.id, row_id

    try:
        message_id, row_id = await run_in_threadpool(write)
    except CannotDeliver as refused:
        return JSONResponse({"detail": str(refused)}, status_code=409)
    outcome = await _send(state, row_id)
    body_out = {"message_id": message_id, "outbox_id": row_id, "delivery": outcome}
    return JSONResponse(body_out, status_code=201)


async def _send(state: GatewayState, row_id: int | None) -> str:
    """Send a queued row at once when its channel is configured here; otherwise it waits
    for the sender loop (gateway/outbox.py). "widget" when there is no row."""
    if row_id is None:
        return "widget"
    channel = await run_in_threadpool(_channel_of, state, row_id)
    if channel not in state.outbox.channels:
        get_logger().warning("handoff_channel_not_configured", extra={"channel": channel})
        return "queued"
    outcome = await state.outbox.send_now(row_id)
    return outcome.value if outcome else "queued"


def _channel_of(state: GatewayState, row_id: int) -> str:
    with state.sessions() as session:
        row = session.get(OutboxMessage, row_id)
        return row.channel if row else ""


async def _close(state: GatewayState, handoff_id: int, cadre_id: int, region: str) -> bool:
    def write() -> tuple[bool, int | None]:
        with state.sessions.begin() as session:
            handoff = handoffs.in_region(session, handoff_id, region)
            if handoff is None:
                raise HTTPException(status_code=404, detail=NOT_FOUND)
            if handoff.status != "open":
                return False, None
            row_id = close(session, handoff, cadre_id)
            audit(session, _actor(cadre_id), "handoff_closed", f"handoff={handoff_id}")
            return True, row_id

    closed, row_id = await run_in_threadpool(write)
    await _send(state, row_id)
    return closed


@router.post("/handoffs/{handoff_id}/close", dependencies=[CSRFDep])
async def close_handoff(handoff_id: int, state: StateDep, cadre: SignedInDep) -> RedirectResponse:
    await _close(state, handoff_id, cadre.id, cadre.region)
    return RedirectResponse("/handoffs", status_code=303)


@router.post("/api/handoffs/{handoff_id}/close", dependencies=[CSRFDep])
async def close_handoff_json(
    handoff_id: int, state: StateDep, cadre: SignedInDep
) -> dict[str, bool]:
    return {"closed": await _close(state, handoff_id, cadre.id, cadre.region)}

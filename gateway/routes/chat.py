"""The cadres' chat widget: GET /chat (the page) and POST /api/chat (one message, JSON).

Anonymous visitors may ask policy questions and anonymous estimates. Only a signed-in cadre's
messages carry `cadre_id`, which the action server requires for personal lookups.
"""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from gateway import replies
from gateway.auth import csrf_ok, save_session, sender_id, set_sender_cookie
from gateway.deps import CadreDep, StateDep, WebSessionDep
from gateway.formatting import web_replies
from gateway.state import GatewayState
from gateway.text import MAX_MESSAGE_CHARS, normalize_text
from gateway.turns import Turn
from registry import handoffs

router = APIRouter(tags=["widget"])
# Longer input (a pasted document: the widget's own field stops at MAX_MESSAGE_CHARS) is
# answered with TOO_LONG without normalising all of it (linear, but there is no reason to
# convert megabytes). Normalisation may shrink blanks, hence the margin.
RAW_LIMIT = 2 * MAX_MESSAGE_CHARS


class ChatIn(BaseModel):
    message: str = Field("", max_length=20_000)
    campaign: str | None = Field(None, max_length=40)
    start: bool = False  # the widget opened from a campaign link asks its topic once


class ChatButton(BaseModel):
    title: str
    payload: str


class ChatReply(BaseModel):
    text: str
    buttons: list[ChatButton]


class HandoffState(BaseModel):
    """Whether a person answers this widget now, and the last handoff message it has."""

    open: bool
    after: int


class ChatOut(BaseModel):
    replies: list[ChatReply]
    handoff: HandoffState | None  # None: unknown just now (the database failed)


class HandoffLine(BaseModel):
    id: int
    text: str
    by: str  # cadre | assistant


class HandoffOut(HandoffState):
    messages: list[HandoffLine]


def render_widget(
    request: Request,
    state: StateDep,
    web: WebSessionDep,
    cadre: CadreDep,
    campaign: dict[str, str | None] | None = None,
) -> HTMLResponse:
    page = state.templates.TemplateResponse(
        request,
        "chat.html",
        {"cadre": cadre, "csrf": web.csrf, "campaign": campaign, "max_chars": MAX_MESSAGE_CHARS},
    )
    sid, new = sender_id(request)
    if new:
        set_sender_cookie(page, sid, state.settings)
    if web.changed:
        save_session(page, web, state.settings)
    return page


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(
    request: Request, state: StateDep, web: WebSessionDep, cadre: CadreDep
) -> HTMLResponse:
    return render_widget(request, state, web, cadre)


async def chat_csrf(request: Request, web: WebSessionDep) -> None:
    """Signed-in sessions must send the CSRF token: their messages act with the cadre's
    rights (lookups), so another site must not be able to post them."""
    if web.cadre_id is not None and not csrf_ok(web, request.headers.get("X-CSRF-Token")):
        raise HTTPException(status_code=403, detail="页面已过期，请刷新后重试（CSRF）")


@router.post("/api/chat", response_model=ChatOut, dependencies=[Depends(chat_csrf)])
async def chat_message(
    body: ChatIn, request: Request, state: StateDep, cadre: CadreDep
) -> JSONResponse:
    sid, new = sender_id(request)
    pipeline = state.pipeline
    key = pipeline.key(f"web:{sid}")
    out: list[dict[str, object]]
    if len(body.message) > RAW_LIMIT:
        out = [{"text": replies.TOO_LONG, "buttons": []}]
    else:
        text = normalize_text(body.message)
        if not text and not body.start:
            out = [{"text": replies.EMPTY_WEB, "buttons": []}]
        else:
            out = await _converse(
                state,
                Turn(
                    "web",
                    f"web:{sid}",
                    text,
                    campaign_code=body.campaign,
                    start=body.start and not text,
                    cadre_id=cadre.id if cadre else None,
                    cadre_region=cadre.region if cadre else None,
                ),
                key,
            )
    handoff = await run_in_threadpool(_handoff_state, state, key)
    response = JSONResponse({"replies": out, "handoff": handoff})
    if new:
        set_sender_cookie(response, sid, state.settings)
    return response


async def _converse(state: GatewayState, turn: Turn, key: str) -> list[dict[str, object]]:
    pipeline = state.pipeline
    prepared, answer = await pipeline.handle(turn, state.settings.rasa_timeout_seconds)
    if answer is not None:
        return await web_replies(answer.replies, pipeline.memory, key)
    if prepared.decision == "silent":  # a person answers: the message went to their inbox
        return []
    return [{"text": prepared.reply or replies.BUSY, "buttons": []}]


def _handoff_state(state: GatewayState, key: str) -> dict[str, object] | None:
    try:
        with state.sessions() as session:
            is_open = handoffs.open_for(session, "web", key) is not None
            return {"open": is_open, "after": handoffs.last_message_id(session, "web", key)}
    except SQLAlchemyError:
        return None


@router.get("/api/chat/handoff", response_model=HandoffOut)
async def handoff_messages(request: Request, state: StateDep, after: int = 0) -> JSONResponse:
    """What cadres (and the assistant, about the handoff) said to this widget after message
    id `after`; the widget polls this while a person answers. Only this browser's own
    messages: the sender is its cookie."""
    sid, _ = sender_id(request)
    key = state.pipeline.key(f"web:{sid}")

    def load() -> dict[str, object]:
        with state.sessions() as session:
            found = handoffs.sent_to_sender(session, "web", key, after)
            lines = [{"id": m.id, "text": m.text, "by": m.direction} for m in found]
            is_open = handoffs.open_for(session, "web", key) is not None
            last = lines[-1]["id"] if lines else after
            return {"open": is_open, "after": last, "messages": lines}

    return JSONResponse(await run_in_threadpool(load))

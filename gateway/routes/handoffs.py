"""GET /handoffs: the open 转人工 requests of the signed-in cadre's region, and closing one.

A request holds no phone number or ID number (the sender is a keyed hash); the cadre calls back
through the channel's own means or waits for the resident, as local practice decides.
"""

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from gateway.deps import CSRFDep, SignedInDep, StateDep, WebSessionDep
from gateway.state import GatewayState
from registry import handoffs
from registry.models import audit

router = APIRouter(tags=["handoffs"])
CHANNELS = {"sms": "短信", "wechat": "微信", "web": "网页"}


@dataclass(frozen=True)
class HandoffView:
    id: int
    at: datetime
    channel: str
    campaign: str | None
    summary: str


def _open(state: GatewayState, region: str) -> list[HandoffView]:
    with state.sessions() as session:
        return [
            HandoffView(h.id, h.at, CHANNELS.get(h.channel, h.channel), h.campaign, h.summary)
            for h in handoffs.open_handoffs(session, region)
        ]


def _close(state: GatewayState, handoff_id: int, region: str, cadre_id: int) -> bool:
    with state.sessions.begin() as session:
        handoff = handoffs.in_region(session, handoff_id, region)
        closed = handoff is not None and handoffs.close(session, handoff, f"cadre:{cadre_id}")
        if closed:
            audit(session, f"cadre:{cadre_id}", "handoff_closed", f"handoff={handoff_id}")
        return closed


@router.get("/handoffs", response_class=HTMLResponse)
async def handoffs_page(
    request: Request, state: StateDep, cadre: SignedInDep, web: WebSessionDep
) -> HTMLResponse:
    views = await run_in_threadpool(_open, state, cadre.region)
    return state.templates.TemplateResponse(
        request, "handoffs.html", {"cadre": cadre, "csrf": web.csrf, "handoffs": views}
    )


@router.post("/handoffs/{handoff_id}/close", dependencies=[CSRFDep])
async def close_handoff(handoff_id: int, state: StateDep, cadre: SignedInDep) -> RedirectResponse:
    await run_in_threadpool(_close, state, handoff_id, cadre.region, cadre.id)
    return RedirectResponse("/handoffs", status_code=303)

"""GET /admin: per campaign, conversations, messages, topics, unanswered questions, handoffs
and messages per day. Signed-in admins only (the dependency decides)."""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gateway.chart import bars
from gateway.deps import AdminDep, StateDep, WebSessionDep
from gateway.state import GatewayState
from registry import campaigns
from registry.campaigns import CampaignStats

router = APIRouter(tags=["admin"])


@dataclass
class CampaignView:
    stats: CampaignStats
    chart: Markup


def _views(state: GatewayState) -> list[CampaignView]:
    with state.sessions() as session:
        views = []
        for campaign in campaigns.all_campaigns(session):
            stats = campaigns.stats(session, campaign)
            # bars() escapes every text it writes, so its SVG may be inserted as markup.
            chart = Markup(bars(stats.per_day, f"{campaign.name}：近14天每日消息数"))
            views.append(CampaignView(stats, chart))
        return views


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep
) -> HTMLResponse:
    views = await run_in_threadpool(_views, state)
    return state.templates.TemplateResponse(
        request, "admin.html", {"cadre": admin, "csrf": web.csrf, "views": views}
    )

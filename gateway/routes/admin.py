"""GET /admin: per campaign, conversations, messages, topics, unanswered questions, handoffs
and messages per day; and the messages the outbox could not deliver. Signed-in admins only
(the dependency decides)."""

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gateway.chart import bars
from gateway.deps import AdminDep, StateDep, WebSessionDep
from gateway.letters import mask_phones
from gateway.logs import short
from gateway.state import GatewayState
from registry import campaigns, outbox
from registry.campaigns import CampaignStats
from registry.idnumber import mask_in_text
from registry.outbox_models import OutboxMessage

router = APIRouter(tags=["admin"])
PREVIEW_CHARS = 40
STATUS_NAMES = {"failed": "发送失败", "undeliverable": "无法送达", "sent": "已发出"}
# What the provider reported afterwards (Twilio's status callbacks).
DELIVERY_NAMES = {
    "accepted": "已受理",
    "queued": "排队中",
    "sending": "发送中",
    "sent": "已发出",
    "delivered": "已送达",
    "read": "已读",
    "undelivered": "未送达",
    "failed": "发送失败",
}


@dataclass
class CampaignView:
    stats: CampaignStats
    chart: Markup


@dataclass(frozen=True)
class UndeliveredView:
    """An outbox row that failed, or that the provider reported undelivered, as an admin may
    see it: the recipient as the start of its keyed hash, the text with ID numbers and phone
    numbers masked, shortened."""

    at: datetime
    channel: str
    recipient: str
    status: str
    delivery: str  # the provider's report and its error code, e.g. 「未送达（30003）」
    attempts: int
    error: str
    preview: str

    @classmethod
    def of(cls, row: OutboxMessage) -> "UndeliveredView":
        text = str(json.loads(row.payload).get("text", ""))
        preview = mask_phones(mask_in_text(text))
        if len(preview) > PREVIEW_CHARS:
            preview = preview[:PREVIEW_CHARS] + "…"
        return cls(
            row.updated_at,
            row.channel,
            short(row.recipient_key) + "…",
            STATUS_NAMES.get(row.status, row.status),
            _delivery(row),
            row.attempts,
            row.last_error or "",
            preview,
        )


def _delivery(row: OutboxMessage) -> str:
    if row.delivery_status is None:
        return ""
    name = DELIVERY_NAMES.get(row.delivery_status, row.delivery_status)
    return f"{name}（{row.delivery_error_code}）" if row.delivery_error_code else name


def _views(state: GatewayState) -> tuple[list[CampaignView], list[UndeliveredView]]:
    with state.sessions() as session:
        views = []
        for campaign in campaigns.all_campaigns(session):
            stats = campaigns.stats(session, campaign)
            # bars() escapes every text it writes, so its SVG may be inserted as markup.
            chart = Markup(bars(stats.per_day, f"{campaign.name}：近14天每日消息数"))
            views.append(CampaignView(stats, chart))
        undelivered = [UndeliveredView.of(row) for row in outbox.problems(session)]
        return views, undelivered


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep
) -> HTMLResponse:
    views, undelivered = await run_in_threadpool(_views, state)
    return state.templates.TemplateResponse(
        request,
        "admin.html",
        {"cadre": admin, "csrf": web.csrf, "views": views, "undelivered": undelivered},
    )

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
from gateway.names import channel_name, delivery_status_name, error_reason, outbox_status_name
from gateway.state import GatewayState
from registry import campaigns, outbox
from registry.campaigns import CampaignStats
from registry.idnumber import mask_in_text
from registry.outbox_models import OutboxMessage
from settlement.topics import topic_title

router = APIRouter(tags=["admin"])
PREVIEW_CHARS = 40


@dataclass
class CampaignView:
    stats: CampaignStats
    chart: Markup
    topics: list[tuple[str, int]]  # the most asked topics by Chinese name, with their counts


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
    reason: str  # in Chinese, when the error is one we know
    error: str  # as the provider or the outbox said it
    preview: str

    @classmethod
    def of(cls, row: OutboxMessage) -> "UndeliveredView":
        text = str(json.loads(row.payload).get("text", ""))
        preview = mask_phones(mask_in_text(text))
        if len(preview) > PREVIEW_CHARS:
            preview = preview[:PREVIEW_CHARS] + "…"
        return cls(
            row.updated_at,
            channel_name(row.channel),
            short(row.recipient_key) + "…",
            outbox_status_name(row.status),
            _delivery(row),
            row.attempts,
            error_reason(row.last_error or ""),
            row.last_error or "",
            preview,
        )


def _delivery(row: OutboxMessage) -> str:
    if row.delivery_status is None:
        return ""
    name = delivery_status_name(row.delivery_status)
    return f"{name}（{row.delivery_error_code}）" if row.delivery_error_code else name


def _views(state: GatewayState) -> tuple[list[CampaignView], list[UndeliveredView]]:
    with state.sessions() as session:
        views = []
        for campaign in campaigns.all_campaigns(session):
            stats = campaigns.stats(session, campaign)
            # bars() escapes every text it writes, so its SVG may be inserted as markup.
            chart = Markup(bars(stats.per_day, f"{campaign.name}：近14天每日消息数"))
            topics = [(topic_title(key), count) for key, count in stats.top_topics]
            views.append(CampaignView(stats, chart, topics))
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

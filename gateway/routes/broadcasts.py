"""Broadcasts (群发通知), admins only, for their own region: the list and the form (GET
/broadcasts), the preview with SMS segments and how many residents it reaches (POST
/broadcasts/preview), sending after confirmation (POST /broadcasts), and one broadcast's
figures with a chart (GET /broadcasts/{id}). Every post carries the CSRF token; creating is
audited (registry.broadcasts.create). No page shows a phone number or an OpenID: only counts.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gateway.channels.sms_format import segments
from gateway.chart import bars
from gateway.deps import AdminDep, CSRFDep, SignedIn, StateDep, WebSessionDep
from gateway.state import GatewayState
from gateway.text import sender_key
from registry import broadcast_stats, broadcasts, campaigns
from registry.broadcasts import Audience, Reach
from registry.people_models import Campaign
from settlement.identifiers import CATEGORY_NAMES, Category, Region

router = APIRouter(tags=["broadcasts"])
CHINA = ZoneInfo("Asia/Shanghai")  # what admins type and read
CHANNEL_NAMES = {"sms": "短信", "wechat": "微信"}
BUCKET_NAMES = {
    "queued": "待发送",
    "sent": "已发送",
    "delivered": "已送达",
    "failed": "发送失败",
    "opted_out": "已退订（未发送）",
}


@dataclass(frozen=True)
class Draft:
    """The form as typed: `villages` separated by 、，, or spaces; `schedule` as the
    datetime-local input gives it (China time), empty for now."""

    campaign: str
    text: str
    channel: str
    villages: str = ""
    categories: tuple[str, ...] = ()
    disease: str = ""
    schedule: str = ""

    def audience(self, region: str) -> Audience:
        villages = tuple(
            v
            for v in self.villages.replace("、", " ").replace("，", " ").replace(",", " ").split()
            if v
        )
        try:
            categories = tuple(Category(value) for value in self.categories)
        except ValueError:
            raise ValueError("未知的人员类别") from None
        if self.channel not in CHANNEL_NAMES:
            raise ValueError("渠道应为短信或微信")
        return Audience(
            Region(region), self.channel, villages, categories, self.disease.strip() or None
        )

    def scheduled_at(self) -> datetime | None:
        if not self.schedule:
            return None
        try:
            return datetime.fromisoformat(self.schedule).replace(tzinfo=CHINA)
        except ValueError:
            raise ValueError("发送时间格式不对") from None


def _campaigns(state: GatewayState, region: str) -> list[Campaign]:
    with state.sessions() as session:
        found = campaigns.all_campaigns(session)
        session.expunge_all()
        return [c for c in found if c.region is None or c.region.value == region]


def _page(
    request: Request, state: GatewayState, admin: SignedIn, csrf: str, **extra: Any
) -> HTMLResponse:
    context = {
        "cadre": admin,
        "csrf": csrf,
        "campaigns": _campaigns(state, admin.region),
        "category_names": {c.value: CATEGORY_NAMES[c] for c in Category},
        "channel_names": CHANNEL_NAMES,
        "draft": None,
        "error": None,
        "preview": None,
        "list": _list(state, admin.region),
    } | extra
    status = 422 if context["error"] else 200
    return state.templates.TemplateResponse(request, "broadcasts.html", context, status)


def _list(state: GatewayState, region: str) -> list[dict[str, Any]]:
    with state.sessions() as session:
        return [
            {
                "id": b.id,
                "text": b.text[:30],
                "status": b.status,
                "channel": CHANNEL_NAMES[b.channel],
                "at": b.scheduled_at.astimezone(CHINA),
            }
            for b in broadcasts.for_region(session, Region(region))
        ]


def _reach(state: GatewayState, audience: Audience) -> Reach:
    secret = state.settings.sender_secret
    with state.sessions() as session:
        return broadcasts.reach(session, audience, lambda raw: sender_key(raw, secret))


@router.get("/broadcasts", response_class=HTMLResponse)
async def broadcasts_page(
    request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep
) -> HTMLResponse:
    return await run_in_threadpool(_page, request, state, admin, web.csrf)


def _read(form: Any) -> Draft:
    return Draft(
        str(form.get("campaign", "")),
        str(form.get("text", "")),
        str(form.get("channel", "")),
        str(form.get("villages", "")),
        tuple(str(value) for value in form.getlist("categories")),
        str(form.get("disease", "")),
        str(form.get("schedule", "")),
    )


@router.post("/broadcasts/preview", response_class=HTMLResponse, dependencies=[CSRFDep])
async def preview(
    request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep
) -> HTMLResponse:
    draft = _read(await request.form())
    try:
        audience = draft.audience(admin.region)
        draft.scheduled_at()
        if not draft.text.strip():
            raise ValueError("通知内容不能为空")
        if len(draft.text.strip()) > broadcasts.MAX_TEXT:
            raise ValueError(f"通知内容最多{broadcasts.MAX_TEXT}个字")
    except ValueError as error:
        return await run_in_threadpool(
            _page, request, state, admin, web.csrf, draft=draft, error=str(error)
        )
    reach = await run_in_threadpool(_reach, state, audience)
    text = draft.text.strip()
    shown = {"text": text, "segments": segments(text), "chars": len(text), "reach": reach}
    return await run_in_threadpool(
        _page, request, state, admin, web.csrf, draft=draft, preview=shown
    )


def _create(state: GatewayState, admin: SignedIn, draft: Draft) -> tuple[int, datetime | None]:
    audience = draft.audience(admin.region)
    at = draft.scheduled_at()
    with state.sessions.begin() as session:
        campaign = campaigns.by_code(session, draft.campaign)
        if campaign is None or (
            campaign.region is not None and campaign.region.value != admin.region
        ):
            raise ValueError("请选择本地区的宣传活动")
        created = broadcasts.create(
            session,
            campaign=campaign,
            text=draft.text,
            audience=audience,
            actor=f"cadre:{admin.id}",
            scheduled_at=at,
        )
        return created.id, at


@router.post("/broadcasts", dependencies=[CSRFDep])
async def send(request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep) -> Response:
    form = await request.form()
    draft = _read(form)
    if form.get("confirm") != "yes":
        return await run_in_threadpool(
            _page, request, state, admin, web.csrf, draft=draft, error="请先预览，再确认发送"
        )
    try:
        broadcast_id, at = await run_in_threadpool(_create, state, admin, draft)
    except ValueError as error:
        return await run_in_threadpool(
            _page, request, state, admin, web.csrf, draft=draft, error=str(error)
        )
    await run_in_threadpool(state.broadcasts.start, broadcast_id, at)
    return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)


def _hour(moment: date) -> str:
    return f"{moment.hour}时" if isinstance(moment, datetime) else moment.isoformat()


def _figures(state: GatewayState, broadcast_id: int, region: str) -> dict[str, Any] | None:
    with state.sessions() as session:
        broadcast = broadcasts.by_id(session, broadcast_id)
        if broadcast is None or broadcast.region.value != region:
            return None
        stats = broadcast_stats.stats(session, broadcast)
        campaign = session.get(Campaign, broadcast.campaign_id)
        per_hour = [(moment.astimezone(CHINA), count) for moment, count in stats.per_hour]
        chart = bars(per_hour, "每小时发送条数", label=_hour)
        return {
            "broadcast": broadcast,
            "campaign": campaign.name if campaign else "",
            "stats": stats,
            # bars() escapes every text it writes, so its SVG may be inserted as markup.
            "chart": Markup(chart),
            "audience": json.loads(broadcast.villages),
            "scheduled": broadcast.scheduled_at.astimezone(CHINA),
        }


@router.get("/broadcasts/{broadcast_id}", response_class=HTMLResponse)
async def broadcast_page(
    broadcast_id: int, request: Request, state: StateDep, admin: AdminDep, web: WebSessionDep
) -> HTMLResponse:
    figures = await run_in_threadpool(_figures, state, broadcast_id, admin.region)
    if figures is None:
        raise HTTPException(status_code=404, detail="没有这条通知")
    context = {
        "cadre": admin,
        "csrf": web.csrf,
        "bucket_names": BUCKET_NAMES,
        "channel_names": CHANNEL_NAMES,
    } | figures
    return state.templates.TemplateResponse(request, "broadcast.html", context)

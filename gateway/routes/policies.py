"""Every rule in the open: GET /policies lists the regions, GET /policies/{region}?date=YYYY-MM-DD
shows each rule in force that day (default today), grouped by fund in settlement order, with
its value, dates, and the clause it quotes, its source, or the reason it is estimated (「估算」).

Public pages: no sign-in. Built from settlement/listing.py, as `healthaid policies show` is.
An unknown region is the 404 page; a date that is not YYYY-MM-DD is a 400 with the date form.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from gateway.deps import CadreDep, StateDep, WebSessionDep
from settlement.errors import InputError
from settlement.listing import (
    ESTIMATED,
    UnknownRegion,
    find_policy,
    known_regions,
    parse_day,
    policy_listing,
)
from settlement.policy import default_policies

router = APIRouter(tags=["policies"])


def _regions() -> list[tuple[str, str]]:
    return known_regions(default_policies())


@router.get("/policies", response_class=HTMLResponse)
async def policies_index(
    request: Request, state: StateDep, cadre: CadreDep, web: WebSessionDep
) -> HTMLResponse:
    regions = await run_in_threadpool(_regions)
    return state.templates.TemplateResponse(
        request,
        "policies.html",
        # No session cookie for anonymous readers: the CSRF token is only for the sign-out form.
        {"cadre": cadre, "csrf": web.csrf if cadre else None, "regions": regions},
    )


@router.get("/policies/{region}", response_class=HTMLResponse)
async def policy_page(
    region: str,
    request: Request,
    state: StateDep,
    cadre: CadreDep,
    web: WebSessionDep,
    # Text, not a date: a bad one is answered by this page (400), not by a JSON 422.
    date_text: Annotated[str | None, Query(alias="date")] = None,
) -> HTMLResponse:
    context: dict[str, object] = {"cadre": cadre, "csrf": web.csrf if cadre else None}
    policies = await run_in_threadpool(default_policies)
    try:
        policy = find_policy(policies, region)
    except UnknownRegion:
        message = "没有这个地区的政策。"
        return state.templates.TemplateResponse(
            request, "not_found.html", {**context, "message": message, "policies": True}, 404
        )
    context.update(region=region, name=policy.name, estimated=ESTIMATED)
    try:
        day = parse_day(date_text, date.today())
    except InputError as error:
        context.update(error=error.message, listing=None, date_value="")
        return state.templates.TemplateResponse(request, "policy_region.html", context, 400)
    listing = await run_in_threadpool(policy_listing, policies, region, day)
    context.update(listing=listing, error=None, date_value=day.isoformat())
    return state.templates.TemplateResponse(request, "policy_region.html", context)

"""Campaign links: GET /c/{code} opens the widget on the campaign's topic and region,
GET /c/{code}/qr.png is a printable QR code of that link."""

import io

import qrcode  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from qrcode.constants import ERROR_CORRECT_M  # type: ignore[import-untyped]
from starlette.concurrency import run_in_threadpool

from gateway.deps import CadreDep, StateDep, WebSessionDep, viewer
from gateway.routes.chat import render_widget
from gateway.state import GatewayState
from registry import campaigns

router = APIRouter(tags=["campaigns"])


def _find(state: GatewayState, code: str) -> dict[str, str | None] | None:
    with state.sessions() as session:
        campaign = campaigns.by_code(session, code)
        if campaign is None:
            return None
        return {
            "code": campaign.code,
            "name": campaign.name,
            "topic": campaign.topic,
            "region": campaign.region.value if campaign.region else None,
        }


async def _not_found(request: Request, state: GatewayState) -> HTMLResponse:
    return state.templates.TemplateResponse(
        request, "not_found.html", await viewer(request, state), status_code=404
    )


@router.get("/c/{code}", response_class=HTMLResponse)
async def campaign_page(
    code: str, request: Request, state: StateDep, web: WebSessionDep, cadre: CadreDep
) -> HTMLResponse:
    campaign = await run_in_threadpool(_find, state, code)
    if campaign is None:
        return await _not_found(request, state)
    return render_widget(request, state, web, cadre, campaign)


def public_link(state: GatewayState, request: Request, code: str) -> str:
    base = state.settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/c/{code}"


def qr_png(link: str) -> bytes:
    """A QR code with a wide quiet zone and medium error correction: it still scans from a
    poster that is creased or partly wet."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(link)
    code.make(fit=True)
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@router.get("/c/{code}/qr.png", responses={200: {"content": {"image/png": {}}}})
async def campaign_qr(code: str, request: Request, state: StateDep) -> Response:
    if await run_in_threadpool(_find, state, code) is None:
        return await _not_found(request, state)
    png = await run_in_threadpool(qr_png, public_link(state, request, code))
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

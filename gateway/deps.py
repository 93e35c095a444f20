"""Dependencies as typed aliases; permission checks live here, not in the routes."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from gateway.auth import CSRF_FIELD, CSRF_HEADER, WebSession, csrf_ok, load_session
from gateway.settings import Settings
from gateway.state import GatewayState
from registry import cadres


class LoginRequired(Exception):
    """An anonymous visitor asked for a signed-in page: the app redirects to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@dataclass(frozen=True)
class SignedIn:
    """The signed-in cadre, detached from any database session."""

    id: int
    username: str
    display_name: str
    role: str
    region: str
    villages: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_web_session(request: Request, state: StateDep) -> WebSession:
    return load_session(request, state.settings)


WebSessionDep = Annotated[WebSession, Depends(get_web_session)]


def _load_cadre(state: GatewayState, cadre_id: int) -> SignedIn | None:
    with state.sessions() as session:
        cadre = cadres.get(session, cadre_id)
        if cadre is None:
            return None
        return SignedIn(
            cadre.id,
            cadre.username,
            cadre.display_name,
            cadre.role,
            cadre.region.value,
            tuple(cadre.village_names),
        )


async def current_cadre(state: StateDep, web: WebSessionDep) -> SignedIn | None:
    if web.cadre_id is None:
        return None
    # A deleted account signs out at once: the id in the cookie is checked every request.
    return await run_in_threadpool(_load_cadre, state, web.cadre_id)


CadreDep = Annotated[SignedIn | None, Depends(current_cadre)]


async def viewer(request: Request, state: GatewayState) -> dict[str, Any]:
    """Who is looking, for a page rendered outside a route's dependencies (an error page), so
    its header does not call a signed-in cadre 「未登录」."""
    web = load_session(request, state.settings)
    try:
        cadre = await current_cadre(state, web)
    except SQLAlchemyError:  # the error page still shows, as to anyone
        cadre = None
    return {"cadre": cadre, "csrf": web.csrf if cadre else None}


async def require_admin(request: Request, cadre: CadreDep) -> SignedIn:
    if cadre is None:
        raise LoginRequired(request.url.path)
    if not cadre.is_admin:
        raise HTTPException(status_code=403, detail="只有管理员可以查看此页面")
    return cadre


AdminDep = Annotated[SignedIn, Depends(require_admin)]


async def require_cadre(request: Request, cadre: CadreDep) -> SignedIn:
    """Any signed-in cadre or admin; anonymous visitors are sent to the sign-in page."""
    if cadre is None:
        raise LoginRequired(request.url.path)
    return cadre


SignedInDep = Annotated[SignedIn, Depends(require_cadre)]


async def require_csrf(request: Request, web: WebSessionDep) -> None:
    """State-changing forms carry the session's CSRF token in a field or the header."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if web.changed or not csrf_ok(web, given):
        raise HTTPException(status_code=403, detail="页面已过期，请刷新后重试（CSRF）")


CSRFDep = Depends(require_csrf)

"""Cadre sign-in: GET/POST /login, POST /logout.

Rate limited per IP and per username (5 failures per 15 minutes by default): argon2 makes each
guess slow, the limit makes guessing a password hopeless. A successful sign-in starts a new
session (new CSRF token), so a token planted before sign-in is useless afterwards.
"""

import contextlib
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.auth import WebSession, clear_session, save_session
from gateway.deps import CadreDep, StateDep, WebSessionDep, require_csrf
from gateway.logs import get_logger
from gateway.replies import BUSY
from gateway.shared import SharedStateError
from gateway.state import GatewayState
from registry import cadres

router = APIRouter(tags=["sign-in"])
TOO_MANY = "登录尝试次数过多，请15分钟后再试。"
WRONG = "用户名或密码不正确。"


def _safe_next(target: str | None) -> str:
    """Only a local path: an open redirect would let a phishing link borrow our address."""
    if not target:
        return "/chat"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/chat"
    return target


def _page(
    request: Request,
    state: GatewayState,
    web: WebSession,
    *,
    error: str | None = None,
    next_path: str = "/chat",
    status: int = 200,
) -> HTMLResponse:
    page = state.templates.TemplateResponse(
        request,
        "login.html",
        {"csrf": web.csrf, "error": error, "next": next_path, "cadre": None},
        status_code=status,
    )
    if web.changed:
        save_session(page, web, state.settings)
    return page


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, state: StateDep, web: WebSessionDep, cadre: CadreDep, next: str = "/chat"
) -> Response:
    if cadre is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _page(request, state, web, next_path=_safe_next(next))


def _authenticate(state: GatewayState, username: str, password: str) -> int | None:
    with state.sessions() as session:
        cadre = cadres.authenticate(session, username, password)
        return cadre.id if cadre else None


def _blocked(state: GatewayState, ip: str, user_key: str) -> bool:
    shared = state.shared
    return shared.login_failures_by_ip.blocked(ip) or shared.login_failures_by_user.blocked(
        user_key
    )


def _record_failure(state: GatewayState, ip: str, user_key: str) -> None:
    state.shared.login_failures_by_ip.record(ip)
    state.shared.login_failures_by_user.record(user_key)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def login(
    request: Request,
    state: StateDep,
    web: WebSessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/chat",
) -> Response:
    ip = request.client.host if request.client else "unknown"
    user_key = username.strip().lower()
    target = _safe_next(next)
    # In worker threads: with Redis these calls block.
    try:
        blocked = await run_in_threadpool(_blocked, state, ip, user_key)
    except SharedStateError:
        # Without the failure counts there is no guessing limit: no sign-in until Redis is back.
        return _page(request, state, web, error=BUSY, next_path=target, status=503)
    if blocked:
        return _page(request, state, web, error=TOO_MANY, next_path=target, status=429)
    cadre_id = await run_in_threadpool(_authenticate, state, username.strip(), password)
    if cadre_id is None:
        with contextlib.suppress(SharedStateError):  # the answer is "wrong password" anyway
            await run_in_threadpool(_record_failure, state, ip, user_key)
        get_logger().info("login_failed")
        return _page(request, state, web, error=WRONG, next_path=target, status=401)
    get_logger().info("login", extra={"cadre_id": cadre_id})
    response = RedirectResponse(target, status_code=303)
    save_session(response, WebSession(cadre_id=cadre_id), state.settings)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
async def logout(state: StateDep) -> Response:
    response = RedirectResponse("/chat", status_code=303)
    clear_session(response, state.settings)
    return response

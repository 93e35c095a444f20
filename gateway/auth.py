"""Web sessions for the widget and cadre sign-in: a signed cookie, CSRF tokens, the sender id.

The session cookie is signed (itsdangerous), not encrypted: it holds only the cadre's id and
the CSRF token, both useless without the signature. The sender id cookie names the widget
conversation; it is random and HttpOnly, and only its keyed hash reaches Rasa.
"""

import hmac
import secrets
from dataclasses import dataclass, field

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.settings import Settings

SESSION_COOKIE = "healthaid_session"
SENDER_COOKIE = "healthaid_sid"
SESSION_SECONDS = 12 * 60 * 60
SENDER_SECONDS = 90 * 24 * 60 * 60
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass
class WebSession:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cadre_id: int | None = None
    changed: bool = True  # a new session must be sent to the browser


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_secrets, salt="healthaid.session")


def load_session(request: Request, settings: Settings) -> WebSession:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            data = _serializer(settings).loads(raw, max_age=SESSION_SECONDS)
        except BadSignature:  # forged, from another secret key, or expired
            data = None
        if isinstance(data, dict) and isinstance(data.get("csrf"), str):
            cadre_id = data.get("cadre_id")
            return WebSession(
                data["csrf"], cadre_id if isinstance(cadre_id, int) else None, changed=False
            )
    return WebSession()


def save_session(response: Response, session: WebSession, settings: Settings) -> None:
    value = _serializer(settings).dumps({"csrf": session.csrf, "cadre_id": session.cadre_id})
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def csrf_ok(session: WebSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf.encode(), (given or "").encode())


def sender_id(request: Request) -> tuple[str, bool]:
    """The widget's sender id, and whether it is new (then `set_sender_cookie`)."""
    current = request.cookies.get(SENDER_COOKIE, "")
    if 20 <= len(current) <= 64 and current.replace("-", "").replace("_", "").isalnum():
        return current, False
    return secrets.token_urlsafe(24), True


def set_sender_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        SENDER_COOKIE,
        value,
        max_age=SENDER_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )

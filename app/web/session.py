"""Sign-in sessions of the web pages: a signed, http-only, SameSite=Lax, Secure cookie, and CSRF tokens.

Why a signed cookie and not the token itself: the cookie never holds the API token's secret. It holds the
token's id, when the session began and a random nonce, signed with HMAC-SHA256 over those and the token's
stored hash, with a secret only the server knows. So a copied cookie does not reveal a token that would
work against the API, a session ends when its token is revoked or expires (every request looks the token
up, as the API does), and a session lasts at most `session_max_age_seconds` whatever the cookie says.
Signing out clears the cookie; there is no server-side session table, so a cookie copied before sign-out
stays valid until it is too old or its token is revoked (docs/pages.md).

CSRF: every form carries a token derived from the session's nonce (HMAC with a separate label), checked on
every POST before anything else. The sign-in form, before there is a session, uses a short-lived nonce
cookie the same way (double submit, signed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import SecurityScopes
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.access import AUTHORISERS, admit, requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import ProblemError
from app.settings import get_settings
from models import ApiToken

SESSION_COOKIE = "stp_session"
SIGN_IN_COOKIE = "stp_sign_in"
CSRF_FIELD = "csrf_token"
SIGN_IN_NONCE_SECONDS = 3600
# A page form never carries more than an upload; anything much larger is refused before it is parsed.
_FORM_OVERHEAD = 64 * 1024


class SignInRequired(ProblemError):
    """No session, or one that is no longer valid: the pages answer with the sign-in page."""

    def __init__(self, detail: str = "Please sign in") -> None:
        super().__init__(401, detail)


class CsrfRefused(ProblemError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "The form's security token is missing or out of date, so nothing was done. "
            "Reload the page and try again.",
        )


def session_secret() -> bytes:
    configured = get_settings().session_secret
    return configured.encode() if configured else _PROCESS_SECRET


_PROCESS_SECRET = secrets.token_bytes(32)


def _mac(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebSession:
    token_id: int
    issued_at: int
    nonce: str

    def csrf_token(self, secret: bytes) -> str:
        return _mac(secret, "csrf", self.nonce)


def _token_fingerprint(token: ApiToken) -> str:
    return token.token_hash


def session_cookie_value(secret: bytes, token: ApiToken, issued_at: int | None = None) -> str:
    issued = int(time.time()) if issued_at is None else issued_at
    nonce = secrets.token_urlsafe(18)
    signature = _mac(secret, "session", str(token.id), str(issued), nonce, _token_fingerprint(token))
    return f"{token.id}.{issued}.{nonce}.{signature}"


def _parse(value: str) -> tuple[WebSession, str] | None:
    parts = value.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return WebSession(int(parts[0]), int(parts[1]), parts[2]), parts[3]


def read_session(
    request: Request, session: Session, now: float | None = None
) -> tuple[WebSession, ApiToken] | None:
    """The request's valid session and its live token, or None."""
    value = request.cookies.get(SESSION_COOKIE)
    parsed = _parse(value) if value else None
    if parsed is None:
        return None
    web_session, signature = parsed
    age = (time.time() if now is None else now) - web_session.issued_at
    if age < 0 or age > get_settings().session_max_age_seconds:
        return None
    token = session.get(ApiToken, web_session.token_id)
    if token is None:
        return None
    expected = _mac(
        session_secret(),
        "session",
        str(web_session.token_id),
        str(web_session.issued_at),
        web_session.nonce,
        _token_fingerprint(token),
    )
    if not hmac.compare_digest(expected, signature):
        return None
    # Revoked or expired since sign-in: the session ends with its token.
    if service.authenticate_token(token) is None:
        return None
    return web_session, token


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=get_settings().session_cookie_secure,
        httponly=True,
        samesite="lax",
    )


def start_session(response: Response, token: ApiToken) -> None:
    value = session_cookie_value(session_secret(), token)
    set_cookie(response, SESSION_COOKIE, value, get_settings().session_max_age_seconds)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=get_settings().session_cookie_secure, httponly=True, samesite="lax"
    )


def sign_in_csrf(request: Request, response: Response) -> str:
    """The sign-in form's CSRF token, setting (or keeping) its nonce cookie."""
    nonce = request.cookies.get(SIGN_IN_COOKIE) or ""
    if len(nonce) < 16:
        nonce = secrets.token_urlsafe(18)
    set_cookie(response, SIGN_IN_COOKIE, nonce, SIGN_IN_NONCE_SECONDS)
    return _mac(session_secret(), "sign-in", nonce)


def check_sign_in_csrf(request: Request, submitted: str) -> None:
    nonce = request.cookies.get(SIGN_IN_COOKIE) or ""
    if not nonce or not hmac.compare_digest(_mac(session_secret(), "sign-in", nonce), submitted):
        raise CsrfRefused()


async def read_form_checked(request: Request, expected_csrf: str) -> None:
    """Parse a POSTed form (cached on the request for the route) and check its CSRF token first."""
    limit = get_settings().upload_max_bytes + _FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise ProblemError(411, "A form must be sent with its length")
    if int(declared) > limit:
        raise ProblemError(413, f"The form is larger than the {limit // (1024 * 1024)} MB allowed")
    form = await request.form(max_files=1, max_fields=50)
    submitted = form.get(CSRF_FIELD)
    if not isinstance(submitted, str) or not hmac.compare_digest(submitted, expected_csrf):
        raise CsrfRefused()


async def authorise_page(
    request: Request, security_scopes: SecurityScopes, session: Session = request_session
) -> Caller:
    """The pages' `authorise`: the caller from the session cookie, then the API's own checks (`admit`):
    a footprint not granted is 404, a need the role lacks 403, a write is audited. A POST must carry the
    session's CSRF token (checked before the role, so a forged form learns nothing)."""
    found = await run_in_threadpool(read_session, request, session)
    if found is None:
        raise SignInRequired()
    web_session, token = found
    secret = session_secret()
    request.state.web_session = web_session
    request.state.csrf_token = web_session.csrf_token(secret)
    if request.method == "POST":
        await read_form_checked(request, request.state.csrf_token)
    # Known before the checks, so an error page (403, 404) still shows who is signed in.
    request.state.caller = service.caller_for(token)
    return await run_in_threadpool(admit, request, session, request.state.caller, security_scopes)


AUTHORISERS.add(authorise_page)


def requires_page(need: Need) -> Any:
    """A page's declaration of its need, as `requires` is an API route's (it also hands over the caller)."""
    if need is Need.PUBLIC:
        return requires(need)
    return Security(authorise_page, scopes=[need.value])

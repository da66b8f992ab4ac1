"""Sign in, sign out, the list of footprints, and the app's own copy of plotly.js."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.auth import service as tokens
from app.auth.access import PAGES_PREFIX, requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.settings import get_settings
from app.web import listing
from app.web import session as web
from app.web.render import page

router = APIRouter(prefix=PAGES_PREFIX, include_in_schema=False)


def _plotly_js() -> Path:
    spec = importlib.util.find_spec("plotly")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_js()


def _safe_next(target: str | None) -> str:
    """Only a page of this app, never another host (an open redirect would make sign-in a phishing aid)."""
    if not target:
        return PAGES_PREFIX
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(PAGES_PREFIX) or target.startswith("//"):
        return PAGES_PREFIX
    return target


@router.get("/plotly.min.js", dependencies=[requires(Need.PUBLIC)])
def plotly_js() -> FileResponse:
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/sign-in", dependencies=[requires(Need.PUBLIC)])
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_page(request, 200, _safe_next(next))


def _sign_in_page(request: Request, status: int, next_page: str, message: str = "") -> Response:
    # The template needs the token and the cookie must carry its nonce: render, then set both.
    holder = Response()
    token = web.sign_in_csrf(request, holder)
    context = {
        "title": "Sign in",
        "next": next_page,
        "sign_in_csrf": token,
        "message": message,
        "hours": get_settings().session_max_age_seconds // 3600,
    }
    final = page(request, "sign_in.html", context, status=status)
    for key, value in holder.headers.items():
        if key == "set-cookie":
            final.headers.append(key, value)
    return final


@router.post("/sign-in", dependencies=[requires(Need.PUBLIC)])
async def sign_in(request: Request, session: Session = request_session) -> Response:
    form = await request.form(max_fields=10, max_files=0)
    submitted = form.get(web.CSRF_FIELD)
    web.check_sign_in_csrf(request, submitted if isinstance(submitted, str) else "")
    secret = form.get("token")
    next_page = _safe_next(str(form.get("next") or ""))
    token = (
        await run_in_threadpool(tokens.authenticate, session, secret.strip())
        if isinstance(secret, str) and secret.strip()
        else None
    )
    if token is None:
        message = "That token is not valid (unknown, expired or revoked)."
        return _sign_in_page(request, 401, next_page, message)
    response = RedirectResponse(next_page, status_code=303)
    web.start_session(response, token)
    return response


@router.post("/sign-out")
def sign_out(caller: Caller = web.requires_page(Need.DATA_READ)) -> Response:
    response = RedirectResponse(f"{PAGES_PREFIX}/sign-in", status_code=303)
    web.end_session(response)
    return response


@router.get("")
def home(
    request: Request, session: Session = request_session, caller: Caller = web.requires_page(Need.DATA_READ)
) -> Response:
    found = listing.footprints(session, caller.visible(None))
    if len(found) == 1:
        return RedirectResponse(f"{PAGES_PREFIX}/footprints/{found[0].code}", status_code=303)
    return page(request, "home.html", {"title": "Your footprints", "footprints": found})

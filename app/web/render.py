"""Templates, the number formats a finance director reads, and the pages' error answers."""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.auth.access import PAGES_PREFIX, is_page_path
from app.core.errors import ProblemError

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
MINUS = "\u2212"


def money(value: Decimal | float | int | str | None, pence: bool = True) -> str:
    """£1,234,567.89 (or −£1,234.50); whole pounds when pence is False; an en dash for no figure."""
    if value is None:
        return "\u2013"
    amount = Decimal(str(value))
    if not pence:
        amount = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        text = f"£{abs(amount):,.0f}"
    else:
        text = f"£{abs(amount):,.2f}"
    return f"{MINUS}{text}" if amount < 0 else text


def thousands(value: Decimal | float | int | None) -> str:
    """A sum of pounds in £000 (1,234,567.89 -> "1,235"), for wide tables headed "£000"."""
    if value is None:
        return "\u2013"
    amount = (Decimal(str(value)) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{MINUS}{abs(amount):,}" if amount < 0 else f"{amount:,}"


def millions(value: Decimal | float | str | None) -> str:
    """£12.3m: for headlines, next to the exact figure."""
    if value is None:
        return "\u2013"
    amount = Decimal(str(value)) / Decimal(1_000_000)
    text = f"£{abs(amount):,.1f}m"
    return f"{MINUS}{text}" if amount < 0 else text


def percent(value: float | Decimal | None, places: int = 1) -> str:
    if value is None:
        return "\u2013"
    return f"{float(value) * 100:,.{places}f} %"


def number(value: float | Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return "\u2013"
    return f"{Decimal(str(value)):,.{places}f}"


def when(value: datetime | None) -> str:
    return "\u2013" if value is None else value.strftime("%d %b %Y %H:%M")


def seconds(value: float | None) -> str:
    if value is None:
        return "\u2013"
    minutes, secs = divmod(int(round(value)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{value:.1f} s"


def to_json(value: Any) -> Markup:
    # Inside a <script type="application/json">: "</" must never close the element.
    return Markup(json.dumps(value, default=str).replace("</", "<\\/"))


templates.env.filters.update(
    money=money,
    thousands=thousands,
    millions=millions,
    percent=percent,
    number=number,
    when=when,
    seconds=seconds,
    json=to_json,
)
templates.env.globals["PAGES"] = PAGES_PREFIX


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    state = request.state
    full = {
        "caller": getattr(state, "caller", None),
        "csrf_token": getattr(state, "csrf_token", ""),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, full, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(
    request: Request, status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    titles = {
        403: "Not allowed",
        404: "Not found",
        409: "Not possible now",
        413: "Too large",
        422: "Not valid",
    }
    return page(
        request,
        "error.html",
        {
            "status": status,
            "title": titles.get(status, "Something went wrong"),
            "detail": detail,
            "errors": errors or [],
        },
        status=status,
    )


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def field_errors(errors: Sequence[Any], skip: int = 0) -> list[dict[str, str]]:
    """pydantic's errors as the rows a page's error table shows: the field (dotted, `form` for the whole
    form) and the message; `skip` leading parts of each location are not field names."""
    return [
        {"field": ".".join(str(p) for p in e.get("loc", ())[skip:]) or "form", "message": e.get("msg", "")}
        for e in errors
    ]


def install_page_errors(app: FastAPI) -> None:
    """Errors on pages are pages (the API keeps its problem documents): a missing or ended session goes
    to the sign-in page, everything else is an HTML page with the same status the API would give."""
    api_problem = app.exception_handlers[ProblemError]
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[StarletteHTTPException]

    async def problem(request: Request, exc: Exception) -> Response:
        if not is_page_path(request.url.path):
            return await _delegate(api_problem, request, exc)
        assert isinstance(exc, ProblemError)
        if exc.status == 401:
            target = request.url.path if request.method == "GET" else PAGES_PREFIX
            if request.url.query and request.method == "GET":
                target += "?" + request.url.query
            return RedirectResponse(f"{PAGES_PREFIX}/sign-in?next={quote(target)}", status_code=303)
        return error_page(request, exc.status, exc.detail, exc.errors)

    async def validation(request: Request, exc: Exception) -> Response:
        if not is_page_path(request.url.path):
            return await _delegate(api_validation, request, exc)
        assert isinstance(exc, RequestValidationError)
        # loc starts with where the value came from (path, query, body): not a field the person filled in
        return error_page(request, 422, "The address or form is not valid", field_errors(exc.errors(), 1))

    async def http(request: Request, exc: Exception) -> Response:
        if not is_page_path(request.url.path):
            return await _delegate(api_http, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code, str(exc.detail))

    app.add_exception_handler(ProblemError, problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    # The API's other answers (a concurrent writer's 503, a value the database refused, a clash): the same
    # status and words, as a page.
    for exception, handler in list(app.exception_handlers.items()):
        if exception not in (ProblemError, RequestValidationError, StarletteHTTPException):
            app.add_exception_handler(exception, _as_page(handler))


def _as_page(api_handler: Any) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        response = await _delegate(api_handler, request, exc)
        if not is_page_path(request.url.path) or response.media_type != "application/problem+json":
            return response
        problem = json.loads(bytes(response.body))
        page_response = error_page(request, response.status_code, str(problem.get("detail", "")))
        for header in ("retry-after",):
            if header in response.headers:
                page_response.headers[header] = response.headers[header]
        return page_response

    return handler

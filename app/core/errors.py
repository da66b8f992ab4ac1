"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """Raised by services; turned into a problem document by the web layer.

    `errors` lists the individual problems, each a dict with at least `message` and a location
    (`loc` for JSON fields, or `sheet`/`cell`/`column`/`value` for spreadsheets).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title or _TITLES.get(status, "Error")
        self.detail = detail
        self.errors = errors or []
        self.headers = headers
        self.extra = extra


class NotFound(ProblemError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(404, f"{what} {key!s} not found")


class Conflict(ProblemError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(409, detail, **extra)


class Invalid(ProblemError):
    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(422, detail, errors=errors)


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    return "/" + "/".join(str(part) for part in loc)


def is_concurrency_failure(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return "database is locked" in message or sqlstate in {"40001", "40P01", "55P03"}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(err.get("loc", ())),
                "pointer": _loc_to_pointer(err.get("loc", ())),
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or None,
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] or e["pointer"] for e in errors[:5])
        return problem_response(request, 422, f"Request is not valid: {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _data(request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value the request carried (a NUL character, a text longer than its
        # column, a number out of range — SQLite's driver raises a bare OverflowError for an id beyond
        # 64 bits): the client's data, so a 422 rather than a 500.
        return problem_response(
            request,
            422,
            "A value in the request cannot be stored or compared (too long, out of range, or a NUL)",
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # A concurrent writer (SQLite "database is locked", PostgreSQL serialization failure or
        # deadlock): the transaction was rolled back, so the client can safely send it again.
        if is_concurrency_failure(exc):
            return problem_response(
                request,
                503,
                "Another change was being saved at the same moment; nothing was saved. Send it again.",
                headers={"Retry-After": "2"},
            )
        raise exc

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A fault of ours: a problem document like every other answer, and nothing of the exception
        # (class, message, SQL) shown to the client; the server's log has the traceback.
        return problem_response(
            request,
            500,
            "Something went wrong on our side; nothing was saved. If it happens again, tell the service's "
            "administrators what you sent and when.",
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check natural keys first; this catches the race where two requests insert at once.
        return problem_response(
            request, 409, "The change clashes with existing data (a unique key or reference)."
        )

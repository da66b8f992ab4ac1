"""RFC 9457 problem details for every error the API returns.

Each kind of error has a stable `type` URI, `/problems/<kind>` on this service (GET it for a description;
the list is in PROBLEM_TYPES, the OpenAPI description and docs/analysts/index.md): clients branch on
`type`, people read `detail`, a sentence that says what was wrong and what to do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

PROBLEMS_PATH = "/problems"

# kind -> (title, what it means and what to do): the stable `type` URIs of the API's errors.
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad request", "The request cannot be understood as sent."),
    "malformed-json": (
        "Malformed JSON",
        "The body is not valid JSON; `detail` and `errors` give the line and column where reading stopped "
        "and what was expected there.",
    ),
    "invalid-request": (
        "The request is not valid",
        "A path, query or body field is missing, of the wrong type or out of range; `errors` lists every "
        "field with a JSON pointer and a message.",
    ),
    "unknown-filter-value": (
        "Unknown filter value",
        "A query filter names something that does not exist (a function, an organisation outside the "
        "footprint, a footprint, a financial year that is not one); `errors[].allowed` lists the values "
        "that do.",
    ),
    "invalid-cursor": (
        "Not a cursor of this list",
        "The `cursor` was not given out by this list; leave it out to start from the first page.",
    ),
    "invalid-data": (
        "The data is not valid",
        "The request is well formed but its content breaks a rule of the domain (an unknown organisation "
        "or function, a duplicate line, contradictory settings); `errors` lists every problem.",
    ),
    "invalid-workbook": (
        "The workbook has problems",
        "An uploaded workbook was refused and nothing from it was saved; `errors` lists every problem "
        "with its sheet, cell and column.",
    ),
    "stale-workbook": (
        "The workbook is older than the data",
        "The workbook was exported before later changes to the footprint's data and uploading it would put "
        "old figures back; `errors` lists what changed since. Export again, or upload with "
        "`?overwrite=true` to revert those changes on purpose.",
    ),
    "not-a-spreadsheet": (
        "Not a spreadsheet",
        "The uploaded file is not a workbook this service reads (.xlsx, .xlsm, .xls, .ods), or it is "
        "damaged, password-protected or unsafe to open.",
    ),
    "too-large": ("Too large", "The request or file is over the service's size limit."),
    "unauthorised": (
        "Unauthorised",
        "No bearer token was sent, or it is unknown, expired or revoked: send `Authorization: Bearer "
        "<token>`.",
    ),
    "forbidden": ("Forbidden", "The token's role may not do this; `detail` names the need it lacks."),
    "not-found": (
        "Not found",
        "Nothing has that identifier, or it is in a footprint the token may not see (the same answer, so "
        "nobody learns which footprints exist).",
    ),
    "method-not-allowed": ("Method not allowed", "The path exists but not with this HTTP method."),
    "conflict": (
        "Conflict",
        "The request clashes with the data as it is now (it already exists, is in use, or is in the "
        "wrong state, such as a run that has not finished).",
    ),
    "unsupported-media-type": ("Unsupported media type", "The body is not of a type this operation reads."),
    "value-not-storable": (
        "A value cannot be stored",
        "A value is too long, out of range or holds a NUL character, so the database cannot store or "
        "compare it.",
    ),
    "busy-retry": (
        "Busy: send it again",
        "Another change was being saved at the same moment; nothing was saved. Send the same request "
        "again (see Retry-After).",
    ),
    "too-many-requests": (
        "Too many requests",
        "Too many runs or sweeps are already waiting to start for this token or footprint; nothing was "
        "queued. Send it again after Retry-After seconds, or cancel runs no longer needed "
        "(docs/operators/limits.md).",
    ),
    "unprintable-text": (
        "Text holds a character it may not",
        "A text holds a control character, a lone surrogate or a non-character (only fields of several "
        "lines may hold tabs and line breaks); `errors` names each place (docs/operators/limits.md).",
    ),
    "server-error": ("Internal server error", "Something failed in the service; nothing was saved."),
    "unavailable": ("Service unavailable", "The service cannot answer now; try again later."),
}

_KIND_OF_STATUS = {
    400: "bad-request",
    401: "unauthorised",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-data",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}


def problem_type(kind: str) -> str:
    """The stable `type` URI of a kind of error (a path on this service, which describes it)."""
    if kind not in PROBLEM_TYPES:
        raise KeyError(f"unknown problem kind {kind!r}: add it to PROBLEM_TYPES")
    return f"{PROBLEMS_PATH}/{kind}"


def sentence(text: str) -> str:
    """A message as a sentence: a capital letter first, a full stop (or ? or !) at the end."""
    text = text.strip()
    if text.startswith("Value error, "):  # pydantic's prefix for a validator's ValueError
        text = text[len("Value error, ") :]
    if not text:
        return text
    if text[0].islower():
        text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    return text


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
        kind: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers
        self.extra = extra


class NotFound(ProblemError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(404, f"{what} {key!s} was not found.")


class Conflict(ProblemError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(409, detail, **extra)


class Invalid(ProblemError):
    def __init__(
        self, detail: str, errors: list[dict[str, Any]] | None = None, *, kind: str = "invalid-data"
    ) -> None:
        super().__init__(422, detail, errors=errors, kind=kind)


def unknown_filter_value(parameter: str, value: str, what: str, allowed: Sequence[str]) -> Invalid:
    """A filter value that matches nothing by construction (a function that does not exist, an action
    nothing records): a mistake, not an empty list, so 422 naming the values that would mean something."""
    shown = ", ".join(allowed[:60]) + (f" and {len(allowed) - 60} more" if len(allowed) > 60 else "")
    message = f"There is no {what} {value!r}." + (f" Use one of: {shown}." if allowed else "")
    return Invalid(
        message,
        errors=[{"loc": ["query", parameter], "value": value, "message": message, "allowed": list(allowed)}],
        kind="unknown-filter-value",
    )


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
    **extra: Any,
) -> JSONResponse:
    kind = kind or _KIND_OF_STATUS.get(status, "server-error" if status >= 500 else "bad-request")
    body: dict[str, Any] = {
        "type": problem_type(kind),
        "title": title or PROBLEM_TYPES[kind][0],
        "status": status,
        "detail": sentence(detail),
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [
            {**error, "message": sentence(error["message"])}
            if isinstance(error.get("message"), str)
            else error
            for error in errors
        ]
    body.update(extra)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_response(request: Request, exc: ProblemError, **extra: Any) -> JSONResponse:
    """The problem document of a raised ProblemError (its own extra members, then `extra`)."""
    return problem_response(
        request,
        exc.status,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        kind=exc.kind,
        **{**exc.extra, **extra},
    )


def _loc_to_pointer(loc: tuple[Any, ...] | list[Any]) -> str:
    return "/" + "/".join(str(part) for part in loc)


def _where(loc: list[Any]) -> str:
    """`["body", "lines", 0, "pay"]` -> `body field lines/0/pay`; `["query", "limit"]` -> `query
    parameter limit`."""
    if not loc:
        return "the request"
    place, rest = str(loc[0]), "/".join(str(part) for part in loc[1:])
    if place == "body":
        return f"body field {rest}" if rest else "the body"
    return f"{place} parameter {rest}" if rest else place


def _malformed_json(request: Request, error: Any, body: Any) -> JSONResponse:
    """Where reading the JSON stopped (line and column, from the character offset) and what it expected."""
    loc = error.get("loc", ())
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    expected = (error.get("ctx") or {}).get("error") or "not JSON"
    text = (
        body.decode("utf-8", "replace")
        if isinstance(body, bytes)
        else body
        if isinstance(body, str)
        else None
    )
    line: int | None = None
    column: int | None = None
    if position is not None and text is not None:
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        where = f"line {line}, column {column}"
        message = f"{expected} at line {line}, column {column} (character {position + 1})"
    else:
        where = "the body"
        message = expected
    return problem_response(
        request,
        422,
        f"The body is not valid JSON: {message}. Check the JSON at {where}.",
        errors=[
            {
                "loc": ["body"],
                "pointer": "/body",
                "line": line,
                "column": column,
                "message": f"{expected}.",
                "type": "json_invalid",
            }
        ],
        kind="malformed-json",
    )


def is_concurrency_failure(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return "database is locked" in message or sqlstate in {"40001", "40P01", "55P03"}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        malformed = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if malformed is not None:
            return _malformed_json(request, malformed, exc.body)
        errors: list[dict[str, Any]] = [
            {
                "loc": list(err.get("loc", ())),
                "pointer": _loc_to_pointer(err.get("loc", ())),
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or None,
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        first: dict[str, Any] = errors[0] if errors else {"loc": [], "message": ""}
        where = _where(first["loc"])
        more = (
            f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in `errors`)"
            if len(errors) > 1
            else ""
        )
        return problem_response(
            request,
            422,
            f"The request is not valid: {where}: {sentence(first['message'])}{more}",
            errors=errors,
            kind="invalid-request",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}; see /docs for the paths this service answers."
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; see /docs for its methods."
        return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

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
            kind="value-not-storable",
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
                kind="busy-retry",
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

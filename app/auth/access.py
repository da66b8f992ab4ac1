"""The one place that decides access: every route declares its need with `requires(Need.X)`.

    @router.post("/footprints/{code}/things")
    def create_thing(code: str, caller: Caller = requires(Need.DATA_WRITE), ...): ...

or, when the route does not use the caller, `dependencies=[requires(Need.DATA_READ)]`.

`authorise` then checks, in this order: a live bearer token (else 401), the footprint in the path
(`/footprints/{code}/...`) is one the token was granted (else 404, exactly as for a footprint that does
not exist), the token's role holds the need (else 403). A write that passes is recorded in the audit
trail in the request's own transaction, so a write that fails leaves no entry.

`create_app` refuses to build an app with a route that declares no need (`check_routes_declare_needs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import service
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import NotFound, ProblemError

FOOTPRINT_PATH_PREFIX = "/footprints/"
FOOTPRINT_PATH_PARAM = "code"
# A footprint code longer than its column names no footprint; answered before the database sees it
# (PostgreSQL refuses to store it, e.g. in the audit entry, where SQLite would not).
FOOTPRINT_CODE_MAX = 16
# The web pages (app/web/) live under this prefix; their footprint pages under PAGES_PREFIX + /footprints/.
PAGES_PREFIX = "/ui"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token (`stpplan token create`, or `POST /tokens` as an admin).",
)


class Unauthenticated(ProblemError):
    def __init__(self, detail: str, error: str | None = None) -> None:
        challenge = "Bearer" if error is None else f'Bearer error="{error}"'
        super().__init__(401, detail, headers={"WWW-Authenticate": challenge}, kind="unauthorised")


class Forbidden(ProblemError):
    def __init__(self, caller: Caller, need: Need) -> None:
        role = caller.role.value
        article = "An" if role[:1] in "aeiou" else "A"
        super().__init__(403, f"{article} {role} token may not do this: it needs {need.value}.")


def _public() -> None:
    """Marks a route that anyone may call."""


def requires(need: Need) -> Any:
    """The declaration of a route's need; as a parameter default it also hands the route its `Caller`."""
    if need is Need.PUBLIC:
        return Depends(_public)
    return Security(authorise, scopes=[need.value])


def _footprint_in_path(request: Request) -> str | None:
    code = request.path_params.get(FOOTPRINT_PATH_PARAM)
    path = request.url.path
    if code is not None and (
        path.startswith(FOOTPRINT_PATH_PREFIX) or path.startswith(PAGES_PREFIX + FOOTPRINT_PATH_PREFIX)
    ):
        return str(code)
    return None


def authorise(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    session: Session = request_session,
) -> Caller:
    if credentials is None:
        raise Unauthenticated("This needs a bearer token: send `Authorization: Bearer <token>`.")
    token = service.authenticate(session, credentials.credentials)
    if token is None:
        raise Unauthenticated("The token is not valid (unknown, expired or revoked).", error="invalid_token")
    return admit(request, session, service.caller_for(token), security_scopes)


def admit(request: Request, session: Session, caller: Caller, security_scopes: SecurityScopes) -> Caller:
    """The checks after the caller is known, shared by the API (bearer token) and the pages (session
    cookie, app/web/session.py): the footprint in the path (404), the role's need (403), the audit entry."""
    footprint = _footprint_in_path(request)
    if footprint is not None and (len(footprint) > FOOTPRINT_CODE_MAX or not caller.may_see(footprint)):
        # The same answer as for a footprint that does not exist, so nobody learns which ones do.
        raise NotFound("Footprint", footprint)
    (need,) = (Need(scope) for scope in security_scopes.scopes)
    if not caller.holds(need):
        raise Forbidden(caller, need)
    if need.is_write and request.method not in ("GET", "HEAD", "OPTIONS"):
        route = request.scope.get("route")
        caller.audit_entry = record(
            session,
            caller,
            getattr(route, "name", None) or request.method,
            footprint_code=footprint,
            method=request.method,
            path=request.url.path,
        )
    return caller


def _walk(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


# The functions that admit a caller with a need: `authorise` here, and the pages' own (registered by
# app/web/session.py, which reads the session cookie and then calls `admit` as `authorise` does).
AUTHORISERS: set[Any] = {authorise}


def declared_needs(route: APIRoute) -> list[Need]:
    """Every need the route declares (a well-formed route declares exactly one)."""
    needs = []
    for dependency in _walk(route.dependant):
        if dependency.call is _public:
            needs.append(Need.PUBLIC)
        elif dependency.call in AUTHORISERS:
            needs.extend(Need(scope) for scope in dependency.own_oauth_scopes or ())
    return needs


def all_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, full path, route) for every route, API and pages, including those of included routers."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in sorted(context.methods or ()):
                yield method, str(context.path_format), route


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, full path, route) for every API route (bearer tokens; not the pages under /ui)."""
    for method, path, route in all_routes(app):
        if not is_page_path(path):
            yield method, path, route


def page_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, full path, route) for every web page and form (session cookie; app/web/)."""
    for method, path, route in all_routes(app):
        if is_page_path(path):
            yield method, path, route


def audited_actions(app: FastAPI) -> set[str]:
    """The actions `admit` records: the names of the routes (API and pages) a write need guards."""
    return {
        getattr(route, "name", None) or method
        for method, _, route in all_routes(app)
        if method not in ("GET", "HEAD", "OPTIONS") and any(need.is_write for need in declared_needs(route))
    }


def is_page_path(path: str) -> bool:
    return path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")


def check_routes_declare_needs(app: FastAPI) -> None:
    for method, path, route in all_routes(app):
        needs = declared_needs(route)
        if len(needs) != 1:
            raise RuntimeError(
                f"{method} {path} declares needs {[n.value for n in needs]}; "
                "every route declares exactly one with requires(Need.X) (see docs/analysts/access.md)"
            )


PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM}


def document_problems(app: FastAPI) -> None:
    """Declare in the OpenAPI description the problem answers any operation may give: access (401, 403),
    not found (404, when the path names something), conflicts (409, on writes) and invalid requests
    (422, as problem documents rather than FastAPI's default shape)."""
    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = base_openapi()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses or operation.get("parameters") or operation.get("requestBody"):
                    responses["422"] = _problem("The request is not valid; `errors` lists every problem")
                if operation.get("security"):
                    responses.setdefault("401", _problem("No token, or not a valid one"))
                    responses.setdefault("403", _problem("The token's role lacks the need"))
                if "{" in path:
                    responses.setdefault("404", _problem("Not found (or a footprint the token may not see)"))
                if method in ("post", "put", "patch", "delete"):
                    responses.setdefault("409", _problem("Clashes with the data as it is"))
                if operation.get("requestBody"):
                    responses.setdefault(
                        "413", _problem("The body is larger than the limit (docs/operators/limits.md)")
                    )
        for unused in ("HTTPValidationError", "ValidationError"):
            if f'"#/components/schemas/{unused}"' not in json.dumps(schema.get("paths", {})):
                schemas.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Every route x every role x (own footprint, other footprint), plus no token, a revoked and an expired
token, against the rules of issue 6 — written out here independently of app/auth/rules.py.

The routes come from the app's own route table, so a route added later is in the matrix without anyone
touching this file; one that declares no need cannot even be built into the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select, update

from app.auth.access import api_routes, check_routes_declare_needs, declared_needs
from app.auth.rules import Need
from app.main import create_app
from app.runs.executor import QueueOnlyExecutor
from models import ApiToken, AuditEntry, Role
from models.base import utcnow
from tests.conftest import TokenMaker
from tests.helpers import make_footprint, make_organisation, problem

OWN, OTHER = "E54000007", "E54000008"
ORGANISATION = {OWN: "RAA", OTHER: "RBB"}

# The rules, as the issue states them: what each role may do in the footprints it may see.
# Planners lock decisions and keep assumption sets (SPEC section 1): plans:write is theirs too, while
# cost data (data:write) stays with finance directors.
MAY = {
    Role.FINANCE_DIRECTOR: {"data:read", "data:write", "plans:write", "runs:read"},
    Role.PLANNER: {"data:read", "plans:write", "runs:read", "runs:create", "runs:review"},
    Role.ANALYST: {"data:read", "runs:read", "runs:create"},
    Role.ADMIN: {n.value for n in Need} - {"public"},
}
SEES_ALL = {Role.ANALYST, Role.ADMIN}
WRITES = {"data:write", "plans:write", "runs:create", "runs:review", "footprints:manage", "tokens:manage"}

ASSUMPTION_SET = "base case"
LINE = {"function": "finance", "financial_year": "2017/18", "pay": "100.00", "non_pay": "20.00"}


@dataclass(frozen=True)
class Example:
    """What a known route needs, and a request that an admin can make succeed (or the answer it gets)."""

    need: str
    status: int
    body: Any = None


# Routes known when this was written: their need is asserted, not just read back from the route.
# A route missing here is still checked (its declared need, admin's answer as the reference).
EXAMPLES: dict[tuple[str, str], Example] = {
    ("GET", "/health"): Example("public", 200),
    ("GET", "/functions"): Example("data:read", 200),
    ("GET", "/footprints"): Example("data:read", 200),
    ("POST", "/footprints"): Example("footprints:manage", 201, {"code": "E54000042", "name": "New"}),
    ("GET", "/footprints/{code}"): Example("data:read", 200),
    ("PATCH", "/footprints/{code}"): Example("footprints:manage", 200, {"name": "Renamed"}),
    # it still has organisations: refused, but only once access has been granted
    ("DELETE", "/footprints/{code}"): Example("footprints:manage", 409),
    ("GET", "/footprints/{code}/organisations"): Example("data:read", 200),
    ("POST", "/footprints/{code}/organisations"): Example(
        "data:write", 201, {"code": "RZZ", "name": "New trust", "kind": "PROVIDER"}
    ),
    ("GET", "/footprints/{code}/organisations/{org_code}"): Example("data:read", 200),
    ("PATCH", "/footprints/{code}/organisations/{org_code}"): Example("data:write", 200, {"name": "Renamed"}),
    # it has a cost line: refused after access was granted
    ("DELETE", "/footprints/{code}/organisations/{org_code}"): Example("data:write", 409),
    ("GET", "/cost-lines"): Example("data:read", 200),
    ("GET", "/footprints/{code}/cost-lines"): Example("data:read", 200),
    ("POST", "/footprints/{code}/cost-lines"): Example("data:write", 201, "new cost line"),
    ("POST", "/footprints/{code}/cost-lines/bulk"): Example("data:write", 200, "bulk"),
    ("GET", "/footprints/{code}/cost-lines/summary"): Example("data:read", 200),
    ("GET", "/footprints/{code}/cost-lines/{line_id}"): Example("data:read", 200),
    ("PATCH", "/footprints/{code}/cost-lines/{line_id}"): Example("data:write", 200, {"pay": "5.00"}),
    ("DELETE", "/footprints/{code}/cost-lines/{line_id}"): Example("data:write", 204),
    ("GET", "/template.xlsx"): Example("data:read", 200),
    ("GET", "/footprints/{code}/template.xlsx"): Example("data:read", 200),
    ("GET", "/footprints/{code}/cost-lines/export.xlsx"): Example("data:read", 200),
    ("POST", "/footprints/{code}/uploads"): Example("data:write", 201, "workbook"),
    ("GET", "/footprints/{code}/uploads"): Example("data:read", 200),
    ("GET", "/footprints/{code}/uploads/{upload_id}"): Example("data:read", 404),
    ("GET", "/footprints/{code}/locks"): Example("data:read", 200),
    ("POST", "/footprints/{code}/locks"): Example("plans:write", 201, "lock"),
    # no lock 1 in the footprint: refused only once access has been granted
    ("DELETE", "/footprints/{code}/locks/{lock_id}"): Example("plans:write", 404),
    ("GET", "/footprints/{code}/assumption-sets"): Example("data:read", 200),
    ("POST", "/footprints/{code}/assumption-sets"): Example(
        "plans:write", 201, {"name": "central case", "discount_rate": "0.035"}
    ),
    ("PUT", "/footprints/{code}/assumption-sets/{name}"): Example(
        "plans:write", 200, {"discount_rate": "0.015"}
    ),
    ("DELETE", "/footprints/{code}/assumption-sets/{name}"): Example("plans:write", 204),
    ("GET", "/tokens"): Example("tokens:manage", 200),
    ("POST", "/tokens"): Example(
        "tokens:manage", 201, {"name": "new", "role": "planner", "footprints": [OWN]}
    ),
    ("GET", "/tokens/{token_id}"): Example("tokens:manage", 200),
    ("POST", "/tokens/{token_id}/revoke"): Example("tokens:manage", 200),
    ("GET", "/audit"): Example("audit:read", 200),
}


# The rules by kind of path, for routes not in EXAMPLES (those still to be written included).
DATA_SEGMENTS = {"organisations", "cost-lines", "uploads", "template.xlsx"}
PLAN_SEGMENTS = {"assumption-sets", "locks"}


def need_by_rule(method: str, path: str) -> str | None:
    parts = path.split("/")
    if not path.startswith("/footprints/{code}/") or len(parts) < 4:
        return None
    if parts[3] in DATA_SEGMENTS:
        return "data:read" if method == "GET" else "data:write"
    if parts[3] in PLAN_SEGMENTS:
        return "data:read" if method == "GET" else "plans:write"
    if parts[3] in ("runs", "sweeps"):
        if "review" in path and method != "GET":
            return "runs:review"
        if method == "GET":
            return "runs:read"
    return None


@dataclass
class World:
    connection: Connection
    clients: dict[Role, TestClient]
    anonymous: TestClient
    revoked: TestClient
    expired: TestClient
    line_ids: dict[str, int]
    victim_token_id: int
    workbooks: dict[str, bytes]


@pytest.fixture
def world(
    client: TestClient,
    client_as: Any,
    make_token: TokenMaker,
    anonymous_client: TestClient,
    connection: Connection,
    api_app: FastAPI,
) -> World:
    line_ids = {}
    for code in (OWN, OTHER):
        make_footprint(client, code)
        make_organisation(client, code, ORGANISATION[code])
        created = client.post(
            f"/footprints/{code}/cost-lines", json={"organisation": ORGANISATION[code], **LINE}
        )
        assert created.status_code == 201, created.text
        line_ids[code] = created.json()["id"]
        kept = client.post(f"/footprints/{code}/assumption-sets", json={"name": ASSUMPTION_SET})
        assert kept.status_code == 201, kept.text
    workbooks = {
        code: client.get(f"/footprints/{code}/cost-lines/export.xlsx").content for code in (OWN, OTHER)
    }
    clients = {
        Role.FINANCE_DIRECTOR: client_as(Role.FINANCE_DIRECTOR, OWN),
        Role.PLANNER: client_as(Role.PLANNER, OWN),
        Role.ANALYST: client_as(Role.ANALYST),
        Role.ADMIN: client,
    }
    revoked = client_as(Role.PLANNER, OWN, name="revoked")
    expired = client_as(Role.ADMIN, name="expired")
    victim = client_as(Role.PLANNER, OWN, name="victim")
    tokens = {t["name"]: t for t in client.get("/tokens").json()["items"]}
    assert client.post(f"/tokens/{tokens['revoked']['id']}/revoke").status_code == 200
    connection.execute(
        update(ApiToken).where(ApiToken.name == "expired").values(expires_at=utcnow() - timedelta(seconds=1))
    )
    del victim
    return World(
        connection=connection,
        clients=clients,
        anonymous=anonymous_client,
        revoked=revoked,
        expired=expired,
        line_ids=line_ids,
        victim_token_id=tokens["victim"]["id"],
        workbooks=workbooks,
    )


def _audit_count(connection: Connection) -> int:
    return int(connection.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@dataclass(frozen=True)
class Outcome:
    status: int
    audited: int
    response: Any


def _call(world: World, who: TestClient, method: str, path: str, footprint: str | None) -> Outcome:
    """One request, in a savepoint rolled back afterwards, so every request sees the same world."""
    example = EXAMPLES.get((method, path))
    params = {
        "code": footprint or OWN,
        "org_code": ORGANISATION[footprint or OWN],
        "line_id": world.line_ids[footprint or OWN],
        "token_id": world.victim_token_id,
        "name": ASSUMPTION_SET,
    }
    url = re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), "1")), path)
    kwargs: dict[str, Any] = {}
    body = example.body if example else None
    if body == "new cost line":
        kwargs["json"] = {"organisation": ORGANISATION[footprint or OWN], **LINE, "financial_year": "2018/19"}
    elif body == "bulk":
        kwargs["json"] = {"lines": [{"organisation": ORGANISATION[footprint or OWN], **LINE, "pay": "7.00"}]}
    elif body == "lock":
        kwargs["json"] = {
            "kind": "must_host",
            "function": "finance",
            "organisation": ORGANISATION[footprint or OWN],
        }
    elif body == "workbook":
        kwargs["files"] = {"file": ("book.xlsx", world.workbooks[footprint or OWN])}
    elif body is not None:
        kwargs["json"] = body
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    savepoint = world.connection.begin_nested()
    try:
        before = _audit_count(world.connection)
        response = who.request(method, url, **kwargs)
        return Outcome(response.status_code, _audit_count(world.connection) - before, response)
    finally:
        savepoint.rollback()


def _routes(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    for method, path, route in api_routes(app):
        (need,) = declared_needs(route)
        yield method, path, need.value


def test_every_route_every_role_every_footprint(world: World, api_app: FastAPI) -> None:
    routes = list(_routes(api_app))
    assert len(routes) >= len(EXAMPLES) - 5, "the route table was not walked (included routers?)"
    failures: list[str] = []
    audited_writes = 0

    def expect(label: str, outcome: Outcome, status: int, audited: int) -> None:
        if outcome.status != status or outcome.audited != audited:
            failures.append(
                f"{label}: got {outcome.status} with {outcome.audited} audit entries, "
                f"expected {status} with {audited}: {outcome.response.text[:200]}"
            )
        elif status in (401, 403, 404) and outcome.status != 200:
            problem(outcome.response, status)

    for method, path, need in routes:
        example = EXAMPLES.get((method, path))
        ruled = example.need if example is not None else need_by_rule(method, path)
        if ruled is not None and ruled != need:
            failures.append(
                f"{method} {path} declares {need}, the rules say {ruled} (see docs/analysts/access.md)"
            )
            continue
        scoped = path.startswith("/footprints/{code}")
        for footprint in (OWN, OTHER) if scoped else (None,):
            label = f"{method} {path} [{footprint or '-'}]"
            reference = _call(world, world.clients[Role.ADMIN], method, path, footprint)
            if example is not None:
                expect(
                    f"{label} admin",
                    reference,
                    example.status,
                    int(need in WRITES and method != "GET" and example.status < 300),
                )
            for role, client in world.clients.items():
                if role is Role.ADMIN:
                    continue
                outcome = _call(world, client, method, path, footprint)
                if need == "public":
                    status = reference.status
                elif scoped and role not in SEES_ALL and footprint != OWN:
                    status = 404
                elif need not in MAY[role]:
                    status = 403
                else:
                    status = reference.status
                # a write that may go ahead is recorded exactly when the admin's same write was
                written = reference.audited if status == reference.status else 0
                audited_writes += written
                expect(f"{label} {role.value}", outcome, status, written)
        if need == "public":
            continue
        for label, stranger in (
            ("no token", world.anonymous),
            ("revoked", world.revoked),
            ("expired", world.expired),
        ):
            outcome = _call(world, stranger, method, path, OWN if "{code}" in path else None)
            expect(f"{method} {path} {label}", outcome, 401, 0)
            if outcome.status == 401:
                assert outcome.response.headers["www-authenticate"].startswith("Bearer")
    assert not failures, "\n".join(failures)
    # the finance director's own writes at least, so the audit check above was not vacuous
    assert audited_writes >= 7


def test_the_route_table_and_the_openapi_description_agree(api_app: FastAPI, client: TestClient) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in client.get("/openapi.json").json()["paths"].items()
        for method in operations
    }
    walked = {(method, path) for method, path, route in api_routes(api_app) if route.include_in_schema}
    assert walked == documented
    for method, path in EXAMPLES:
        assert (method, path) in walked, f"{method} {path} is gone: drop it from EXAMPLES"


def test_a_route_without_a_declared_need_is_refused_when_the_app_is_built() -> None:
    api_app = create_app(executor=QueueOnlyExecutor())  # its own: this test changes the app
    router = APIRouter()

    @router.get("/footprints/{code}/forgotten")
    def forgotten(code: str) -> dict[str, str]:
        return {"code": code}

    api_app.include_router(router)
    with pytest.raises(RuntimeError, match="GET /footprints/{code}/forgotten declares needs"):
        check_routes_declare_needs(api_app)

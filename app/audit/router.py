from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from app.audit import service
from app.audit.schemas import AuditPage
from app.auth.access import audited_actions, requires
from app.auth.rules import Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPage, dependencies=[requires(Need.AUDIT_READ)])
def list_audit_entries(
    request: Request,
    actor: Annotated[str | None, Query(description="token name")] = None,
    footprint: Annotated[
        list[str] | None, Query(description="footprint code(s); an unknown one is refused (422)")
    ] = None,
    action: Annotated[
        str | None,
        Query(description="what was done, e.g. create_cost_line; an action nothing records is refused (422)"),
    ] = None,
    since: Annotated[datetime | None, Query(description="from this instant (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this instant")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
) -> AuditPage:
    return service.list_entries(
        session,
        actor=actor,
        footprints=footprint,
        action=action,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        # Walking the routes is only needed to judge an action filter.
        actions=audited_actions(request.app) if action else (),
    )

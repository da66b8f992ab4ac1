"""The audit trail: one entry per write, in the same transaction as the write (committed or lost with it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.schemas import AuditEntryRead, AuditPage
from app.auth.rules import Caller
from app.core.errors import unknown_filter_value
from app.core.pagination import keyset_page
from models import AuditEntry, Footprint

# What the command line records (every other action is the name of the API route or page form that wrote).
IMPORT_WORKBOOK = "import_workbook"
COMMAND_LINE_ACTIONS = (IMPORT_WORKBOOK,)


def record(
    session: Session,
    caller: Caller,
    action: str,
    *,
    footprint_code: str | None = None,
    method: str = "",
    path: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=caller.name,
        token_id=caller.token_id,
        role=caller.role.value,
        action=action,
        method=method,
        path=path[:500],
        footprint_code=footprint_code,
        details=details or {},
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    footprints: Sequence[str] | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
    actions: Collection[str] = (),
) -> AuditPage:
    """Newest first; the cursor walks back in time, so entries added meanwhile never shift a page.

    `actions` are those that can be recorded (the writing routes' names and COMMAND_LINE_ACTIONS); an
    `action` or footprint that is neither one of them nor in the trail already is refused (422 naming the
    allowed values), not answered with an empty page."""
    _check_filters(session, footprints, action, actions)
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if footprints is not None:
        query = query.where(AuditEntry.footprint_code.in_(footprints))
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    page = keyset_page(
        session,
        query,
        AuditEntry.id,
        limit=limit,
        cursor=cursor,
        item=AuditEntryRead.model_validate,
        descending=True,
    )
    return AuditPage.model_validate(page.model_dump())


def _check_filters(
    session: Session, footprints: Sequence[str] | None, action: str | None, actions: Collection[str]
) -> None:
    # Values already in the trail stay searchable after their footprint is deleted or a route renamed.
    if action:
        recorded = set(session.scalars(select(AuditEntry.action).distinct()))
        allowed = sorted(recorded | set(actions) | set(COMMAND_LINE_ACTIONS))
        if action not in allowed:
            raise unknown_filter_value("action", action, "action", allowed)
    if footprints:
        # A deleted footprint's trail stays searchable too.
        in_trail = session.scalars(select(AuditEntry.footprint_code).distinct())
        known = set(session.scalars(select(Footprint.code))) | {code for code in in_trail if code is not None}
        for code in footprints:
            if code not in known:
                raise unknown_filter_value("footprint", code, "footprint", sorted(known))

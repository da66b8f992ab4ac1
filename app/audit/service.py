"""The audit trail: one entry per write, in the same transaction as the write (committed or lost with it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.schemas import AuditEntryRead, AuditPage
from app.auth.rules import Caller
from app.core.pagination import keyset_page
from models import AuditEntry


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
) -> AuditPage:
    """Newest first; the cursor walks back in time, so entries added meanwhile never shift a page."""
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

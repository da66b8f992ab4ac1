"""Locks: a planner's hard decisions for a footprint, which every later run must respect (never commits)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid, NotFound
from app.footprints.service import get_footprint
from app.locks.schemas import LockCreate, LockRead
from models import Function, Lock, Organisation


def list_locks(session: Session, code: str) -> Sequence[tuple[Lock, str | None]]:
    footprint = get_footprint(session, code)
    rows = session.execute(
        select(Lock, Organisation.code)
        .outerjoin(Organisation, Organisation.id == Lock.organisation_id)
        .where(Lock.footprint_id == footprint.id)
        .order_by(Lock.id)
    ).all()
    return [(lock, org) for lock, org in rows]


def create_lock(session: Session, code: str, data: LockCreate) -> tuple[Lock, str | None]:
    footprint = get_footprint(session, code)
    errors = []
    if session.scalar(select(Function.key).where(Function.key == data.function)) is None:
        errors.append({"field": "function", "value": data.function, "message": "not a known function"})
    organisation_id = None
    if data.organisation is not None:
        organisation_id = session.scalar(
            select(Organisation.id).where(
                Organisation.code == data.organisation, Organisation.footprint_id == footprint.id
            )
        )
        if organisation_id is None:
            errors.append(
                {
                    "field": "organisation",
                    "value": data.organisation,
                    "message": f"no organisation {data.organisation} in footprint {code}",
                }
            )
    if errors:
        raise Invalid("The lock refers to something that does not exist", errors=errors)
    if session.scalar(
        select(
            exists().where(
                Lock.footprint_id == footprint.id,
                Lock.organisation_id.is_(None)
                if organisation_id is None
                else Lock.organisation_id == organisation_id,
                Lock.function_key == data.function,
                Lock.kind == data.kind,
            )
        )
    ):
        raise Conflict(
            f"A {data.kind.value} lock for {data.organisation or 'every organisation'} and "
            f"{data.function} already exists"
        )
    lock = Lock(
        footprint_id=footprint.id,
        organisation_id=organisation_id,
        function_key=data.function,
        kind=data.kind,
        year=data.year,
        reason=data.reason,
    )
    session.add(lock)
    session.flush()
    return lock, data.organisation


def delete_lock(session: Session, code: str, lock_id: int) -> None:
    footprint = get_footprint(session, code)
    lock = session.scalar(select(Lock).where(Lock.id == lock_id, Lock.footprint_id == footprint.id))
    if lock is None:
        raise NotFound("Lock", lock_id)
    session.delete(lock)
    session.flush()


def read(lock: Lock, organisation: str | None, footprint_code: str) -> LockRead:
    return LockRead(
        id=lock.id,
        footprint=footprint_code,
        kind=lock.kind,
        function=lock.function_key,
        organisation=organisation,
        year=lock.year,
        reason=lock.reason,
        created_at=lock.created_at,
    )

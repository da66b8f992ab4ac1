"""Locks: a planner's hard decisions for a footprint, which every later run must respect (never commits)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid, NotFound
from app.footprints.service import get_footprint
from app.locks.schemas import LockCreate, LockRead
from models import Function, Lock, Organisation
from models.enums import LockKind


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
    if organisation_id is not None:
        _refuse_contradictions(session, footprint.id, organisation_id, data)
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


# Sets of lock kinds on one organisation and function that no plan can satisfy together (SPEC section 2):
# a host that may not host; an organisation that must be in a hub, may not join another's and may not
# host its own.
CONTRADICTIONS: tuple[tuple[frozenset[LockKind], str], ...] = (
    (
        frozenset({LockKind.MUST_HOST, LockKind.MAY_NOT_HOST}),
        "{org} cannot both have to host {function} and be barred from hosting it",
    ),
    (
        frozenset({LockKind.MUST_JOIN, LockKind.KEEP_IN_HOUSE, LockKind.MAY_NOT_HOST}),
        "{org} has to be in a {function} hub, may not join another organisation's and may not host one: "
        "no plan can do all three",
    ),
)


def _refuse_contradictions(
    session: Session, footprint_id: int, organisation_id: int, data: LockCreate
) -> None:
    """A lock that no plan can satisfy together with the locks already there is refused when written,
    naming every lock involved, rather than found out when a run comes back infeasible."""
    existing = {
        lock.kind: lock
        for lock in session.scalars(
            select(Lock).where(
                Lock.footprint_id == footprint_id,
                Lock.organisation_id == organisation_id,
                Lock.function_key == data.function,
            )
        )
    }
    for kinds, reason in CONTRADICTIONS:
        if data.kind not in kinds or not kinds - {data.kind} <= existing.keys():
            continue
        others = [existing[k] for k in sorted(kinds - {data.kind}, key=list(LockKind).index)]
        named = " and ".join(f"lock {o.id} ({o.kind.value})" for o in others)
        message = reason.format(org=data.organisation, function=data.function)
        raise Invalid(
            f"This {data.kind.value} lock contradicts {named} for {data.organisation} and {data.function}: "
            f"{message}. Delete {'that lock' if len(others) == 1 else 'one of those locks'} first if the "
            "decision has changed",
            errors=[
                {
                    "field": "kind",
                    "value": data.kind.value,
                    "message": message,
                    "locks": [
                        {"id": None, "kind": data.kind.value, "state": "this request"},
                        *({"id": o.id, "kind": o.kind.value, "state": "existing"} for o in others),
                    ],
                }
            ],
        )


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

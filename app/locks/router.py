from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Need
from app.core.db import request_session
from app.locks import service
from app.locks.schemas import LockCreate, LockRead

router = APIRouter(tags=["locks"])


@router.get(
    "/footprints/{code}/locks", response_model=list[LockRead], dependencies=[requires(Need.DATA_READ)]
)
def list_locks(code: str, session: Session = request_session) -> list[LockRead]:
    return [service.read(lock, org, code) for lock, org in service.list_locks(session, code)]


@router.post(
    "/footprints/{code}/locks",
    response_model=LockRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Need.PLANS_WRITE)],
)
def create_lock(
    code: str, body: LockCreate, response: Response, session: Session = request_session
) -> LockRead:
    lock, org = service.create_lock(session, code, body)
    response.headers["Location"] = f"/footprints/{code}/locks/{lock.id}"
    return service.read(lock, org, code)


@router.delete(
    "/footprints/{code}/locks/{lock_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[requires(Need.PLANS_WRITE)],
)
def delete_lock(code: str, lock_id: int, session: Session = request_session) -> Response:
    service.delete_lock(session, code, lock_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

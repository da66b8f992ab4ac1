from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from app.assumption_sets import service
from app.assumption_sets.schemas import AssumptionSetCreate, AssumptionSetRead, AssumptionSetWrite
from app.auth.access import requires
from app.auth.rules import Need
from app.core.db import request_session

router = APIRouter(tags=["assumption sets"])

# Assumption sets are a footprint's planning decisions: its finance directors, its planners and admins
# write them (plans:write); every token that sees the footprint reads them.


@router.get(
    "/footprints/{code}/assumption-sets",
    response_model=list[AssumptionSetRead],
    dependencies=[requires(Need.DATA_READ)],
)
def list_assumption_sets(code: str, session: Session = request_session) -> list[AssumptionSetRead]:
    return [service.read(a, code) for a in service.list_assumption_sets(session, code)]


@router.post(
    "/footprints/{code}/assumption-sets",
    response_model=AssumptionSetRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Need.PLANS_WRITE)],
)
def create_assumption_set(
    code: str,
    body: AssumptionSetCreate,
    response: Response,
    session: Session = request_session,
) -> AssumptionSetRead:
    created = service.create_assumption_set(session, code, body)
    # a name may hold any character; a header holds only latin-1
    response.headers["Location"] = f"/footprints/{code}/assumption-sets/{quote(created.name, safe='')}"
    return service.read(created, code)


@router.get(
    "/footprints/{code}/assumption-sets/{name}",
    response_model=AssumptionSetRead,
    dependencies=[requires(Need.DATA_READ)],
)
def get_assumption_set(code: str, name: str, session: Session = request_session) -> AssumptionSetRead:
    return service.read(service.get_assumption_set(session, code, name), code)


@router.put(
    "/footprints/{code}/assumption-sets/{name}",
    response_model=AssumptionSetRead,
    dependencies=[requires(Need.PLANS_WRITE)],
)
def replace_assumption_set(
    code: str, name: str, body: AssumptionSetWrite, session: Session = request_session
) -> AssumptionSetRead:
    return service.read(service.replace_assumption_set(session, code, name, body), code)


@router.delete(
    "/footprints/{code}/assumption-sets/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[requires(Need.PLANS_WRITE)],
)
def delete_assumption_set(code: str, name: str, session: Session = request_session) -> Response:
    service.delete_assumption_set(session, code, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

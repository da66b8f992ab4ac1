from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit, Page
from app.footprints import service
from app.footprints.schemas import FootprintCreate, FootprintRead, FootprintUpdate

router = APIRouter(prefix="/footprints", tags=["footprints"])


@router.get("", response_model=Page[FootprintRead])
def list_footprints(
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
    caller: Caller = requires(Need.DATA_READ),
) -> Page[FootprintRead]:
    """The footprints the token may see, in the order of their codes, a page at a time."""
    return service.list_footprints(session, codes=caller.visible(None), limit=limit, cursor=cursor)


@router.post(
    "",
    response_model=FootprintRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Need.FOOTPRINTS_MANAGE)],
)
def create_footprint(
    data: FootprintCreate, response: Response, session: Session = request_session
) -> FootprintRead:
    footprint = service.create_footprint(session, data)
    response.headers["Location"] = f"/footprints/{footprint.code}"
    return FootprintRead.model_validate(footprint)


@router.get("/{code}", response_model=FootprintRead, dependencies=[requires(Need.DATA_READ)])
def get_footprint(code: str, session: Session = request_session) -> FootprintRead:
    return FootprintRead.model_validate(service.get_footprint(session, code))


@router.patch("/{code}", response_model=FootprintRead, dependencies=[requires(Need.FOOTPRINTS_MANAGE)])
def update_footprint(code: str, data: FootprintUpdate, session: Session = request_session) -> FootprintRead:
    return FootprintRead.model_validate(service.update_footprint(session, code, data))


@router.delete(
    "/{code}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[requires(Need.FOOTPRINTS_MANAGE)]
)
def delete_footprint(code: str, session: Session = request_session) -> None:
    service.delete_footprint(session, code)

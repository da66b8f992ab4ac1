from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit, Page
from app.footprints.service import get_footprint
from app.organisations import service
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate

router = APIRouter(prefix="/footprints/{code}/organisations", tags=["organisations"])


@router.get("", response_model=Page[OrganisationRead], dependencies=[requires(Need.DATA_READ)])
def list_organisations(
    code: str, limit: Limit = 100, cursor: Cursor = None, session: Session = request_session
) -> Page[OrganisationRead]:
    """The footprint's organisations in the order of their ODS codes, a page at a time."""
    footprint = get_footprint(session, code)
    return service.list_organisations(session, footprint, limit=limit, cursor=cursor)


@router.post(
    "",
    response_model=OrganisationRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Need.DATA_WRITE)],
)
def create_organisation(
    code: str,
    data: OrganisationCreate,
    response: Response,
    session: Session = request_session,
) -> OrganisationRead:
    footprint = get_footprint(session, code)
    organisation = service.create_organisation(session, footprint, data)
    response.headers["Location"] = f"/footprints/{code}/organisations/{organisation.code}"
    return service.to_read(organisation, code)


@router.get("/{org_code}", response_model=OrganisationRead, dependencies=[requires(Need.DATA_READ)])
def get_organisation(code: str, org_code: str, session: Session = request_session) -> OrganisationRead:
    footprint = get_footprint(session, code)
    return service.to_read(service.get_organisation(session, footprint, org_code), code)


@router.patch("/{org_code}", response_model=OrganisationRead, dependencies=[requires(Need.DATA_WRITE)])
def update_organisation(
    code: str,
    org_code: str,
    data: OrganisationUpdate,
    session: Session = request_session,
) -> OrganisationRead:
    footprint = get_footprint(session, code)
    return service.to_read(service.update_organisation(session, footprint, org_code, data), code)


@router.delete(
    "/{org_code}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[requires(Need.DATA_WRITE)]
)
def delete_organisation(code: str, org_code: str, session: Session = request_session) -> None:
    footprint = get_footprint(session, code)
    service.delete_organisation(session, footprint, org_code)

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Page, keyset_page
from app.footprints.service import record_data_change
from app.functions.service import function_keys
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate
from models import CostLine, Footprint, Organisation


def to_read(organisation: Organisation, footprint_code: str) -> OrganisationRead:
    return OrganisationRead(
        code=organisation.code,
        name=organisation.name,
        kind=organisation.kind,
        footprint=footprint_code,
        compatibility_groups=dict(organisation.compatibility_groups or {}),
        created_at=organisation.created_at,
        updated_at=organisation.updated_at,
    )


def _check_groups(session: Session, groups: dict[str, str]) -> None:
    unknown = sorted(set(groups) - function_keys(session))
    if unknown:
        raise Invalid(
            "compatibility_groups names unknown functions",
            errors=[
                {"loc": ["body", "compatibility_groups", key], "message": f"unknown function {key!r}"}
                for key in unknown
            ],
        )


def list_organisations(
    session: Session, footprint: Footprint, *, limit: int = 100, cursor: str | None = None
) -> Page[OrganisationRead]:
    """The footprint's organisations in the order of their ODS codes."""
    return keyset_page(
        session,
        select(Organisation).where(Organisation.footprint_id == footprint.id),
        Organisation.code,
        limit=limit,
        cursor=cursor,
        item=lambda organisation: to_read(organisation, footprint.code),
    )


def get_organisation(session: Session, footprint: Footprint, code: str) -> Organisation:
    organisation = session.scalar(
        select(Organisation).where(Organisation.code == code, Organisation.footprint_id == footprint.id)
    )
    if organisation is None:
        raise NotFound("Organisation", f"{code} in footprint {footprint.code}")
    return organisation


def create_organisation(session: Session, footprint: Footprint, data: OrganisationCreate) -> Organisation:
    _check_groups(session, data.compatibility_groups)
    if session.scalar(select(exists().where(Organisation.code == data.code))):
        raise Conflict(f"Organisation {data.code} already exists")
    organisation = Organisation(
        code=data.code,
        name=data.name,
        kind=data.kind,
        footprint_id=footprint.id,
        compatibility_groups=dict(data.compatibility_groups),
    )
    session.add(organisation)
    session.flush()
    record_data_change(session, footprint)
    return organisation


def update_organisation(
    session: Session, footprint: Footprint, code: str, data: OrganisationUpdate
) -> Organisation:
    organisation = get_organisation(session, footprint, code)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "compatibility_groups" in changes:
        _check_groups(session, changes["compatibility_groups"])
    for field, value in changes.items():
        setattr(organisation, field, value)
    if session.is_modified(organisation):
        session.flush()
        record_data_change(session, footprint)
    return organisation


def delete_organisation(session: Session, footprint: Footprint, code: str) -> None:
    organisation = get_organisation(session, footprint, code)
    if session.scalar(select(exists().where(CostLine.organisation_id == organisation.id))):
        raise Conflict(f"Organisation {code} still has cost lines; delete them first")
    session.delete(organisation)
    session.flush()
    record_data_change(session, footprint)

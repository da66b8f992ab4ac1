from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from app.core.errors import Conflict, NotFound
from app.core.pagination import Page, keyset_page
from app.footprints.schemas import FootprintCreate, FootprintRead, FootprintUpdate
from models import Footprint, Organisation


def list_footprints(
    session: Session, codes: Collection[str] | None = None, *, limit: int = 100, cursor: str | None = None
) -> Page[FootprintRead]:
    """Every footprint, or only those with these codes (a token's grant), in the order of their codes."""
    query = select(Footprint)
    if codes is not None:
        query = query.where(Footprint.code.in_(codes))
    return keyset_page(
        session, query, Footprint.code, limit=limit, cursor=cursor, item=FootprintRead.model_validate
    )


def get_footprint(session: Session, code: str) -> Footprint:
    footprint = session.scalar(select(Footprint).where(Footprint.code == code))
    if footprint is None:
        raise NotFound("Footprint", code)
    return footprint


def create_footprint(session: Session, data: FootprintCreate) -> Footprint:
    if session.scalar(select(exists().where(Footprint.code == data.code))):
        raise Conflict(f"Footprint {data.code} already exists")
    footprint = Footprint(**data.model_dump())
    session.add(footprint)
    session.flush()
    return footprint


def update_footprint(session: Session, code: str, data: FootprintUpdate) -> Footprint:
    footprint = get_footprint(session, code)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field != "region":
            continue
        setattr(footprint, field, value)
    session.flush()
    return footprint


def delete_footprint(session: Session, code: str) -> None:
    footprint = get_footprint(session, code)
    if session.scalar(select(exists().where(Organisation.footprint_id == footprint.id))):
        raise Conflict(f"Footprint {code} still has organisations; delete or move them first")
    session.delete(footprint)
    session.flush()


def record_data_change(session: Session, footprint: Footprint) -> None:
    """Raise the footprint's data version: its organisations or cost lines have just changed. (An export
    carries the version, so uploading a workbook exported before this change is caught.)"""
    session.execute(
        update(Footprint)
        .where(Footprint.id == footprint.id)
        .values(data_version=Footprint.data_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(footprint, ["data_version"])


def lock_for_write(session: Session, footprint: Footprint) -> None:
    """Serialise writers of one footprint's data until the transaction ends.

    A no-op UPDATE takes a row lock on PostgreSQL and the write lock on SQLite (waiting up to
    busy_timeout), so two uploads for the same footprint run one after the other, never interleaved.
    """
    session.execute(
        update(Footprint).where(Footprint.id == footprint.id).values(updated_at=Footprint.updated_at)
    )

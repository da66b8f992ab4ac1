"""Whole lists for a page (names of every organisation, every footprint of a token), walked page by page
through the services' keyset pages, so pages read lists exactly as the API serves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.core.pagination import Page
from app.footprints.schemas import FootprintRead
from app.footprints.service import list_footprints
from app.organisations.schemas import OrganisationRead
from app.organisations.service import list_organisations
from app.settings import get_settings
from models import Footprint

T = TypeVar("T")


def every(fetch: Callable[[int, str | None], Page[T]]) -> list[T]:
    limit = get_settings().page_size_max
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(limit, cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def organisations(session: Session, footprint: Footprint) -> list[OrganisationRead]:
    return every(lambda limit, cursor: list_organisations(session, footprint, limit=limit, cursor=cursor))


def footprints(session: Session, codes: list[str] | None) -> list[FootprintRead]:
    return every(lambda limit, cursor: list_footprints(session, codes, limit=limit, cursor=cursor))

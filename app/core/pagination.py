"""Keyset pagination, the same for every list: a stable order on a unique key (the id, or a code), a
`limit`, an opaque `next_cursor` after the page's last key, and the `total` that matched, counted for
the first page and carried in the cursor, so walking pages while rows are added sees each row once."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.errors import Invalid
from app.settings import get_settings

T = TypeVar("T")

Limit = Annotated[
    int,
    Query(
        ge=1,
        le=get_settings().page_size_max,
        description=f"items per page (1 to {get_settings().page_size_max})",
    ),
]
Cursor = Annotated[
    str | None,
    Query(description="the `next_cursor` of the previous page; leave out for the first page"),
]


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="this page's items, in the list's order")
    total: int = Field(
        description="items matching the filters, across all pages: counted for the first page; "
        "the later pages of a walk repeat that count"
    )
    limit: int = Field(description="the most items a page holds (the `limit` asked for)")
    next_cursor: str | None = Field(
        default=None, description="pass as `?cursor=` for the next page; null on the last page"
    )


def _bad_cursor(exc: Exception | None = None) -> Invalid:
    return Invalid(
        "The cursor is not one this list gave out. Leave it out to start from the first page.",
        errors=[{"loc": ["query", "cursor"], "message": "Not a cursor from this list."}],
        kind="invalid-cursor",
    )


def encode_cursor(last_id: int, total: int | None = None) -> str:
    """The cursor after `last_id`; a list may carry the total it counted on its first page."""
    raw = f"id:{last_id}" if total is None else f"id:{last_id}:total:{total}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_cursor(exc) from exc


def _parse_cursor(cursor: str) -> tuple[int, int | None]:
    raw = _decode(cursor)
    parts = raw.split(":")
    try:
        if len(parts) == 2 and parts[0] == "id":
            return int(parts[1]), None
        if len(parts) == 4 and parts[0] == "id" and parts[2] == "total":
            return int(parts[1]), int(parts[3])
    except ValueError as exc:
        raise _bad_cursor(exc) from exc
    raise _bad_cursor()


def decode_cursor(cursor: str | None) -> int:
    """The last id of the previous page (0 before the first page)."""
    return _parse_cursor(cursor)[0] if cursor else 0


def decode_cursor_total(cursor: str | None) -> int | None:
    """The total carried by the cursor, if the list that made it put one in."""
    return _parse_cursor(cursor)[1] if cursor else None


def keyset_page(
    session: Session,
    query: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
    item: Callable[[Any], T] | None = None,
    items: Callable[[Sequence[Any]], list[T]] | None = None,
    descending: bool = False,
) -> Page[T]:
    """One page of `query` (a select of one ORM entity) in the order of its unique `key`; each row
    becomes an item by `item(row)`, or the page's rows all at once by `items(rows)` (to fetch what they
    need in one query).

    The cursor holds the page's last key and the first page's total, as JSON: `[key, total]`."""
    key_type = key.type.python_type
    after: Any = None
    total: int | None = None
    if cursor:
        try:
            after, total = json.loads(_decode(cursor))
        except (ValueError, TypeError) as exc:
            raise _bad_cursor(exc) from exc
        if type(after) is not key_type or type(total) is not int:
            raise _bad_cursor()
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if after is not None:
        query = query.where(key < after if descending else key > after)
    rows: Sequence[Any] = session.scalars(
        query.order_by(key.desc() if descending else key).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        raw = json.dumps([getattr(rows[-1], key.key), total])
        next_cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    if items is not None:
        built = items(rows)
    elif item is not None:
        built = [item(row) for row in rows]
    else:
        raise TypeError("keyset_page needs item or items")
    return Page[T](items=built, total=total, limit=limit, next_cursor=next_cursor)

"""Keyset pagination: stable order by id, so walking pages while rows are added sees each row once."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

from pydantic import BaseModel

from app.core.errors import Invalid

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    next_cursor: str | None = None


def encode_cursor(last_id: int, total: int | None = None) -> str:
    """The cursor after `last_id`; a list may carry the total it counted on its first page."""
    raw = f"id:{last_id}" if total is None else f"id:{last_id}:total:{total}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _parse_cursor(cursor: str) -> tuple[int, int | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = raw.split(":")
        if len(parts) == 2 and parts[0] == "id":
            return int(parts[1]), None
        if len(parts) == 4 and parts[0] == "id" and parts[2] == "total":
            return int(parts[1]), int(parts[3])
        raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(
            "cursor is not valid",
            errors=[{"loc": ["query", "cursor"], "message": "not a cursor from this API"}],
        ) from exc


def decode_cursor(cursor: str | None) -> int:
    """The last id of the previous page (0 before the first page)."""
    return _parse_cursor(cursor)[0] if cursor else 0


def decode_cursor_total(cursor: str | None) -> int | None:
    """The total carried by the cursor, if the list that made it put one in."""
    return _parse_cursor(cursor)[1] if cursor else None

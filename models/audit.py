from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """Who changed what, when, in which footprint. Written in the same transaction as the change itself.

    Holds names and codes rather than foreign keys, so the trail outlives the tokens and footprints it names.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    token_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    method: Mapped[str] = mapped_column(String(10), default="")
    path: Mapped[str] = mapped_column(String(500), default="")
    footprint_code: Mapped[str | None] = mapped_column(String(16), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Page


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str = Field(description="name of the token (or `cli:<user>` at the command line)")
    role: str
    action: str = Field(description="what was done: the operation's name, e.g. `create_cost_line`")
    method: str
    path: str
    footprint_code: str | None
    details: dict[str, Any]


class AuditPage(Page[AuditEntryRead]):
    pass

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.enums import LockKind


class LockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LockKind
    function: str = Field(min_length=1, max_length=50)
    organisation: str | None = Field(
        default=None, description="ODS code; may be null only for not_before_year (every organisation)"
    )
    year: int | None = Field(default=None, ge=1, le=15, description="only for not_before_year")
    reason: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _shape(self) -> LockCreate:
        if self.kind is LockKind.NOT_BEFORE_YEAR:
            if self.year is None:
                raise ValueError("a not_before_year lock needs a year")
        else:
            if self.organisation is None:
                raise ValueError(f"a {self.kind.value} lock needs an organisation")
            if self.year is not None:
                raise ValueError(f"a {self.kind.value} lock has no year")
        return self


class LockRead(BaseModel):
    id: int
    footprint: str
    kind: LockKind
    function: str
    organisation: str | None
    year: int | None
    reason: str
    created_at: datetime

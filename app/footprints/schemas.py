from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.enums import Maturity

FOOTPRINT_CODE = r"^E54\d{6}$"


class FootprintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=FOOTPRINT_CODE, description="ONS STP code, e.g. E54000007")
    name: str = Field(min_length=1, max_length=200)
    region: str | None = Field(default=None, max_length=100)
    maturity: Maturity = Maturity.DEVELOPING


class FootprintUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    region: str | None = Field(default=None, max_length=100)
    maturity: Maturity | None = None


class FootprintRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    region: str | None
    maturity: Maturity
    created_at: datetime
    updated_at: datetime

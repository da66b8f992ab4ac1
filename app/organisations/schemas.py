from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.enums import OrganisationKind

ORGANISATION_CODE = r"^[A-Z0-9]{3,9}$"


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=ORGANISATION_CODE, description="ODS code (upper case), e.g. RMC or 00T")
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    compatibility_groups: dict[str, str] = Field(
        default_factory=dict,
        description="function key -> compatibility group (e.g. {'it': 'LDR Greater Manchester'})",
    )


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    compatibility_groups: dict[str, str] | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: OrganisationKind
    footprint: str
    compatibility_groups: dict[str, str]
    created_at: datetime
    updated_at: datetime

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models import Role


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=200, description="who or what holds it; shown in the audit trail"
    )
    role: Role
    footprints: list[str] = Field(
        default_factory=list,
        description="footprint codes it may touch (finance_director, planner); none for analyst and admin",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="default: 90 days from now; at most 365 days from now"
    )


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    footprints: list[str] | None = Field(description="null: every footprint")
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    created_by: str


class TokenIssued(TokenRead):
    token: str = Field(description="the secret; shown only now, it cannot be recovered later")

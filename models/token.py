from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, UTCDateTime


class Role(StrEnum):
    FINANCE_DIRECTOR = "finance_director"
    PLANNER = "planner"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def sees_every_footprint(self) -> bool:
        return self in (Role.ANALYST, Role.ADMIN)


class ApiToken(TimestampMixin, Base):
    """A bearer token. Only the SHA-256 of the secret is kept: the secret is shown once, at creation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")

    grants: Mapped[list[TokenFootprint]] = relationship(
        back_populates="token", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def footprint_codes(self) -> list[str]:
        return sorted(g.footprint_code for g in self.grants)


class TokenFootprint(Base):
    """A footprint a token may touch, by code: a grant survives the footprint being deleted and re-created."""

    __tablename__ = "api_token_footprint"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    footprint_code: Mapped[str] = mapped_column(String(16), primary_key=True)

    token: Mapped[ApiToken] = relationship(back_populates="grants")

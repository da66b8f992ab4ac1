from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin
from models.enums import OrganisationKind

if TYPE_CHECKING:
    from models.footprint import Footprint


class Organisation(TimestampMixin, Base):
    """A CCG, CSU, provider trust or council, identified by its ODS code."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(
            OrganisationKind,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint.id", ondelete="RESTRICT"), index=True)
    # function key -> compatibility group (e.g. {"it": "LDR-GM"}); absent = no group for that function
    compatibility_groups: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    footprint: Mapped[Footprint] = relationship(back_populates="organisations")

from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.enums import LockKind


class Lock(TimestampMixin, Base):
    """A planner's hard decision the optimiser must respect ("our payroll stays in-house")."""

    __tablename__ = "lock"
    __table_args__ = (UniqueConstraint("footprint_id", "organisation_id", "function_key", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint.id", ondelete="CASCADE"), index=True)
    # None only for a not_before_year lock that applies to every organisation
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    function_key: Mapped[str] = mapped_column(ForeignKey("function.key", ondelete="RESTRICT"))
    kind: Mapped[LockKind] = mapped_column(
        Enum(
            LockKind,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    year: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(1000), default="")

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin
from models.enums import Maturity

if TYPE_CHECKING:
    from models.organisation import Organisation


class Footprint(TimestampMixin, Base):
    """A Sustainability and Transformation Partnership footprint (ONS code E54…)."""

    __tablename__ = "footprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    maturity: Mapped[Maturity] = mapped_column(
        Enum(
            Maturity,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=Maturity.DEVELOPING,
    )
    # Raised by every change to the footprint's organisations or cost lines (exports carry it).
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organisations: Mapped[list[Organisation]] = relationship(back_populates="footprint")

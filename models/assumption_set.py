from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class AssumptionSet(TimestampMixin, Base):
    """Named economic assumptions for a footprint's optimisation runs.

    Per-function assumptions (savings tiers, hub fixed and set-up cost, transition cost rate, capacity
    multiple) and per-year limits (budget, pace, workforce) are nested documents; money inside them is
    written as decimal strings in pounds so it stays exact.
    """

    __tablename__ = "assumption_set"
    __table_args__ = (UniqueConstraint("footprint_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    discount_rate: Mapped[Decimal] = mapped_column(Numeric(6, 5), default=Decimal("0.035"))
    horizon_years: Mapped[int] = mapped_column(Integer, default=5)
    optimism_bias_cost_uplift: Mapped[Decimal] = mapped_column(Numeric(6, 5), default=Decimal("0"))
    optimism_bias_savings_haircut: Mapped[Decimal] = mapped_column(Numeric(6, 5), default=Decimal("0"))
    board_acceptability: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rule 10's mode when it is on: "shared" (a cost-sharing agreement per hub, the default) or "own".
    board_mode: Mapped[str] = mapped_column(String(10), default="shared")
    # Why the set has its mode when nobody chose it: sets stored before modes existed kept `own` (their
    # meaning then). Cleared when the set is next written.
    board_mode_note: Mapped[str | None] = mapped_column(String(300), default=None)
    board_tolerance_pence: Mapped[int] = mapped_column(Integer, default=0)
    function_assumptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    yearly_limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

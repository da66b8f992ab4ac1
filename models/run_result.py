"""A run's results, stored relationally so they can be queried, compared and exported.

Money is integer pence, rounded from the solver's float pounds once, when the results are stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UTCDateTime


class RunPlanRow(Base):
    """One member's move into a hub: `member` joins `host`'s hub for `function_key` in `year`."""

    __tablename__ = "run_plan_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    function_key: Mapped[str] = mapped_column(String(50))
    host: Mapped[str] = mapped_column(String(16))
    member: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    hub_opening_year: Mapped[int] = mapped_column(Integer)


class RunYear(Base):
    __tablename__ = "run_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    savings_pence: Mapped[int] = mapped_column(BigInteger)
    running_costs_pence: Mapped[int] = mapped_column(BigInteger)
    setup_costs_pence: Mapped[int] = mapped_column(BigInteger)
    transition_costs_pence: Mapped[int] = mapped_column(BigInteger)
    integration_costs_pence: Mapped[int] = mapped_column(BigInteger)
    net_cash_pence: Mapped[int] = mapped_column(BigInteger)
    cumulative_net_cash_pence: Mapped[int] = mapped_column(BigInteger)
    discount_factor: Mapped[float] = mapped_column(Float)
    discounted_net_cash_pence: Mapped[int] = mapped_column(BigInteger)
    wte_released: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    moves: Mapped[int] = mapped_column(Integer)


class RunOrganisation(Base):
    __tablename__ = "run_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(16))
    attributed_npv_pence: Mapped[int] = mapped_column(BigInteger)
    binds_board: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rule 10 in shared mode (null otherwise): its agreed share of its hubs' NPVs and the recharge that
    # brings it there (share - attributed, positive = received), summed over its hubs.
    share_pence: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recharge_pence: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Its attributed net cash in each year of the horizon (year 1 first), undiscounted pence, before any
    # recharge; a year's figures over the organisations add up to the run's net cash of that year. Null for
    # runs stored before migration 0008, which did not record it.
    net_cash_by_year_pence: Mapped[list[int] | None] = mapped_column(JSON, default=None)


class RunHubShare(Base):
    """One organisation's place in one hub's cost-sharing agreement (rule 10, shared mode); a hub's
    shares sum to its NPV and its recharges to zero, to the penny."""

    __tablename__ = "run_hub_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    function_key: Mapped[str] = mapped_column(String(50))
    host: Mapped[str] = mapped_column(String(16))
    hub_npv_pence: Mapped[int] = mapped_column(BigInteger)
    hub_binds_board: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(10))  # host | member
    first_year: Mapped[int] = mapped_column(Integer)
    attributed_npv_pence: Mapped[int] = mapped_column(BigInteger)
    share_pence: Mapped[int] = mapped_column(BigInteger)
    recharge_pence: Mapped[int] = mapped_column(BigInteger)
    annual_share_pence: Mapped[int] = mapped_column(BigInteger)
    annual_recharge_pence: Mapped[int] = mapped_column(BigInteger)


class RunBindingConstraint(Base):
    __tablename__ = "run_binding_constraint"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[str | None] = mapped_column(String(16))
    function_key: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")


class Sweep(TimestampMixin, Base):
    """A family of runs over variations of one assumption set (a grid, or seeded Monte-Carlo draws)."""

    __tablename__ = "sweep"

    id: Mapped[int] = mapped_column(primary_key=True)
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # grid | monte_carlo
    specification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the sweep is one footprint's part of a national sweep.
    national_sweep_id: Mapped[int | None] = mapped_column(
        ForeignKey("national_sweep.id", ondelete="CASCADE"), index=True
    )


class NationalSweep(TimestampMixin, Base):
    """The same scenarios run over every footprint (or a chosen list): one child sweep per footprint."""

    __tablename__ = "national_sweep"

    id: Mapped[int] = mapped_column(primary_key=True)
    specification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

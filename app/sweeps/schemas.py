from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.assumption_sets.schemas import AssumptionSetWrite, Rate
from app.core.money import SignedPounds
from app.runs.schemas import RunOptions


class Grid(BaseModel):
    """Every combination of the listed variations (a list left out means "as in the base set")."""

    model_config = ConfigDict(extra="forbid")

    savings_multipliers: list[float] = Field(default=[1.0], min_length=1, max_length=20)
    transition_multipliers: list[float] = Field(default=[1.0], min_length=1, max_length=20)
    discount_rates: list[Rate] | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _positive(self) -> Grid:
        if any(m < 0 for m in [*self.savings_multipliers, *self.transition_multipliers]):
            raise ValueError("multipliers cannot be negative")
        return self


class Triangular(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("need low <= mode <= high, with low < high")
        return self


class MonteCarlo(BaseModel):
    """Seeded draws of multipliers on every saving rate and every transition cost rate."""

    model_config = ConfigDict(extra="forbid")

    draws: int = Field(ge=1, le=1000)
    seed: int = Field(default=0, ge=0)
    savings: Triangular = Triangular(low=0.5, mode=1.0, high=1.25)
    transition: Triangular = Triangular(low=0.8, mode=1.0, high=1.5)


class SweepOptions(RunOptions):
    """Each child run's options, and how the sweep judges its children."""

    quality_tolerance: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="a child counts in the percentiles only if proven within this relative gap of its best "
        "possible plan (0.01 = 1 %); the others are listed as not proven",
    )
    central_run: int | None = Field(
        default=None,
        description="a finished run of this footprint whose plan every child starts from (a warm start: a "
        "child keeps it when it meets the child's rules and nothing better is found)",
    )


class SweepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assumption_set: str | None = None
    assumptions: AssumptionSetWrite | None = None
    grid: Grid | None = None
    monte_carlo: MonteCarlo | None = None
    options: SweepOptions = Field(default_factory=SweepOptions)

    @model_validator(mode="after")
    def _one_kind(self) -> SweepCreate:
        if (self.grid is None) == (self.monte_carlo is None):
            raise ValueError("Give exactly one of grid or monte_carlo.")
        if self.assumption_set is not None and self.assumptions is not None:
            raise ValueError("give either assumption_set (a name) or assumptions (inline), not both")
        return self


class HubShare(BaseModel):
    function: str
    host: str
    share: float = Field(description="share of the scenarios with a plan in which this hub appears")


class ChildResult(BaseModel):
    """One scenario of a sweep: its run, outcome, NPV and proven gap."""

    run_id: int
    label: str
    status: str
    npv: SignedPounds | None
    relative_gap: float | None = Field(description="proven gap to the best possible plan (null: none proven)")
    proven: bool = Field(description="finished and proven within the sweep's quality tolerance")


class SweepRead(BaseModel):
    warning: str | None = Field(
        description="said first when children fall short: how many were not proven within the tolerance "
        "(their gaps), or have no plan, and what the percentiles are made of"
    )
    id: int
    footprint: str
    kind: str
    specification: dict[str, Any]
    created_by: str
    created_at: datetime
    finished: bool
    runs: int
    by_status: dict[str, int]
    run_ids: list[int]
    quality_tolerance: float = Field(description="relative gap within which a child counts as proven")
    proven: int = Field(description="children proven within the tolerance: the percentiles are theirs alone")
    not_proven: list[ChildResult] = Field(
        description="finished children with a plan not proven within the tolerance, counted apart"
    )
    npv_p10: SignedPounds | None = Field(description="over the proven children only")
    npv_p50: SignedPounds | None
    npv_p90: SignedPounds | None
    npv_mean: SignedPounds | None
    hubs: list[HubShare] = Field(description="over the proven children only")
    children: list[ChildResult] = Field(description="every scenario, proven or not, in run order")


class SweepSummary(BaseModel):
    """A sweep in a list: what it is and how far its scenarios have got (the figures: GET …/sweeps/{id})."""

    id: int
    footprint: str
    kind: str = Field(description="grid or monte_carlo")
    created_by: str
    created_at: datetime
    finished: bool = Field(description="no scenario is queued or running any more")
    runs: int = Field(description="scenarios (child runs)")
    by_status: dict[str, int] = Field(description="child runs by status")


class SweepCancellation(BaseModel):
    sweep: SweepRead
    cancelled_run_ids: list[int] = Field(description="the queued and running scenarios this request stopped")

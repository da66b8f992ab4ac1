from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.money import SignedPounds
from app.sweeps.schemas import SweepCreate


class NationalSweepCreate(SweepCreate):
    """The scenarios of a footprint sweep (a grid, or seeded Monte-Carlo draws), run over every footprint
    (or those listed). `assumption_set` names a set every listed footprint must have; without it, each
    footprint is planned with the default figures (or `assumptions`, inline)."""

    footprints: list[str] | None = Field(
        default=None, min_length=1, description="footprint codes; default every footprint"
    )


class YearAmount(BaseModel):
    """One year of the planning horizon: money redeployed to patient care and staff released."""

    year: int
    patient_care: SignedPounds = Field(description="£ redeployed to patient care: the year's net cash")
    wte_released: float


class FootprintOutcome(BaseModel):
    """One footprint under one scenario: its run and that run's figures (none without a plan)."""

    footprint: str
    name: str
    scenario: str = Field(description="the scenario's name, e.g. 'savings x0.8, transition x1'")
    sweep_id: int
    run_id: int
    status: str
    proven_optimal: bool = Field(description="false when the solver stopped at its time limit (feasible)")
    npv: SignedPounds | None
    patient_care_per_year: list[YearAmount] = Field(description="£ to patient care and WTE, year by year")
    wte_released: float | None


class ScenarioTotal(BaseModel):
    """England under one scenario: every footprint's figures added up."""

    scenario: str = Field(description="the scenario's name, e.g. 'savings x0.8, transition x1'")
    variation: dict[str, Any] = Field(description="the multipliers (and discount rate) of the scenario")
    footprints: int = Field(description="footprints in the national sweep")
    planned: int = Field(description="footprints with a plan (optimal or feasible) in this scenario")
    unproven: list[str] = Field(description="footprints whose plan was stopped at the time limit (feasible)")
    without_plan: dict[str, str] = Field(description="footprint -> status, for those with no plan (yet)")
    npv: SignedPounds
    patient_care_per_year: list[YearAmount] = Field(
        description="£ to patient care and WTE released, year by year, over the footprints with a plan"
    )
    wte_released: float


class NationalSweepRead(BaseModel):
    """A national sweep: how far its runs have got, England's totals and each footprint's figures."""

    id: int
    specification: dict[str, Any]
    created_by: str
    created_at: datetime
    finished: bool
    finished_at: datetime | None
    runs: int
    by_status: dict[str, int]
    sweep_ids: dict[str, int] = Field(description="footprint -> its part of this national sweep")
    totals: list[ScenarioTotal] = Field(description="England: every footprint added up, per scenario")
    footprints: list[FootprintOutcome] = Field(description="each footprint under each scenario")
    caveats: list[str] = Field(description="what the totals do not cover, in words")

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from app.assumption_sets.schemas import AssumptionSetWrite
from app.core.money import SignedPounds
from models.enums import ReviewDecision, RunStatus

Figure = Annotated[Decimal, PlainSerializer(lambda v: str(v), return_type=str, when_used="json")]


class RunOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(default=60.0, gt=0, le=3600, description="seconds the solver may take")
    relative_gap: float = Field(default=1e-4, ge=0, le=1, description="stop when proven within this gap")
    solver: str = Field(default="highs", pattern="^(highs|cbc)$")
    seed: int = Field(default=0, ge=0)


class RunCreate(BaseModel):
    """Name a stored assumption set, or give one inline; neither: the documented defaults."""

    model_config = ConfigDict(extra="forbid")

    assumption_set: str | None = Field(default=None, description="name of a stored assumption set")
    assumptions: AssumptionSetWrite | None = Field(default=None, description="an inline assumption set")
    options: RunOptions = Field(default_factory=RunOptions)
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> RunCreate:
        if self.assumption_set is not None and self.assumptions is not None:
            raise ValueError("give either assumption_set (a name) or assumptions (inline), not both")
        return self


class Progress(BaseModel):
    """The solver's latest progress, written with the worker's heartbeat (every few seconds)."""

    phase: str = Field(description="greedy | per_function | restricted | joint | finished")
    incumbent: SignedPounds | None = Field(description="NPV of the best plan found so far")
    best_bound: SignedPounds | None = Field(description="no plan can have a higher NPV than this")
    relative_gap: float | None
    seconds: float = Field(description="since the solver started")


class RunRead(BaseModel):
    id: int
    footprint: str
    label: str
    status: RunStatus
    assumption_set: str | None
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    attempts: int
    error_message: str
    npv: SignedPounds | None
    payback_year: int | None
    solver_statistics: dict[str, Any]
    progress: Progress | None = Field(
        description="the solver's incumbent, bound and gap as they improve; the last one once finished"
    )
    sweep_id: int | None
    review: ReviewDecision | None = Field(description="the latest review's decision, if any")
    outcome_text: str | None = Field(
        default=None,
        description="the outcome in words: how good the plan is known to be, why the solver stopped, "
        "and for an empty or infeasible result what keeps organisations out (null while it runs)",
    )
    history: list[dict[str, Any]] = Field(
        default_factory=list,
        description="what happened to the run, in time order: enqueued, claimed (by which worker, which "
        "attempt, redelivered or not), re-queued, finished, failed, cancelled",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what to know before trusting the figures, in words (e.g. baselines from different "
        "financial years)",
    )


class PlanMove(BaseModel):
    function: str
    host: str
    member: str
    year: int
    hub_opening_year: int


class PlanHub(BaseModel):
    function: str
    host: str
    opening_year: int
    members: list[PlanMove]


class RunPlan(BaseModel):
    run_id: int
    status: RunStatus
    hubs: list[PlanHub]
    binding: list[dict[str, Any]]


class YearRead(BaseModel):
    year: int
    savings: SignedPounds
    running_costs: SignedPounds
    setup_costs: SignedPounds
    transition_costs: SignedPounds
    integration_costs: SignedPounds
    net_cash: SignedPounds = Field(description="£ redeployed to patient care that year")
    cumulative_net_cash: SignedPounds
    discount_factor: float
    discounted_net_cash: SignedPounds
    wte_released: Figure
    moves: int


class RunYears(BaseModel):
    run_id: int
    npv: SignedPounds | None
    payback_year: int | None
    years: list[YearRead]


class OrganisationYear(BaseModel):
    """One organisation's attributed net cash in one year of the plan."""

    year: int = Field(description="year of the plan, 1 to the horizon")
    net_cash: SignedPounds = Field(
        description="the organisation's attributed net cash that year, undiscounted"
    )


class OrganisationResult(BaseModel):
    organisation: str
    attributed_npv: SignedPounds = Field(description="its own position before any recharge (rule 10)")
    binds_board: bool = Field(description="own mode: its attributed NPV is within £0.01 of −θ")
    share: SignedPounds | None = Field(
        default=None, description="shared mode: its agreed share of its hubs' NPVs (null in own mode or off)"
    )
    recharge: SignedPounds | None = Field(
        default=None, description="shared mode: share − attributed NPV; positive = received"
    )
    net_cash_by_year: list[OrganisationYear] | None = Field(
        default=None,
        description="its attributed net cash in each year, undiscounted, before any recharge (year 1 first); "
        "a year's figures over the organisations add up to the run's net cash that year. Null for runs "
        "stored before this was recorded.",
    )


class HubParticipantResult(BaseModel):
    """One organisation's place in a hub's cost-sharing agreement (rule 10, shared mode)."""

    organisation: str
    role: str = Field(description="host | member")
    first_year: int = Field(description="the first year it is in the hub")
    attributed_npv: SignedPounds
    share: SignedPounds = Field(
        description="its agreed share of the hub's NPV, in proportion to its discounted cost-years in the hub"
    )
    recharge: SignedPounds = Field(description="share − attributed NPV; positive = received")
    annual_share: SignedPounds = Field(description="the share as an equal amount each year it is in the hub")
    annual_recharge: SignedPounds = Field(
        description="the recharge as an equal amount each year it is in the hub (same present value)"
    )


class HubAgreementResult(BaseModel):
    """A hub's cost-sharing agreement (shared mode): its NPV shared among the organisations in it."""

    function: str
    host: str
    npv: SignedPounds = Field(description="the hub's NPV: its shares sum to it, its recharges to zero")
    binds_board: bool = Field(description="the hub's NPV is within £0.01 of −θ")
    participants: list[HubParticipantResult] = Field(description="the host and every member")


class RunOrganisations(BaseModel):
    run_id: int
    board_mode: str = Field(description="shared | own | off: how rule 10 judged this run")
    organisations: list[OrganisationResult]
    hubs: list[HubAgreementResult] = Field(
        default_factory=list, description="shared mode: every hub's cost-sharing agreement"
    )


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    comment: str = Field(default="", max_length=5000)


class ReviewRead(BaseModel):
    id: int
    run_id: int
    decision: ReviewDecision
    comment: str
    reviewer: str
    created_at: datetime


class YearDifference(BaseModel):
    year: int
    net_cash_a: SignedPounds
    net_cash_b: SignedPounds
    difference: SignedPounds = Field(description="b − a")


class FunctionDifference(BaseModel):
    function: str
    hubs_opened: list[str] = Field(description="hosts with a hub in b and not in a")
    hubs_closed: list[str] = Field(description="hosts with a hub in a and not in b")
    organisations_moved: list[dict[str, Any]] = Field(
        description="members whose hub differs: {organisation, host_a, host_b} (null: in no hub)"
    )
    years_changed: list[dict[str, Any]] = Field(
        description="members in the same hub in both, moving in another year: {organisation, year_a, year_b}"
    )


class RunComparison(BaseModel):
    a: int
    b: int
    npv_a: SignedPounds | None
    npv_b: SignedPounds | None
    npv_difference: SignedPounds | None = Field(description="b − a")
    years: list[YearDifference]
    functions: list[FunctionDifference]

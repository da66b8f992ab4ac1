from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from app.core.money import Pounds


def _plain(value: Decimal) -> str:
    """A rate or multiple as written, whatever scale the database column gave it ("0.035", not "0.03500")."""
    return format(value.normalize(), "f")


Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=8, decimal_places=6, examples=["0.2"]),
    PlainSerializer(_plain, return_type=str, when_used="json"),
]
Multiple = Annotated[
    Decimal,
    Field(gt=0, max_digits=10, decimal_places=4),
    PlainSerializer(_plain, return_type=str, when_used="json"),
]
Wte = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(_plain, return_type=str, when_used="json"),
]
MAX_HORIZON = 15


class TierSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_volume: Pounds = Field(description="smallest hub volume (£ of pooled cost) in this tier")
    rate: Rate = Field(description="saving on the hub's whole volume, as a share (0.2 = 20 %)")


class FunctionAssumptionsSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: list[TierSchema] = Field(min_length=1, max_length=20)
    fixed_cost: Pounds = Field(description="hub running cost per year it is open")
    setup_cost: Pounds = Field(description="one-off, in the hub's opening year")
    transition_rate: Rate = Field(description="one-off share of a moved org-function's annual cost")
    capacity_multiple: Multiple | None = Field(
        default=None, description="hub volume ≤ multiple × host's own cost; null = unlimited"
    )

    @model_validator(mode="after")
    def _tiers_rise(self) -> FunctionAssumptionsSchema:
        minima = [t.min_volume for t in self.tiers]
        if minima[0] != 0:
            raise ValueError("the first tier must start at 0")
        if any(b <= a for a, b in zip(minima, minima[1:], strict=False)):
            raise ValueError("tier minimum volumes must strictly increase")
        return self


class AssumptionSetWrite(BaseModel):
    """An assumption set; functions left out take the documented defaults (docs/planners/assumptions.md)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=1000)
    discount_rate: Rate = Decimal("0.035")
    horizon_years: int = Field(default=5, ge=1, le=MAX_HORIZON)
    optimism_bias_cost_uplift: Annotated[
        Decimal,
        Field(ge=0, le=3, max_digits=6, decimal_places=5),
        PlainSerializer(_plain, return_type=str, when_used="json"),
    ] = Field(default=Decimal("0"), description="added to set-up and transition costs (0.41 = +41 %)")
    optimism_bias_savings_haircut: Rate = Field(
        default=Decimal("0"), description="taken off every saving rate (0.25 = rates × 0.75)"
    )
    board_acceptability: bool = Field(default=True, description="rule 10 on or off")
    board_mode: Literal["shared", "own"] = Field(
        default="shared",
        description=(
            "rule 10's mode when on: 'shared' (every hub's NPV ≥ −θ, shared among its organisations by a "
            "cost-sharing agreement with recharges) or 'own' (every organisation's own attributed NPV ≥ −θ, "
            "no money moves between organisations); docs/planners/board-acceptability.md"
        ),
    )
    board_tolerance: Pounds = Field(
        default=Decimal("0"), description="θ: every hub's NPV (shared) or attributed NPV (own) ≥ −θ"
    )
    functions: dict[str, FunctionAssumptionsSchema] = Field(default_factory=dict)
    budget: list[Pounds | None] | None = Field(
        default=None, description="transition + integration £ per year (null: no limit)"
    )
    pace: list[Annotated[int, Field(ge=0)] | None] | None = Field(
        default=None, description="moves per year; null: from the footprint's maturity"
    )
    workforce: list[Wte | None] | None = Field(default=None, description="WTE released per year")

    @model_validator(mode="after")
    def _years(self) -> AssumptionSetWrite:
        for name in ("budget", "pace", "workforce"):
            values = getattr(self, name)
            if values is not None and len(values) != self.horizon_years:
                raise ValueError(f"{name} has {len(values)} entries for a {self.horizon_years}-year horizon")
        return self


class AssumptionSetCreate(AssumptionSetWrite):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^/?#]+$")


class AssumptionSetRead(AssumptionSetWrite):
    model_config = ConfigDict(extra="ignore")

    id: int
    footprint: str
    name: str
    functions_defaulted: list[str] = Field(description="functions that take the documented defaults")
    board_mode_note: str | None = Field(
        default=None,
        description="why the set has its board mode when nobody chose it (older sets kept 'own')",
    )
    created_at: datetime
    updated_at: datetime

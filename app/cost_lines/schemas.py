from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from app.core.bounds import COST_TOO_LARGE, MAX_COST_POUNDS, MAX_WTE, WTE_TOO_LARGE
from app.core.financial_years import NotAFinancialYear, parse_financial_year
from app.core.money import Pounds, ascii_number
from app.core.pagination import Page


def canonical_financial_year(value: object) -> str:
    """`2017/18`, `2017-18`, `2017/2018`, `FY 2017/18` or `17/18` -> `2017/18`, as uploads accept."""
    try:
        return parse_financial_year(value)
    except NotAFinancialYear:
        raise PydanticCustomError(
            "financial_year",
            "{value} is not a financial year: write it as 2017/18 (2017-18 and 2017/2018 are accepted too).",
            {"value": repr(value)},
        ) from None


FinancialYear = Annotated[
    str,
    Field(
        examples=["2017/18"],
        description="April to March, written 2017/18 (2017-18, 2017/2018 and FY 2017/18 are accepted "
        "and answered as 2017/18)",
    ),
    BeforeValidator(canonical_financial_year),
]


def _at_most(bound: Decimal, message: str) -> AfterValidator:
    def check(value: Decimal) -> Decimal:
        if value > bound:
            raise ValueError(message)
        return value

    return AfterValidator(check)


# One cost line's pay or non-pay: at most £1 billion (app/core/bounds.py; a CHECK constraint too).
CostAmount = Annotated[
    Pounds,
    Field(json_schema_extra={"maximum": int(MAX_COST_POUNDS)}),
    _at_most(MAX_COST_POUNDS, COST_TOO_LARGE),
]
WteTotal = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, description="whole-time equivalent staff"),
    BeforeValidator(ascii_number),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
# One cost line's WTE: at most 100,000.
Wte = Annotated[
    WteTotal,
    Field(json_schema_extra={"maximum": int(MAX_WTE)}),
    _at_most(MAX_WTE, WTE_TOO_LARGE),
]


class CostLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(description="ODS code of an organisation in this footprint")
    function: str = Field(description="function key, see GET /functions")
    financial_year: FinancialYear
    pay: CostAmount = Field(description="pay costs, £ (at most £1 billion)")
    non_pay: CostAmount = Field(description="non-pay costs, £ (at most £1 billion)")
    wte: Wte = Decimal(0)


class CostLineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay: CostAmount | None = None
    non_pay: CostAmount | None = None
    wte: Wte | None = None


class CostLineRead(BaseModel):
    id: int
    footprint: str
    organisation: str
    function: str
    financial_year: str
    pay: Pounds
    non_pay: Pounds
    total: Pounds
    wte: Wte
    upload_id: int | None
    created_at: datetime
    updated_at: datetime


class CostLinePage(Page[CostLineRead]):
    pass


class BulkUpsertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CostLineCreate] = Field(min_length=1)


class UpsertReport(BaseModel):
    rows_read: int
    inserted: int
    updated: int
    unchanged: int


class CostSummaryRow(BaseModel):
    function: str
    financial_year: str
    lines: int
    pay: Pounds
    non_pay: Pounds
    total: Pounds
    wte: WteTotal


class CostSummary(BaseModel):
    footprint: str
    rows: list[CostSummaryRow]
    pay: Pounds
    non_pay: Pounds
    total: Pounds

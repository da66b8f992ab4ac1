from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from app.core.financial_years import NotAFinancialYear, parse_financial_year
from app.core.money import Pounds
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
Wte = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, description="whole-time equivalent staff"),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]


class CostLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(description="ODS code of an organisation in this footprint")
    function: str = Field(description="function key, see GET /functions")
    financial_year: FinancialYear
    pay: Pounds = Field(description="pay costs, £")
    non_pay: Pounds = Field(description="non-pay costs, £")
    wte: Wte = Decimal(0)


class CostLineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay: Pounds | None = None
    non_pay: Pounds | None = None
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
    wte: Wte


class CostSummary(BaseModel):
    footprint: str
    rows: list[CostSummaryRow]
    pay: Pounds
    non_pay: Pounds
    total: Pounds

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from app.core.bounds import COST_TOO_LARGE, MAX_COST_POUNDS, MAX_WTE, WTE_TOO_LARGE
from app.core.money import Pounds, ascii_number


def check_financial_year(value: str) -> str:
    """`2017/18`: a start year and the two digits of the next year."""
    start, end = int(value[:4]), int(value[5:])
    if (start + 1) % 100 != end:
        raise ValueError(
            f"financial year {value} must span consecutive years, e.g. {start}/{(start + 1) % 100:02d}"
        )
    return value


FinancialYear = Annotated[
    str,
    Field(pattern=r"^\d{4}/\d{2}$", examples=["2017/18"], description="written 2017/18"),
    AfterValidator(check_financial_year),
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


class CostLinePage(BaseModel):
    items: list[CostLineRead]
    total: int = Field(
        description="rows matching the filters, across all pages: counted for the first page; "
        "the later pages of a walk repeat that count"
    )
    limit: int
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


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

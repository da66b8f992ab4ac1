from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from app.core.money import Pounds


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
    wte: Wte


class CostSummary(BaseModel):
    footprint: str
    rows: list[CostSummaryRow]
    pay: Pounds
    non_pay: Pounds
    total: Pounds

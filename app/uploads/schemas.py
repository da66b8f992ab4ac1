from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SheetProblem(BaseModel):
    """Where a problem is: the sheet, the cell (A1 reference) and the column's header as written."""

    sheet: str | None
    cell: str | None = Field(examples=["C14"])
    column: str | None
    value: Any = None
    message: str


class Counts(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class SheetCounts(BaseModel):
    rows_read: int
    skipped: int


class Reversion(BaseModel):
    """A line changed after the workbook was exported, which an `?overwrite=true` upload put back."""

    organisation: str = Field(description="ODS code")
    function: str | None = Field(description="function key (null when the organisation itself changed)")
    financial_year: str | None = Field(
        description="financial year of the cost line (null for an organisation)"
    )
    changed_at: datetime = Field(description="when it was changed after the export")
    now: str = Field(description="what it was before this upload")
    in_file: str | None = Field(description="what this upload put back")


class UploadReport(BaseModel):
    upload_id: int
    file_name: str
    sha256: str
    status: str = Field(description="accepted (refused uploads get a problem document instead)")
    changed: bool = Field(description="false when the upload changed nothing (e.g. the same file again)")
    message: str
    rows_read: int = Field(description="non-blank rows under the header rows of the sheets read")
    inserted: int
    updated: int
    unchanged: int
    skipped: int = Field(description="total and subtotal rows, not imported")
    organisations: Counts
    cost_lines: Counts
    sheets: dict[str, SheetCounts]
    warnings: list[SheetProblem]
    created_at: datetime
    reverted: list[Reversion] = Field(
        default_factory=list,
        description="with ?overwrite=true on a workbook exported before later changes: every line whose "
        "later change this upload reverted",
    )


class UploadRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    file_name: str
    sha256: str
    uploaded_by: str
    status: str
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_skipped: int
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    created_at: datetime

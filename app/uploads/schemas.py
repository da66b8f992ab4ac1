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

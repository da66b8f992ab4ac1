"""What reading a workbook produces: organisations, cost-line columns and every problem found, each
with its sheet and cell (plain data; nothing here touches the database)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from openpyxl.utils import get_column_letter

from app.core.text import printable
from app.cost_lines.upsert import CostLineColumns

Problem = dict[str, Any]


@dataclass
class ParsedOrganisation:
    code: str
    name: str
    kind: str
    # function key -> group (None = blank cell) for the group columns the sheet has; others are kept
    groups: dict[str, str | None]
    location: dict[str, Any]


@dataclass
class SheetCounts:
    rows_read: int = 0
    skipped: int = 0


@dataclass
class ParsedWorkbook:
    organisations: list[ParsedOrganisation] = field(default_factory=list)
    cost_lines: CostLineColumns = field(default_factory=CostLineColumns)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sheets: dict[str, SheetCounts] = field(default_factory=dict)
    # Codes of Organisations rows refused for another cell (a bad kind, a missing name): the row's own
    # error is the root cause, so cost lines of those organisations are not reported again as unknown.
    refused_organisations: set[str] = field(default_factory=set)
    # From the ReadMe of an exported workbook: the footprint's data version and the time of the export.
    data_version: int | None = None
    exported_at: str | None = None


def cell_ref(row: int, column: int) -> str:
    """0-based row and column -> A1 reference."""
    return f"{get_column_letter(column + 1)}{row + 1}"


def problem(sheet: str | None, cell: str | None, column: str | None, value: Any, message: str) -> Problem:
    return {"sheet": sheet, "cell": cell, "column": column, "value": _jsonable(value), "message": message}


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)  # the problem is stored with the upload: no NUL, no surrogate
    if isinstance(value, date | time | timedelta):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value

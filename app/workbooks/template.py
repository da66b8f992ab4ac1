"""The template workbook, blank or filled: `ReadMe`, `Organisations`, `CostLines`, `Assumptions`, `Locks`.

The cost-line export is this same workbook filled with a footprint's organisations and cost lines, so what
is exported imports back unchanged. Written in write-only mode: 100,000 cost lines stream straight out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO, NamedTuple

from app.workbooks import layout
from app.workbooks.layout import FunctionInfo
from app.workbooks.writer import Column, SheetWriter, new_workbook


@dataclass(frozen=True)
class OrganisationRow:
    code: str
    name: str
    kind: str
    compatibility_groups: dict[str, str] = field(default_factory=dict)


class CostLineRow(NamedTuple):
    """One exported cost line, in the CostLines sheet's column order (a tuple: 100,000 are made)."""

    organisation: str
    organisation_name: str
    function: str
    financial_year: str
    pay: Decimal
    non_pay: Decimal
    wte: Decimal


def _readme(
    sheet: SheetWriter,
    functions: Sequence[FunctionInfo],
    sheets: Sequence[tuple[str, str, list[Column]]],
    footprint: str | None,
    data_version: tuple[int, datetime] | None = None,
) -> None:
    sheet.append_labels(["STP back-office consolidation planner: data template"], style="stp_title")
    if footprint:
        sheet.append_labels(["Footprint", footprint])
    if data_version is not None:
        # Read back by uploads: a workbook exported before later changes is refused rather than
        # silently putting the old figures back (see docs/finance-directors/excel.md).
        version, exported_at = data_version
        sheet.append_labels([layout.DATA_VERSION, str(version)])
        sheet.append_labels([layout.EXPORTED_AT, exported_at.isoformat()])
    sheet.append_labels([])
    for line in (
        "Fill in the Organisations and CostLines sheets and upload the file to your footprint "
        "(POST /footprints/{code}/uploads, or: stpplan import FILE --footprint CODE).",
        "One row per item; keep the header row. Money is in pounds (£) unless a header or a cell above "
        "the table says £k or £m. Brackets, £ signs and thousands separators are fine; "
        "'-' or blank means zero.",
        "Rows whose first text is Total or Subtotal are skipped. Extra columns are ignored (and reported).",
        "Every problem is reported at once with its sheet and cell; a file with any problem changes nothing.",
        "Uploading the same file again changes nothing; a corrected file updates the rows in place.",
    ):
        sheet.append_labels([line])
    for name, purpose, columns in sheets:
        sheet.append_labels([])
        sheet.append_labels([name, purpose], style="stp_bold")
        sheet.append_labels(["Column", "Meaning", "Example"], style="stp_header")
        for column in columns:
            sheet.append_labels([column.header, column.description, column.example or None])
    sheet.append_labels([])
    sheet.append_labels(["Functions", "Key to use in the Function column"], style="stp_bold")
    sheet.append_labels(["Key", "Label"], style="stp_header")
    for function in functions:
        sheet.append_labels([function.key, function.label])


def write_workbook(
    out: IO[bytes],
    functions: Sequence[FunctionInfo],
    *,
    footprint: str | None = None,
    organisations: Iterable[OrganisationRow] = (),
    cost_lines: Iterable[CostLineRow] = (),
    data_version: tuple[int, datetime] | None = None,
) -> int:
    """Write the template (filled with whatever rows are given) to `out`; returns cost lines written."""
    workbook = new_workbook()
    org_columns = layout.organisation_columns(functions)
    cost_columns = layout.cost_line_columns(functions)
    assumption_columns = layout.assumption_columns(functions)
    lock_columns = layout.lock_columns(functions)
    sheets = [
        (layout.ORGANISATIONS, "One row per organisation of the footprint.", org_columns),
        (
            layout.COST_LINES,
            "One row per organisation, function and financial year: the annual cost of that function.",
            cost_columns,
        ),
        (
            layout.ASSUMPTIONS,
            "Economic assumptions for optimisation runs, one parameter per row (read by runs).",
            assumption_columns,
        ),
        (layout.LOCKS, "Decisions the optimiser must respect, one per row (read by runs).", lock_columns),
    ]
    readme = SheetWriter(workbook, layout.README, widths=[26, 100, 24])
    _readme(readme, functions, sheets, footprint, data_version)

    org_sheet = SheetWriter(workbook, layout.ORGANISATIONS, org_columns)
    for org in organisations:
        groups = org.compatibility_groups
        org_sheet.append([org.code, org.name, org.kind, *[groups.get(f.key) for f in functions]])
    org_sheet.finish()

    cost_sheet = SheetWriter(workbook, layout.COST_LINES, cost_columns)
    written = 0
    for line in cost_lines:
        cost_sheet.append(line)
        written += 1
    cost_sheet.finish()

    for title, columns in ((layout.ASSUMPTIONS, assumption_columns), (layout.LOCKS, lock_columns)):
        SheetWriter(workbook, title, columns).finish()
    workbook.save(out)
    return written

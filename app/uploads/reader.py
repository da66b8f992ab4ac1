"""Tolerant reading of the spreadsheets finance teams really send (python-calamine: .xlsx/.xlsm/.xls/.ods).

Tolerated, per sheet: title rows above the header; header names in any case or spacing and common
synonyms; money as numbers or text (`£1,234`, `1,234.50`, `(1,234)`, `-` or blank as zero); a unit (£, £k,
£m) in a header, in a cell above the table or in a units row under the header; blank rows; total and
subtotal rows (skipped, reported); extra columns (ignored, reported). Nothing here touches the database:
the result is plain data plus every problem found, each with its sheet and cell.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import python_calamine

from app.uploads.cells import CellError, CellValue, is_blank, text_value
from app.uploads.cost_line_sheet import read_cost_lines
from app.uploads.formulas import unusable_cells
from app.uploads.guards import Inspection, not_a_spreadsheet
from app.uploads.header_names import (
    CODE,
    COST_LINE_FIELDS,
    FUNCTION,
    FUNCTION_SYNONYMS,
    KIND,
    LDR_NAMES,
    NAME,
    ORGANISATION_FIELDS,
    SHEET_ROLES,
    normalise,
    squash,
)
from app.uploads.organisation_sheet import read_organisations
from app.uploads.parsed import ParsedWorkbook, problem
from app.uploads.tables import HEADER_SCAN_ROWS, find_header
from app.workbooks import layout
from app.workbooks.layout import FunctionInfo


class WorkbookReader:
    """Reads one uploaded workbook into organisations and cost lines, collecting every problem."""

    def __init__(self, functions: Sequence[FunctionInfo]) -> None:
        self.functions = list(functions)
        self._function_names: dict[str, str] = {}
        for function in self.functions:
            for name in (function.key, function.label):
                self._function_names[normalise(name.replace("_", " "))] = function.key
                self._function_names[squash(name)] = function.key
        known = {f.key for f in self.functions}
        for name, key in FUNCTION_SYNONYMS.items():
            if key in known:
                self._function_names.setdefault(name, key)
        self.result = ParsedWorkbook()

    # lookups

    def function_key(self, value: CellValue) -> str:
        text = text_value(value)
        key = self._function_names.get(normalise(text)) or self._function_names.get(squash(text))
        if key is None:
            raise CellError(
                f"unknown function {text!r}; use one of: " + ", ".join(f.key for f in self.functions)
            )
        return key

    def group_function(self, header: str) -> str | None:
        if header in LDR_NAMES:
            return "it" if any(f.key == "it" for f in self.functions) else None
        for prefix in ("compatibility group ", "group "):
            if header.startswith(prefix):
                return self._function_names.get(header[len(prefix) :])
        for suffix in (" compatibility group", " group", " compatibility"):
            if header.endswith(suffix):
                return self._function_names.get(header[: -len(suffix)])
        return None

    # entry point

    def read(self, data: bytes, inspection: Inspection, file_name: str) -> ParsedWorkbook:
        try:
            workbook = python_calamine.load_workbook(io.BytesIO(data))
        except python_calamine.PasswordError as exc:
            raise not_a_spreadsheet(
                file_name, "it is password-protected; remove the password and save again"
            ) from exc
        except Exception as exc:  # calamine raises several error types for what is not a workbook
            raise not_a_spreadsheet(file_name, f"it could not be read as a workbook: {exc}") from exc
        with workbook:
            plan: list[tuple[str, str | None]] = []
            for meta in workbook.sheets_metadata:
                if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                    continue
                plan.append((meta.name, SHEET_ROLES.get(squash(meta.name))))
            try:
                unusable = unusable_cells(
                    data, inspection, [name for name, role in plan if role != layout.README]
                )
            except Exception as exc:  # a sheet part that does not parse as XML
                raise not_a_spreadsheet(file_name, f"a worksheet's XML is damaged: {exc}") from exc
            for name, role in plan:
                if role == layout.README:
                    self._read_export_stamp(workbook, name)
                    continue
                try:
                    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                except Exception as exc:
                    self.result.errors.append(
                        problem(name, None, None, None, f"the sheet cannot be read: {exc}")
                    )
                    continue
                self._read_sheet(name, role, rows, unusable.get(name, {}))
        if inspection.has_macros:
            self.result.warnings.append(
                problem(
                    None, None, None, None, "the workbook contains macros; they were ignored and never run"
                )
            )
        if not self.result.sheets and not self.result.errors:
            self.result.errors.append(
                problem(
                    None,
                    None,
                    None,
                    file_name,
                    "no Organisations or CostLines sheet found: name the sheets as in the template, or give "
                    "them a header row with ODS code, Function, Financial year, Pay and Non-pay columns",
                )
            )
        return self.result

    def _read_export_stamp(self, workbook: Any, name: str) -> None:
        """The data version and export time an exported workbook's ReadMe carries (if it does)."""
        try:
            rows = workbook.get_sheet_by_name(name).to_python()
        except Exception:  # an unreadable ReadMe only loses the check, never the upload
            return
        for cells in rows[:10]:
            if len(cells) < 2 or not isinstance(cells[0], str):
                continue
            label, value = cells[0].strip(), text_value(cells[1])
            if label == layout.DATA_VERSION and value.isdigit():
                self.result.data_version = int(value)
            elif label == layout.EXPORTED_AT and value:
                self.result.exported_at = value

    def _read_sheet(
        self, name: str, role: str | None, rows: list[list[CellValue]], unusable: dict[tuple[int, int], str]
    ) -> None:
        if role in (layout.ASSUMPTIONS, layout.LOCKS):
            filled = [i for i, cells in enumerate(rows) if not all(is_blank(c) for c in cells)]
            if len(filled) > 1:
                self.result.warnings.append(
                    problem(
                        name,
                        None,
                        None,
                        None,
                        f"the {role} sheet is not imported by uploads yet; its {len(filled) - 1} row(s) were "
                        "ignored (set them through the API)",
                    )
                )
            return
        if role == layout.COST_LINES or role is None:
            header = find_header(rows, COST_LINE_FIELDS, [CODE, FUNCTION])
            if header is not None and (FUNCTION in header.columns or role is not None):
                read_cost_lines(self.result, self._function, name, rows, header, unusable)
                return
        if role == layout.ORGANISATIONS or role is None:
            header = find_header(rows, ORGANISATION_FIELDS, [CODE, NAME, KIND], self.group_function)
            if header is not None and (KIND in header.columns or role is not None):
                read_organisations(self.result, name, rows, header, unusable)
                return
        if role is None:
            self.result.warnings.append(
                problem(
                    name, None, None, None, "sheet not recognised (no header row with known columns); ignored"
                )
            )
            return
        self.result.errors.append(
            problem(
                name,
                None,
                None,
                None,
                f"no header row found in the first {HEADER_SCAN_ROWS} rows: the {role} sheet needs columns "
                + (
                    "ODS code, Function, Financial year, Pay (£), Non-pay (£) and WTE"
                    if role == layout.COST_LINES
                    else "ODS code, Name and Kind"
                ),
            )
        )

    def _function(self, value: CellValue) -> str:
        if is_blank(value):
            raise CellError("function is missing")
        return self.function_key(value)


def read_workbook(
    data: bytes, inspection: Inspection, file_name: str, functions: Sequence[FunctionInfo]
) -> ParsedWorkbook:
    return WorkbookReader(functions).read(data, inspection, file_name)


__all__ = ["ParsedWorkbook", "read_workbook"]

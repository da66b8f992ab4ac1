"""The CostLines sheet, column by column: each column converted in one pass, rows visited one by one
only to report problems."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from app.cost_lines.upsert import CostLineColumns
from app.uploads.cells import (
    ZERO_WTE,
    CellError,
    CellValue,
    convert_column,
    financial_year_cell,
    is_blank,
    organisation_code,
    pence_column,
    text_value,
    wte_value,
)
from app.uploads.header_names import CODE, FUNCTION, NON_PAY, PAY, WTE, YEAR
from app.uploads.parsed import ParsedWorkbook, cell_ref, problem
from app.uploads.tables import Header, data_rows, start_table, title_declarations


def read_cost_lines(
    result: ParsedWorkbook,
    function: Callable[[CellValue], str],
    sheet: str,
    rows: list[list[CellValue]],
    header: Header,
    unusable: dict[tuple[int, int], str],
) -> None:
    """Column by column: each column is converted in one pass (its repeated values once), so the
    work per row is a few list look-ups; rows are visited one by one only to report problems."""
    sheet_unit, sheet_year = title_declarations(rows, header.row)
    headers = rows[header.row]
    required = {CODE: "ODS code", FUNCTION: "Function"}
    if sheet_year is None:
        required[YEAR] = "Financial year"
    first = start_table(result, sheet, rows, header, required, headers)
    if PAY not in header.columns and NON_PAY not in header.columns:
        result.errors.append(
            problem(sheet, cell_ref(header.row, 0), "Pay (£)", None, "no Pay or Non-pay column found")
        )
        first = None
    if first is None:
        return
    cols = header.columns
    c_code, c_function = cols[CODE], cols[FUNCTION]
    c_year, c_pay, c_non_pay, c_wte = cols.get(YEAR), cols.get(PAY), cols.get(NON_PAY), cols.get(WTE)
    label = {index: text_value(headers[index]) for index in cols.values()}
    used = sorted(cols[f] for f in (CODE, FUNCTION, YEAR, PAY, NON_PAY, WTE) if f in cols)
    at, cells_of = data_rows(result, sheet, rows, first)
    n = len(at)

    codes, bad_codes = convert_column(cells_of(c_code), organisation_code)
    functions, bad_functions = convert_column(cells_of(c_function), function)
    fields: list[tuple[int, list[Any]]] = [(c_code, codes), (c_function, functions)]
    failed = {*bad_codes, *bad_functions}
    if c_year is None:
        years: list[Any] = [sheet_year] * n
    else:

        def year(value: CellValue) -> str:
            if sheet_year and is_blank(value):
                return sheet_year
            return financial_year_cell(value)

        years, bad = convert_column(cells_of(c_year), year)
        fields.append((c_year, years))
        failed.update(bad)
    amounts: list[list[Any]] = []
    for c, what in ((c_pay, "pay"), (c_non_pay, "non-pay")):
        if c is not None:
            unit = header.units.get(c, sheet_unit if sheet_unit is not None else Decimal(1))
            pence, bad = pence_column(cells_of(c), unit, what)
            amounts.append(pence)
            fields.append((c, pence))
            failed.update(bad)
    # Only a non-pay column: it fills non-pay, and pay is zero.
    pays = amounts[0] if c_pay is not None else [0] * n
    non_pays = amounts[-1] if c_non_pay is not None else [0] * n
    if c_wte is None:
        wtes: list[Any] = [ZERO_WTE] * n
    else:
        wtes, bad = convert_column(cells_of(c_wte), wte_value)
        fields.append((c_wte, wtes))
        failed.update(bad)

    # Rows with a problem, in the order a reader of the sheet meets them.
    if unusable:
        where = {r: i for i, r in enumerate(at)}
        failed.update(where[r] for r, c in unusable if r in where and c in label)
    keep: Sequence[int]
    if not failed and len(set(zip(codes, functions, years, strict=True))) == n:
        keep = range(n)
    else:
        keys = list(zip(codes, functions, years, strict=True))
        keep = _sift(result, sheet, rows, at, keys, failed, fields, used, label, unusable, c_code)

    everything = len(keep) == n
    rows_of = at if everything else [at[i] for i in keep]
    letter, column = get_column_letter(c_code + 1), label[c_code]
    result.cost_lines.extend(
        CostLineColumns(
            organisation=codes if everything else [codes[i] for i in keep],
            function=functions if everything else [functions[i] for i in keep],
            financial_year=years if everything else [years[i] for i in keep],
            pay_pence=pays if everything else [pays[i] for i in keep],
            non_pay_pence=non_pays if everything else [non_pays[i] for i in keep],
            wte=wtes if everything else [wtes[i] for i in keep],
            distinct=True,
            locate=lambda i: {"sheet": sheet, "cell": f"{letter}{rows_of[i] + 1}", "column": column},
        )
    )


def _sift(
    result: ParsedWorkbook,
    sheet: str,
    rows: list[list[CellValue]],
    at: list[int],
    keys: list[tuple[Any, Any, Any]],
    failed: set[int],
    fields: list[tuple[int, list[Any]]],
    used: list[int],
    label: dict[int, str],
    unusable: dict[tuple[int, int], str],
    c_code: int,
) -> list[int]:
    """Report every problem row by row (a row's unusable cells, else each bad cell, else a duplicate
    of an earlier good row) and return the rows to import."""
    errors = result.errors
    seen: dict[tuple[str, str, str], int] = {}
    keep = []
    for i, key in enumerate(keys):
        r = at[i]
        if i in failed:
            lost = [c for c in used if (r, c) in unusable]
            if lost:
                for c in lost:
                    errors.append(problem(sheet, cell_ref(r, c), label[c], None, unusable[(r, c)]))
                continue
            for c, values in fields:
                if values[i].__class__ is CellError:
                    value = rows[r][c] if c < len(rows[r]) else ""
                    errors.append(problem(sheet, cell_ref(r, c), label[c], value, str(values[i])))
            continue
        if key in seen:
            code, function, year = key
            errors.append(
                problem(
                    sheet,
                    cell_ref(r, c_code),
                    label[c_code],
                    code,
                    f"duplicate: row {seen[key]} already gives {code}, {function}, {year}",
                )
            )
            continue
        seen[key] = r + 1
        keep.append(i)
    return keep

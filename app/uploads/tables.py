"""Where a sheet's table is: its header row (names, units, ignored columns), the units row or title
cells that declare a unit or a year, and the rows that hold data (blank rows pass, totals are skipped)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.core.financial_years import find_financial_year
from app.uploads.cells import CellValue, is_blank, text_value
from app.uploads.header_names import TOTAL, UNITS_ROW_CELL, declared_unit, normalise
from app.uploads.parsed import ParsedWorkbook, SheetCounts, cell_ref, problem

HEADER_SCAN_ROWS = 30


@dataclass
class Header:
    row: int
    columns: dict[str, int]  # field -> column index
    units: dict[int, Decimal]  # column index -> declared unit
    extra: list[tuple[int, str]]  # ignored columns
    group_columns: dict[int, str] = field(default_factory=dict)  # column -> function key (organisations)


def _match_header(
    cells: Sequence[CellValue], fields: dict[str, set[str]], group_lookup: Callable[[str], str | None] | None
) -> Header | None:
    columns: dict[str, int] = {}
    units: dict[int, Decimal] = {}
    extra: list[tuple[int, str]] = []
    groups: dict[int, str] = {}
    for index, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            if not is_blank(cell):
                extra.append((index, text_value(cell)))
            continue
        name = normalise(cell)
        matched = next((f for f, names in fields.items() if name in names and f not in columns), None)
        if matched is not None:
            columns[matched] = index
            unit = declared_unit(cell)
            if unit is not None:
                units[index] = unit
            continue
        if group_lookup is not None:
            key = group_lookup(name)
            if key is not None and key not in groups.values():
                groups[index] = key
                continue
        extra.append((index, cell.strip()))
    if len(columns) < 2:
        return None
    return Header(row=-1, columns=columns, units=units, extra=extra, group_columns=groups)


def find_header(
    rows: Sequence[Sequence[CellValue]],
    fields: dict[str, set[str]],
    required: Sequence[str],
    group_lookup: Callable[[str], str | None] | None = None,
) -> Header | None:
    """The first row among the top ones that names the most known columns (and the required ones)."""
    best: Header | None = None
    best_score = 0
    for row_index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        header = _match_header(cells, fields, group_lookup)
        if header is None:
            continue
        score = len(header.columns) + (10 if all(f in header.columns for f in required) else 0)
        if score > best_score:
            header.row = row_index
            best, best_score = header, score
    return best


def title_declarations(
    rows: Sequence[Sequence[CellValue]], header_row: int
) -> tuple[Decimal | None, str | None]:
    """A unit (£k...) or a financial year stated in the cells above the header."""
    unit: Decimal | None = None
    year: str | None = None
    for cells in rows[:header_row]:
        for cell in cells:
            if isinstance(cell, str) and cell.strip():
                unit = unit if unit is not None else declared_unit(cell)
                year = year or find_financial_year(cell)
    return unit, year


def is_units_row(cells: Sequence[CellValue]) -> bool:
    texts = [c for c in cells if not is_blank(c)]
    return bool(texts) and all(isinstance(c, str) and UNITS_ROW_CELL.match(c.strip().lower()) for c in texts)


_TOTAL_STARTS = frozenset("tTsSgG ")


def start_table(
    result: ParsedWorkbook,
    sheet: str,
    rows: list[list[CellValue]],
    header: Header,
    required: dict[str, str],
    headers: list[CellValue],
) -> int | None:
    """Report extra and missing columns; returns the first data row, or None when a column is missing."""
    result.sheets[sheet] = SheetCounts()
    for index, text in header.extra:
        result.warnings.append(
            problem(
                sheet, cell_ref(header.row, index), text, text, "column not used by the importer; ignored"
            )
        )
    missing = [label for f, label in required.items() if f not in header.columns]
    for label in missing:
        found = ", ".join(text_value(h) for h in headers if not is_blank(h))
        result.errors.append(
            problem(
                sheet,
                cell_ref(header.row, 0),
                label,
                None,
                f"no {label} column: the header row (row {header.row + 1}) has {found}",
            )
        )
    if missing:
        return None
    first = header.row + 1
    if first < len(rows) and is_units_row(rows[first]):
        for index, cell in enumerate(rows[first]):
            if isinstance(cell, str):
                unit = declared_unit(cell)
                if unit is not None:
                    header.units.setdefault(index, unit)
        first += 1
    return first


def data_rows(
    result: ParsedWorkbook, sheet: str, rows: list[list[CellValue]], first: int
) -> tuple[list[int], Callable[[int], list[CellValue]]]:
    """The indices of the rows that hold data (blank rows pass silently, total rows are skipped with
    a warning), and a function giving a column's cells in those rows.

    Worked out column by column from each column's distinct values: a row is blank only if it is
    blank in every column, and a total only where some column holds a total's text. (Columns are
    cut with one list comprehension each: zip(*rows) over 100,000 rows is four times slower.)
    """
    counts = result.sheets[sheet]
    body = rows[first:]
    width = max(map(len, body), default=0)
    if len(set(map(len, body))) <= 1:
        columns = [[cells[c] for cells in body] for c in range(width)]
    else:  # a short row: its missing cells are blank
        columns = [[cells[c] if c < len(cells) else "" for cells in body] for c in range(width)]
    blank: set[int] | None = None
    total_at: dict[int, int] = {}
    for c, values in enumerate(columns):
        kinds = set(map(type, values))
        texts = {v for v in set(values) if v.__class__ is str} if str in kinds else set()
        blanks = {v for v in texts if not v.strip()}
        if None in kinds:
            blanks.add(None)  # type: ignore[arg-type]
        totals = {v for v in texts if v[:1] in _TOTAL_STARTS and TOTAL.match(v)}
        if blank is None or blank:
            here = {i for i, v in enumerate(values) if v in blanks} if blanks else set()
            blank = here if blank is None else blank & here
        if totals:
            for i, v in enumerate(values):
                if v in totals:
                    total_at.setdefault(i, c)

    def full(c: int) -> list[CellValue]:  # a column past every data row's end is blank
        return columns[c] if c < width else [""] * len(body)

    if not blank and not total_at:
        counts.rows_read += len(body)
        return list(range(first, len(rows))), full
    kept = []
    for i in range(len(body)):
        if blank and i in blank:
            continue
        counts.rows_read += 1
        if i in total_at:
            r, c = first + i, total_at[i]
            counts.skipped += 1
            result.warnings.append(
                problem(sheet, cell_ref(r, c), None, rows[r][c], "total or subtotal row skipped")
            )
            continue
        kept.append(i)

    def column(c: int) -> list[CellValue]:
        cells = full(c)
        return [cells[i] for i in kept]

    return [first + i for i in kept], column

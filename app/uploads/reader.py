"""Tolerant reading of the spreadsheets finance teams really send (python-calamine: .xlsx/.xlsm/.xls/.ods).

Tolerated, per sheet: title rows above the header; header names in any case or spacing and common
synonyms; money as numbers or text (`£1,234`, `1,234.50`, `(1,234)`, `-` or blank as zero); a unit (£, £k,
£m) in a header, in a cell above the table or in a units row under the header; blank rows; total and
subtotal rows (skipped, reported); extra columns (ignored, reported). Nothing here touches the database:
the result is plain data plus every problem found, each with its sheet and cell.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any
from zipfile import ZipFile

import python_calamine
from defusedxml import ElementTree as SafeElementTree
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from app.core.bounds import COST_TOO_LARGE, MAX_COST_POUNDS, MAX_WTE, NOT_ASCII_DIGITS, WTE_TOO_LARGE
from app.core.money import PENNY, to_pence
from app.core.text import forbidden_character, printable
from app.cost_lines.service import CostLineColumns
from app.organisations.schemas import ORGANISATION_CODE as ORGANISATION_CODE_PATTERN
from app.uploads import xml_faults
from app.uploads.guards import FileKind, Inspection, not_a_spreadsheet
from app.workbooks import layout
from app.workbooks.layout import FunctionInfo
from models.enums import OrganisationKind

CellValue = int | float | str | bool | date | datetime | time | timedelta
Problem = dict[str, Any]

HEADER_SCAN_ROWS = 30
ORGANISATION_CODE = re.compile(ORGANISATION_CODE_PATTERN)

# --- names -------------------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_UNIT_TOKENS = re.compile(r"£\S*|\bgbp\b|'000s?|\b000s\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """`Non-Pay (£k)` -> `non pay`: lower case, no brackets or units, words separated by one space."""
    text = _BRACKETS.sub(" ", text.lower().replace("&", " and "))
    text = _UNIT_TOKENS.sub(" ", text)
    return _NON_ALNUM.sub(" ", text).strip()


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


_UNITS: list[tuple[re.Pattern[str], Decimal]] = [
    (re.compile(r"£\s*(?:m|mn|mill?ions?)\b|\bmillions?\b|\(\s*m\s*\)"), Decimal(1_000_000)),
    (re.compile(r"£\s*(?:k|'?000s?|thousands?)(?![0-9])|\bthousands?\b|'000|\(\s*000s?\s*\)"), Decimal(1000)),
    (re.compile(r"£|\bgbp\b|\bpounds\b"), Decimal(1)),
]


def declared_unit(text: str) -> Decimal | None:
    """The money unit a header or note declares: £ -> 1, £k/£000 -> 1,000, £m -> 1,000,000."""
    lower = text.lower()
    for pattern, unit in _UNITS:
        if pattern.search(lower):
            return unit
    return None


_UNITS_ROW_CELL = re.compile(
    r"^\(?\s*(£\s*(k|m|mn|'?000s?|thousands?|millions?)?|gbp|wte|fte|number|text)\s*\)?$"
)
_TOTAL = re.compile(r"^\s*(grand\s+|sub[\s-]?)?totals?\b", re.IGNORECASE)

CODE = "code"
NAME = "name"
KIND = "kind"
FUNCTION = "function"
YEAR = "financial_year"
PAY = "pay"
NON_PAY = "non_pay"
WTE = "wte"
ORGANISATION_NAME = "organisation_name"

_CODE_NAMES = {
    "ods code",
    "ods",
    "org code",
    "organisation code",
    "organization code",
    "ods org code",
    "org ods code",
    "organisation ods code",
    "organization ods code",
    "ods organisation code",
    "code",
    "provider code",
    "trust code",
    "ccg code",
    "org id",
}
COST_LINE_FIELDS: dict[str, set[str]] = {
    CODE: _CODE_NAMES,
    ORGANISATION_NAME: {"organisation name", "organization name", "org name", "name", "organisation", "org"},
    FUNCTION: {
        "function",
        "functions",
        "service",
        "back office function",
        "corporate function",
        "function key",
        "service area",
    },
    YEAR: {"financial year", "year", "fy", "fin year", "finance year", "period"},
    PAY: {"pay", "pay costs", "pay cost", "pay spend", "pay expenditure", "staff costs", "pay total"},
    NON_PAY: {
        "non pay",
        "nonpay",
        "non pay costs",
        "non pay cost",
        "nonpay costs",
        "non pay spend",
        "non pay expenditure",
        "other costs",
        "non staff costs",
    },
    WTE: {
        "wte",
        "fte",
        "whole time equivalent",
        "whole time equivalents",
        "full time equivalent",
        "staff wte",
        "wte staff",
        "staff",
    },
}
ORGANISATION_FIELDS: dict[str, set[str]] = {
    CODE: _CODE_NAMES,
    NAME: {"name", "organisation name", "organization name", "org name", "organisation", "organization"},
    KIND: {
        "kind",
        "type",
        "organisation type",
        "organization type",
        "org type",
        "organisation kind",
        "sector",
    },
}
_LDR_NAMES = {"ldr", "ldr footprint", "local digital roadmap", "local digital roadmap footprint"}

_KINDS: dict[str, str] = {
    "ccg": "CCG",
    "clinical commissioning group": "CCG",
    "csu": "CSU",
    "commissioning support unit": "CSU",
    "provider": "PROVIDER",
    "trust": "PROVIDER",
    "nhs trust": "PROVIDER",
    "foundation trust": "PROVIDER",
    "nhs foundation trust": "PROVIDER",
    "provider trust": "PROVIDER",
    "acute trust": "PROVIDER",
    "ft": "PROVIDER",
    "local authority": "LOCAL_AUTHORITY",
    "la": "LOCAL_AUTHORITY",
    "council": "LOCAL_AUTHORITY",
    "local government": "LOCAL_AUTHORITY",
    **{_NON_ALNUM.sub(" ", k.value.lower()).strip(): k.value for k in OrganisationKind},
}
_FUNCTION_SYNONYMS = {
    "human resources": "hr",
    "workforce": "hr",
    "information technology": "it",
    "ict": "it",
    "it services": "it",
    "im and t": "it",
    "estates": "estates",
    "facilities": "estates",
    "estates and facilities": "estates",
    "bi": "business_intelligence",
    "comms": "communications",
    "legal": "legal",
    "legal services": "legal",
    "training": "training",
    "finance": "finance",
    "financial services": "finance",
}

SHEET_ROLES = {
    "organisations": layout.ORGANISATIONS,
    "organizations": layout.ORGANISATIONS,
    "organisation": layout.ORGANISATIONS,
    "organization": layout.ORGANISATIONS,
    "orgs": layout.ORGANISATIONS,
    "orglist": layout.ORGANISATIONS,
    "costlines": layout.COST_LINES,
    "costline": layout.COST_LINES,
    "costs": layout.COST_LINES,
    "costdata": layout.COST_LINES,
    "backofficecosts": layout.COST_LINES,
    "baselinecosts": layout.COST_LINES,
    "assumptions": layout.ASSUMPTIONS,
    "assumption": layout.ASSUMPTIONS,
    "locks": layout.LOCKS,
    "lock": layout.LOCKS,
    "readme": layout.README,
    "instructions": layout.README,
    "guidance": layout.README,
    "notes": layout.README,
    "contents": layout.README,
    "cover": layout.README,
}

# --- results -----------------------------------------------------------------------------------------


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


# --- values ------------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value cannot be used; the message is shown to the user."""


def is_blank(value: CellValue) -> bool:
    return value == "" or value is None or (isinstance(value, str) and not value.strip())


_MONEY_STRIP = str.maketrans("", "", "£,  \u00a0\u202f")
_DASHES = {"-", "–", "—", "‒", "−"}


def parse_amount(value: CellValue, unit: Decimal, *, what: str) -> Decimal:
    """A non-negative amount in pounds from a number or text; '-' or blank is zero; raises CellError."""
    if isinstance(value, bool):
        raise CellError(f"{what} must be an amount, not {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{what} is not a number")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if text == "" or text in _DASHES:
            return Decimal(0)
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1].strip()
        text = text.translate(_MONEY_STRIP)
        if text[:1] in _DASHES:
            negative, text = not negative, text[1:]
        elif text.endswith("-"):  # 1,234- (accounting systems)
            negative, text = not negative, text[:-1]
        text = text.replace("£", "")
        if not text.isascii():
            raise CellError(f"{what} {value!r}: {NOT_ASCII_DIGITS}")
        scale = Decimal(1)
        if text[-1:].lower() in ("k", "m") and len(text) > 1:
            scale = Decimal(1000) if text[-1].lower() == "k" else Decimal(1_000_000)
            text = text[:-1]
        try:
            amount = Decimal(text) * scale * unit
        except DecimalException:  # not a number, or one beyond any decimal arithmetic
            raise CellError(f"{what} {value!r} is not an amount of money") from None
        if not amount.is_finite():
            raise CellError(f"{what} {value!r} is not an amount of money")
        if negative:
            amount = -amount
    else:
        raise CellError(f"{what} must be an amount of money, not a {type(value).__name__}")
    if not isinstance(value, str):
        amount *= unit
    if amount < 0:
        raise CellError(
            f"{what} is negative ({_money(amount)}); cost lines are costs and must be zero or more"
            + (" (brackets mean a negative number)" if isinstance(value, str) and "(" in value else "")
        )
    return within_cost_bound(amount, what)


def within_cost_bound(amount: Decimal, what: str) -> Decimal:
    if amount > MAX_COST_POUNDS:
        raise CellError(f"{what} of {_huge(amount)}: {COST_TOO_LARGE} (is the unit right?)")
    return amount


def _huge(amount: Decimal) -> str:
    """£12,345,678,901.00, or £1.2e+30 when the digits would fill the message."""
    return _money(amount) if amount < Decimal(10) ** 15 else f"£{amount:.1e}"


def _money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def parse_quantity(value: CellValue, *, what: str) -> Decimal:
    """WTE and the like: a non-negative number (text allowed), blank or '-' is zero, kept to 2 decimals."""
    if isinstance(value, bool):
        raise CellError(f"{what} must be a number, not {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{what} is not a number")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if text == "" or text in _DASHES:
            return Decimal(0)
        if not text.isascii():
            raise CellError(f"{what} {value!r}: {NOT_ASCII_DIGITS}")
        try:
            number = Decimal(text)
        except DecimalException:
            raise CellError(f"{what} {value!r} is not a number") from None
        if not number.is_finite():
            raise CellError(f"{what} {value!r} is not a number")
    else:
        raise CellError(f"{what} must be a number, not a {type(value).__name__}")
    if number < 0:
        raise CellError(f"{what} is negative ({number}); it must be zero or more")
    return within_wte_bound(number, what)


def within_wte_bound(number: Decimal, what: str = "WTE") -> Decimal:
    if number > MAX_WTE:
        shown = f"{number:,.2f}" if number < Decimal(10) ** 15 else f"{number:.1e}"
        raise CellError(f"{what} of {shown}: {WTE_TOO_LARGE}")
    return number.quantize(PENNY, rounding=ROUND_HALF_UP)


_YEAR_LONG = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/\-–_ ]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_YEAR_SHORT = re.compile(r"^(?:fy\s*)?(\d{2})\s*[/\-–_]\s*(\d{2})$", re.IGNORECASE)


def parse_financial_year(value: CellValue) -> str:
    """`2017/18`, `2017-18`, `2017/2018`, `FY 2017/18`, `17/18` -> `2017/18`."""
    text = str(value).strip() if isinstance(value, str) else None
    if text:
        match = _YEAR_LONG.match(text)
        if match:
            start, end = int(match[1]), match[2]
            if (len(end) == 2 and int(end) == (start + 1) % 100) or (len(end) == 4 and int(end) == start + 1):
                return f"{start}/{(start + 1) % 100:02d}"
        match = _YEAR_SHORT.match(text)
        if match and int(match[2]) == (int(match[1]) + 1) % 100:
            return f"{2000 + int(match[1])}/{match[2]}"
    if isinstance(value, int | float) and not isinstance(value, bool) and 1900 <= value <= 2200:
        raise CellError(
            f"financial year {value!r} is ambiguous; write it as e.g. "
            f"{int(value)}/{(int(value) + 1) % 100:02d} (April {int(value)} to March {int(value) + 1})"
        )
    raise CellError(f"financial year {value!r} is not understood; write it as e.g. 2017/18")


def find_financial_year(text: str) -> str | None:
    for token in re.findall(r"(?:fy\s*)?\d{4}\s*[/\-–]\s*\d{2,4}|\b\d{2}/\d{2}\b", text, re.IGNORECASE):
        try:
            return parse_financial_year(token)
        except CellError:
            continue
    return None


def text_value(value: CellValue, strip: bool = True) -> str:
    """A cell as text: numbers that are whole come out without `.0` (codes typed as numbers)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip() if strip else value
    return str(value)


# --- formulas (xlsx) ---------------------------------------------------------------------------------

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_parts(archive: ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its XML, from workbook.xml and its relationships (defusedxml)."""
    workbook = SafeElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id")] = target
    parts = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"))
        if target:
            parts[sheet.get("name", "")] = target
    return parts


def unusable_cells(
    data: bytes, inspection: Inspection, sheets: Iterable[str]
) -> dict[str, dict[tuple[int, int], str]]:
    """Per sheet, the cells calamine reads as blank but that are not: formulas without a saved value
    and cells showing an error (#REF!, #DIV/0!...). Only parts the guard saw formulas or errors in."""
    if inspection.kind != FileKind.XLSX or not inspection.parts_with_formulas:
        return {}
    found: dict[str, dict[tuple[int, int], str]] = {}
    with ZipFile(io.BytesIO(data)) as archive:
        parts = _sheet_parts(archive)
        for name in sheets:
            part = parts.get(name)
            if part not in inspection.parts_with_formulas:
                continue
            cells: dict[tuple[int, int], str] = {}
            with archive.open(part) as stream:
                for _event, element in SafeElementTree.iterparse(stream, events=("end",)):
                    if element.tag != f"{_NS_MAIN}c":
                        if element.tag == f"{_NS_MAIN}row":
                            element.clear()
                        continue
                    formula = element.find(f"{_NS_MAIN}f")
                    value = element.find(f"{_NS_MAIN}v")
                    ref = element.get("r")
                    if ref:
                        letters, row = coordinate_from_string(ref)
                        position = (row - 1, column_index_from_string(letters) - 1)
                        if element.get("t") == "e":
                            shown = value.text if value is not None else "an error"
                            cells[position] = f"the cell shows {shown}; correct it in the workbook"
                        elif formula is not None and (value is None or not (value.text or "")):
                            cells[position] = (
                                f"the formula ={formula.text or '…'} has no saved value; open the file in "
                                "Excel or LibreOffice, let it calculate, save it and upload it again"
                            )
            if cells:
                found[name] = cells
    return found


# --- sheets ------------------------------------------------------------------------------------------


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


def _title_declarations(
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


def _is_units_row(cells: Sequence[CellValue]) -> bool:
    texts = [c for c in cells if not is_blank(c)]
    return bool(texts) and all(isinstance(c, str) and _UNITS_ROW_CELL.match(c.strip().lower()) for c in texts)


def _total_cell(cells: Sequence[CellValue]) -> int | None:
    for index, cell in enumerate(cells):
        if cell.__class__ is str and cell[:1] in _TOTAL_STARTS and _TOTAL.match(cell):
            return index
    return None


ZERO_WTE = Decimal(0).quantize(PENNY)
_TOTAL_STARTS = frozenset("tTsSgG ")


_NUMBERS = frozenset({int, float, bool})


def _convert(values: list[CellValue], parse: Callable[[CellValue], Any]) -> tuple[list[Any], list[int]]:
    """parse(value), or the CellError it raised, for every value of a column, each distinct value
    parsed once (codes, functions, years and most amounts repeat down a sheet); and the positions of
    the CellErrors."""

    def attempt(value: CellValue) -> Any:
        try:
            return parse(value)
        except CellError as exc:
            return exc

    if len(set(map(type, values)) & _NUMBERS) <= 1:
        # One numeric type at most, so no two distinct values are equal (1, 1.0 and True would be)
        # and a table keyed by value is exact.
        table = {value: attempt(value) for value in set(values)}
        bad = {value for value, parsed in table.items() if parsed.__class__ is CellError}
        failed = [i for i, value in enumerate(values) if value in bad] if bad else []
        return list(map(table.__getitem__, values)), failed
    typed: dict[tuple[type, CellValue], Any] = {}
    out = []
    failed = []
    for i, value in enumerate(values):
        key = (value.__class__, value)
        if key not in typed:
            typed[key] = attempt(value)
        out.append(typed[key])
        if out[-1].__class__ is CellError:
            failed.append(i)
    return out, failed


def _organisation_code(value: CellValue) -> str:
    code = text_value(value).upper()
    if not code:
        raise CellError("ODS code is missing")
    if not ORGANISATION_CODE.match(code):
        raise CellError("not an ODS code (3 to 9 letters and digits)")
    return code


def _financial_year(value: CellValue) -> str:
    if is_blank(value):
        raise CellError("financial year is missing")
    return parse_financial_year(value)


# Below this many pounds a double's spacing is under a ten-thousandth of a penny, so a number that is
# a whole number of pence after the float multiplication IS that many pence (see _pence_column). The
# fast path stops at the bound on a cost line, which is below it.
_EXACT_POUNDS = 1e11
_FAST_POUNDS = min(float(MAX_COST_POUNDS), _EXACT_POUNDS)


def _pence_column(
    values: list[CellValue], unit: Decimal, what: str
) -> tuple[list[int | CellError], list[int]]:
    """Money in pence, rounded half up, for a whole column.

    A plain non-negative number with at most two decimals (nearly every cell) costs two float
    operations: when k = round(v * 100) gives k / 100 == v, v is the double nearest to k pence, and
    below _EXACT_POUNDS no other amount of two decimals or fewer is that near, so repr(v) is k pence
    exactly and Decimal(repr(v)) * 100 (the rule for everything else) is k. The check fails for any
    other value, which takes the exact Decimal route.
    """
    unit100 = unit * 100
    fast = unit == 1

    def exact(value: CellValue) -> int | CellError:
        try:
            if value.__class__ is float and 0 <= value < math.inf:
                within_cost_bound(Decimal(repr(value)) * unit, what)
                return int((Decimal(repr(value)) * unit100).to_integral_value(ROUND_HALF_UP))
            return to_pence(parse_amount(value, unit, what=what))
        except CellError as exc:
            return exc

    if len(set(values)) * 4 < len(values):
        # Mostly repeats (e.g. round budgets): each distinct value once.
        return _convert(values, exact)
    out: list[int | CellError] = []
    failed: list[int] = []
    append = out.append
    for i, value in enumerate(values):
        if fast and value.__class__ is float and 0.0 <= value <= _FAST_POUNDS:
            pence = round(value * 100)
            if pence / 100 == value:
                append(pence)
                continue
        append(exact(value))
        if out[-1].__class__ is CellError:
            failed.append(i)
    return out, failed


def _wte(value: CellValue) -> Decimal:
    if value.__class__ is float and 0 <= value < math.inf:
        return within_wte_bound(Decimal(repr(value)))
    return parse_quantity(value, what="WTE")


class WorkbookReader:
    """Reads one uploaded workbook into organisations and cost lines, collecting every problem."""

    def __init__(self, functions: Sequence[FunctionInfo]) -> None:
        self.functions = list(functions)
        self._function_names: dict[str, str] = {}
        for function in self.functions:
            for name in (function.key, function.label):
                self._function_names[normalise(name.replace("_", " "))] = function.key
                self._function_names[_squash(name)] = function.key
        known = {f.key for f in self.functions}
        for name, key in _FUNCTION_SYNONYMS.items():
            if key in known:
                self._function_names.setdefault(name, key)
        self.result = ParsedWorkbook()

    # lookups

    def function_key(self, value: CellValue) -> str:
        text = text_value(value)
        key = self._function_names.get(normalise(text)) or self._function_names.get(_squash(text))
        if key is None:
            raise CellError(
                f"unknown function {text!r}; use one of: " + ", ".join(f.key for f in self.functions)
            )
        return key

    def group_function(self, header: str) -> str | None:
        if header in _LDR_NAMES:
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
            located = xml_faults.locate(data) if inspection.kind == FileKind.XLSX else []
            if located:  # text the XML may not hold, e.g. in the shared strings: say which cells
                self.result.errors.extend(located)
                return self.result
            raise not_a_spreadsheet(file_name, f"it could not be read as a workbook: {exc}") from exc
        with workbook:
            plan: list[tuple[str, str | None]] = []
            for meta in workbook.sheets_metadata:
                if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                    continue
                plan.append((meta.name, SHEET_ROLES.get(_squash(meta.name))))
            try:
                unusable = unusable_cells(
                    data, inspection, [name for name, role in plan if role != layout.README]
                )
            except Exception as exc:  # a sheet part that does not parse as XML
                raise not_a_spreadsheet(file_name, f"a worksheet's XML is damaged: {exc}") from exc
            for name, role in plan:
                if role == layout.README:
                    continue
                try:
                    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                except Exception as exc:
                    located = xml_faults.locate(data) if inspection.kind == FileKind.XLSX else []
                    here = [p for p in located if p["sheet"] == name]
                    self.result.errors.extend(
                        here or [problem(name, None, None, None, f"the sheet cannot be read: {exc}")]
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
                self._read_cost_lines(name, rows, header, unusable)
                return
        if role == layout.ORGANISATIONS or role is None:
            header = find_header(rows, ORGANISATION_FIELDS, [CODE, NAME, KIND], self.group_function)
            if header is not None and (KIND in header.columns or role is not None):
                self._read_organisations(name, rows, header, unusable)
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

    def _start(
        self,
        sheet: str,
        rows: list[list[CellValue]],
        header: Header,
        required: dict[str, str],
        headers: list[CellValue],
    ) -> int | None:
        """Report extra and missing columns; returns the first data row, or None when a column is missing."""
        self.result.sheets[sheet] = SheetCounts()
        for index, text in header.extra:
            self.result.warnings.append(
                problem(
                    sheet, cell_ref(header.row, index), text, text, "column not used by the importer; ignored"
                )
            )
        missing = [label for f, label in required.items() if f not in header.columns]
        for label in missing:
            found = ", ".join(text_value(h) for h in headers if not is_blank(h))
            self.result.errors.append(
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
        if first < len(rows) and _is_units_row(rows[first]):
            for index, cell in enumerate(rows[first]):
                if isinstance(cell, str):
                    unit = declared_unit(cell)
                    if unit is not None:
                        header.units.setdefault(index, unit)
            first += 1
        return first

    def _read_cost_lines(
        self, sheet: str, rows: list[list[CellValue]], header: Header, unusable: dict[tuple[int, int], str]
    ) -> None:
        """Column by column: each column is converted in one pass (its repeated values once), so the
        work per row is a few list look-ups; rows are visited one by one only to report problems."""
        sheet_unit, sheet_year = _title_declarations(rows, header.row)
        headers = rows[header.row]
        required = {CODE: "ODS code", FUNCTION: "Function"}
        if sheet_year is None:
            required[YEAR] = "Financial year"
        first = self._start(sheet, rows, header, required, headers)
        if PAY not in header.columns and NON_PAY not in header.columns:
            self.result.errors.append(
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
        at, cells_of = self._data_rows(sheet, rows, first)
        n = len(at)

        codes, bad_codes = _convert(cells_of(c_code), _organisation_code)
        functions, bad_functions = _convert(cells_of(c_function), self._function)
        fields: list[tuple[int, list[Any]]] = [(c_code, codes), (c_function, functions)]
        failed = {*bad_codes, *bad_functions}
        if c_year is None:
            years: list[Any] = [sheet_year] * n
        else:

            def year(value: CellValue) -> str:
                if sheet_year and is_blank(value):
                    return sheet_year
                return _financial_year(value)

            years, bad = _convert(cells_of(c_year), year)
            fields.append((c_year, years))
            failed.update(bad)
        amounts: list[list[Any]] = []
        for c, what in ((c_pay, "pay"), (c_non_pay, "non-pay")):
            if c is not None:
                unit = header.units.get(c, sheet_unit if sheet_unit is not None else Decimal(1))
                pence, bad = _pence_column(cells_of(c), unit, what)
                amounts.append(pence)
                fields.append((c, pence))
                failed.update(bad)
        # Only a non-pay column: it fills non-pay, and pay is zero.
        pays = amounts[0] if c_pay is not None else [0] * n
        non_pays = amounts[-1] if c_non_pay is not None else [0] * n
        if c_wte is None:
            wtes: list[Any] = [ZERO_WTE] * n
        else:
            wtes, bad = _convert(cells_of(c_wte), _wte)
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
            keep = self._sift(sheet, rows, at, keys, failed, fields, used, label, unusable, c_code)

        everything = len(keep) == n
        rows_of = at if everything else [at[i] for i in keep]
        letter, column = get_column_letter(c_code + 1), label[c_code]
        self.result.cost_lines.extend(
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
        self,
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
        errors = self.result.errors
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

    def _function(self, value: CellValue) -> str:
        if is_blank(value):
            raise CellError("function is missing")
        return self.function_key(value)

    def _data_rows(
        self, sheet: str, rows: list[list[CellValue]], first: int
    ) -> tuple[list[int], Callable[[int], list[CellValue]]]:
        """The indices of the rows that hold data (blank rows pass silently, total rows are skipped with
        a warning), and a function giving a column's cells in those rows.

        Worked out column by column from each column's distinct values: a row is blank only if it is
        blank in every column, and a total only where some column holds a total's text. (Columns are
        cut with one list comprehension each: zip(*rows) over 100,000 rows is four times slower.)
        """
        counts = self.result.sheets[sheet]
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
            totals = {v for v in texts if v[:1] in _TOTAL_STARTS and _TOTAL.match(v)}
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
                self.result.warnings.append(
                    problem(sheet, cell_ref(r, c), None, rows[r][c], "total or subtotal row skipped")
                )
                continue
            kept.append(i)

        def column(c: int) -> list[CellValue]:
            cells = full(c)
            return [cells[i] for i in kept]

        return [first + i for i in kept], column

    def _read_organisations(
        self, sheet: str, rows: list[list[CellValue]], header: Header, unusable: dict[tuple[int, int], str]
    ) -> None:
        headers = rows[header.row]
        first = self._start(sheet, rows, header, {CODE: "ODS code", NAME: "Name", KIND: "Kind"}, headers)
        if first is None:
            return
        cols = header.columns
        c_code, c_name, c_kind = cols[CODE], cols[NAME], cols[KIND]
        label = {index: text_value(headers[index]) for index in [*cols.values(), *header.group_columns]}
        errors = self.result.errors
        seen: dict[str, int] = {}
        for r in self._data_rows(sheet, rows, first)[0]:
            cells = rows[r]
            row_errors = len(errors)
            for c in [c_code, c_name, c_kind, *header.group_columns]:
                if (r, c) in unusable:
                    errors.append(problem(sheet, cell_ref(r, c), label[c], None, unusable[(r, c)]))

            def get(c: int, cells: list[CellValue] = cells) -> CellValue:
                return cells[c] if c < len(cells) else ""

            code = text_value(get(c_code)).upper()
            if not code:
                errors.append(problem(sheet, cell_ref(r, c_code), label[c_code], None, "ODS code is missing"))
            elif not ORGANISATION_CODE.match(code):
                errors.append(
                    problem(
                        sheet,
                        cell_ref(r, c_code),
                        label[c_code],
                        get(c_code),
                        "not an ODS code (3 to 9 letters and digits)",
                    )
                )
            name = text_value(get(c_name), strip=False)  # kept exactly as written: exports round-trip
            unprintable = forbidden_character(name)
            if not name.strip():
                errors.append(problem(sheet, cell_ref(r, c_name), label[c_name], None, "name is missing"))
            elif unprintable is not None:
                errors.append(
                    problem(
                        sheet, cell_ref(r, c_name), label[c_name], printable(name), f"the name {unprintable}"
                    )
                )
            elif len(name) > 200:
                errors.append(
                    problem(
                        sheet,
                        cell_ref(r, c_name),
                        label[c_name],
                        name[:50] + "…",
                        "name is over 200 characters",
                    )
                )
            kind = _KINDS.get(normalise(text_value(get(c_kind))))
            if kind is None:
                errors.append(
                    problem(
                        sheet,
                        cell_ref(r, c_kind),
                        label[c_kind],
                        get(c_kind),
                        "kind must be one of " + ", ".join(k.value for k in OrganisationKind),
                    )
                )
            groups: dict[str, str | None] = {}
            for c, key in header.group_columns.items():
                value = text_value(get(c), strip=False)
                unprintable = forbidden_character(value)
                if unprintable is not None:
                    errors.append(
                        problem(sheet, cell_ref(r, c), label[c], printable(value), f"the group {unprintable}")
                    )
                groups[key] = value if value.strip() else None
            if len(errors) > row_errors:
                continue
            if code in seen:
                errors.append(
                    problem(
                        sheet,
                        cell_ref(r, c_code),
                        label[c_code],
                        code,
                        f"duplicate: row {seen[code]} is also {code}",
                    )
                )
                continue
            seen[code] = r + 1
            self.result.organisations.append(
                ParsedOrganisation(
                    code=code,
                    name=name,
                    kind=kind or "",
                    groups=groups,
                    location={"sheet": sheet, "cell": cell_ref(r, c_code), "column": label[c_code]},
                )
            )


def read_workbook(
    data: bytes, inspection: Inspection, file_name: str, functions: Sequence[FunctionInfo]
) -> ParsedWorkbook:
    return WorkbookReader(functions).read(data, inspection, file_name)


__all__ = ["ParsedWorkbook", "read_workbook"]

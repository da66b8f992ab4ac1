"""openpyxl writing in write-only (streaming) mode, formatted as a finance team expects.

Everything that ends up in a cell goes through `SheetWriter.append`, which
- writes text that came from users as an explicit string cell, never as a formula: openpyxl would turn
  any string starting with `=` into a formula, and Excel evaluates `=`, `+`, `-`, `@` (and, after a tab or
  carriage return, whatever follows) typed into a cell, so such text is also given the quotePrefix style
  (Excel's leading apostrophe) - OWASP "CSV/formula injection";
- gives money, WTE and other numbers their number formats;
- freezes and styles the header row, adds an auto-filter and sets column widths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import XML_NS, Element, SubElement

MONEY_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'
WTE_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
PERCENT_FORMAT = "0.00%"
TEXT_FORMAT = "@"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel (and LibreOffice, Google Sheets) may evaluate when it starts a cell's text.
INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CellKind = Literal["text", "money", "wte", "integer", "percent", "label"]

_FORMATS: dict[str, str] = {
    "text": TEXT_FORMAT,
    "money": MONEY_FORMAT,
    "wte": WTE_FORMAT,
    "integer": INTEGER_FORMAT,
    "percent": PERCENT_FORMAT,
}


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: its header, what kind of values it holds and how wide it is."""

    header: str
    kind: CellKind = "text"
    width: float = 14
    # Drop-down of allowed values: either the values themselves or a range such as "ReadMe!$B$5:$B$9".
    choices: Sequence[str] | str | None = None
    description: str = ""
    example: str = ""


def is_risky_text(value: str) -> bool:
    """True when Excel could treat this text as a formula (or DDE command) rather than as text."""
    return value.startswith(INJECTION_PREFIXES)


def _cells_to_row(cells: Sequence[WriteOnlyCell | None], row_idx: int) -> Iterator[WriteOnlyCell]:
    for col_idx, cell in enumerate(cells, 1):
        if cell is not None:
            cell.row = row_idx
            cell.column = col_idx
            yield cell


def register_styles(workbook: Workbook) -> None:
    """Named styles every workbook uses; registered once per workbook so cells share them cheaply."""
    header = NamedStyle(name="stp_header")
    header.font = Font(bold=True, color="FFFFFF")
    header.fill = PatternFill("solid", fgColor="005EB8")  # NHS blue
    header.alignment = Alignment(wrap_text=True, vertical="center")
    title = NamedStyle(name="stp_title")
    title.font = Font(bold=True, size=14)
    bold = NamedStyle(name="stp_bold")
    bold.font = Font(bold=True)
    for style in (header, title, bold):
        workbook.add_named_style(style)
    for kind, number_format in _FORMATS.items():
        style = NamedStyle(name=f"stp_{kind}", number_format=number_format)
        workbook.add_named_style(style)
    workbook.add_named_style(NamedStyle(name="stp_text_quoted", number_format=TEXT_FORMAT))


def new_workbook() -> Workbook:
    workbook = Workbook(write_only=True)
    register_styles(workbook)
    return workbook


class SheetWriter:
    """A write-only sheet: optional title rows, then a header row (frozen, filtered, styled), then data.

    The sheet's head (frozen panes, column widths and formats) is written when the writer is made, so
    give widths to the constructor; charts, validations and filters may still be added until `finish`.
    """

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: Sequence[Column] = (),
        *,
        widths: Sequence[float] | None = None,
        title_rows: Sequence[Sequence[Any]] = (),
    ) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title)
        # Every row this class appends is made of cells it built (or None): hand them to the stream as
        # they are, instead of openpyxl's per-value conversion (which tries each cell as a value first).
        self.sheet._values_to_row = _cells_to_row
        self.columns = list(columns)
        self.kinds: list[CellKind] = [c.kind for c in self.columns]
        self.row_count = 0
        for index, width in enumerate(widths or [c.width for c in self.columns], start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        for index, column in enumerate(self.columns, start=1):
            if column.kind in _FORMATS:  # what Excel gives cells typed into the column (00T stays text)
                self.sheet.column_dimensions[get_column_letter(index)].number_format = _FORMATS[column.kind]
        # The sheet view (frozen panes) and column widths are written with the first row: set them first.
        self.header_row = len(title_rows) + 1
        if self.columns:
            self.sheet.freeze_panes = f"A{self.header_row + 1}"
            self._add_validations()
        self.sheet._get_writer()  # writes the sheet's head (views, widths) now that they are set
        self._openpyxl_write_row = self.sheet._writer.write_row
        self.sheet._writer.write_row = self._write_row
        self._letters: list[str] = []
        self._style_ids: dict[int, str] = {}
        for row in title_rows:
            self.append_labels(row, style="stp_title" if self.row_count == 0 else None)
        if self.columns:
            self.append_labels([c.header for c in self.columns], style="stp_header")
            self._last_column = get_column_letter(len(self.columns))
        # Reused cells, one per column kind: write-only mode streams each row out as it is appended,
        # so a styled cell can be refilled for the next row (creating ~1M styled cells costs seconds).
        self._cells: dict[str, WriteOnlyCell] = {}

    def _add_validations(self) -> None:
        first_data_row = self.header_row + 1
        for index, column in enumerate(self.columns, start=1):
            if column.choices is None:
                continue
            if isinstance(column.choices, str):  # a range, e.g. ReadMe!$B$5:$B$9
                formula = column.choices.removeprefix("=")
            else:
                formula = '"' + ",".join(column.choices) + '"'
            validation = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Choose a {column.header} from the list",
            )
            letter = get_column_letter(index)
            validation.add(f"{letter}{first_data_row}:{letter}1048576")
            self.sheet.data_validations.append(validation)

    def _cell(self, key: str, style: str | None) -> WriteOnlyCell:
        cell = self._cells.get(key)
        if cell is None:
            cell = WriteOnlyCell(self.sheet)
            if style:
                cell.style = style
                if key.endswith(":quoted"):
                    cell.quotePrefix = True
                self._style_ids[id(cell)] = str(cell.style_id)  # the reused cells' styles never change
            self._cells[key] = cell
        return cell

    def _write_row(self, xf: Any, cells: Iterable[WriteOnlyCell], row_idx: int) -> None:
        """One `<row>` element for a row of numbers and strings, instead of openpyxl's three nested
        writes per cell (the export's hot path). Anything else goes to openpyxl's own writer."""
        row = list(cells)
        if any(cell.data_type not in ("n", "s") or cell._comment or cell.hyperlink for cell in row):
            self._openpyxl_write_row(xf, row, row_idx)
            return
        letters = self._letters
        element = Element("row", r=str(row_idx))
        for cell in row:
            value = cell._value
            if value is None or value == "":
                continue
            while len(letters) < cell.column:
                letters.append(get_column_letter(len(letters) + 1))
            attributes = {"r": f"{letters[cell.column - 1]}{row_idx}"}
            if cell.has_style:
                attributes["s"] = self._style_ids.get(id(cell)) or str(cell.style_id)
            if cell.data_type == "n":
                attributes["t"] = "n"
                SubElement(SubElement(element, "c", attributes), "v").text = (
                    repr(value) if isinstance(value, float) else str(value)
                )
            else:
                attributes["t"] = "inlineStr"
                text = SubElement(SubElement(SubElement(element, "c", attributes), "is"), "t")
                text.text = value
                if value != value.strip():
                    text.set(f"{{{XML_NS}}}space", "preserve")
        xf.write(element)

    def text_cell(self, value: str, key: str = "text") -> WriteOnlyCell:
        """An explicit string cell; text Excel could evaluate gets the quotePrefix (leading apostrophe)."""
        if is_risky_text(value):
            cell = self._cell(key + ":quoted", "stp_text_quoted")
        else:
            cell = self._cell(key, None)  # unstyled (fast); text columns carry the text format (see __init__)
        cell.value = value  # openpyxl's checks: illegal control characters, 32,767-character limit
        cell.data_type = "s"  # after the value: openpyxl infers 'f' for a leading '=' and 'e' for '#N/A'
        return cell

    def _typed_cell(self, value: Any, kind: CellKind, position: int) -> WriteOnlyCell | None:
        if value is None:
            return None
        if isinstance(value, str):
            return self.text_cell(value, key=f"text{position}")
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            cell = self._cell(f"{kind}{position}", f"stp_{kind}" if kind in _FORMATS else None)
            cell._value = value  # a plain number: skip openpyxl's type inference (hot path)
            cell.data_type = "n"
            return cell
        cell = WriteOnlyCell(self.sheet, value=value)
        return cell

    def append(self, values: Sequence[Any]) -> None:
        """One data row; values are written by their column's kind (text is always injection-safe)."""
        kinds = self.kinds
        width = len(kinds)
        self.sheet.append(
            [self._typed_cell(value, kinds[i] if i < width else "label", i) for i, value in enumerate(values)]
        )
        self.row_count += 1

    def append_labels(self, values: Iterable[Any], style: str | None = None) -> None:
        """A row of labels (title, header, ReadMe text), optionally styled; text is injection-safe."""
        row: list[WriteOnlyCell | None] = []
        for value in values:
            if value is None:
                row.append(None)
                continue
            cell = WriteOnlyCell(self.sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                if is_risky_text(value):
                    cell.quotePrefix = True
            if style:
                cell.style = style
            row.append(cell)
        self.sheet.append(row)
        self.row_count += 1

    def finish(self) -> None:
        """Auto-filter over the header and every data row (call after the last row)."""
        if self.columns:
            self.sheet.auto_filter.ref = (
                f"A{self.header_row}:{self._last_column}{max(self.row_count, self.header_row)}"
            )


__all__ = [
    "INJECTION_PREFIXES",
    "MONEY_FORMAT",
    "XLSX_MEDIA_TYPE",
    "Column",
    "SheetWriter",
    "is_risky_text",
    "new_workbook",
]

"""openpyxl writing in write-only (streaming) mode, formatted as a finance team expects.

Everything that ends up in a cell goes through `SheetWriter.append`, which
- writes text that came from users as an explicit string cell, never as a formula: openpyxl would turn
  any string starting with `=` into a formula, and Excel evaluates `=`, `+`, `-`, `@` (and, after a tab or
  carriage return, whatever follows) typed into a cell, so such text is also given the quotePrefix style
  (Excel's leading apostrophe) - OWASP "CSV/formula injection";
- gives money, WTE and other numbers their number formats;
- renders rows of plain strings and numbers (`append`) as XML text, byte for byte what openpyxl would
  write for the same cells, without a cell object or an lxml element per value: the 100,000-line
  cost-line export spent most of its time there;
- freezes and styles the header row, adds an auto-filter and sets column widths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter, create_temporary_file
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import XML_NS, Element, SubElement, fromstring

MONEY_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'
# Headline figures: whole pounds with thousands separators, as a finance director reads them.
POUNDS_FORMAT = '"£"#,##0;[Red]-"£"#,##0'
SECONDS_FORMAT = '0.0 "s"'
WTE_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
PERCENT_FORMAT = "0.00%"
TEXT_FORMAT = "@"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel (and LibreOffice, Google Sheets) may evaluate when it starts a cell's text.
INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CellKind = Literal["text", "money", "pounds", "wte", "integer", "percent", "seconds", "label"]

_FORMATS: dict[str, str] = {
    "text": TEXT_FORMAT,
    "money": MONEY_FORMAT,
    "wte": WTE_FORMAT,
    "integer": INTEGER_FORMAT,
    "percent": PERCENT_FORMAT,
    "pounds": POUNDS_FORMAT,
    "seconds": SECONDS_FORMAT,
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


# Longest text a cell holds; openpyxl cuts longer text to this too.
MAX_CELL_TEXT = 32767
# Rows of plain values rendered as XML text are written to the sheet this many at a time.
_RENDERED_BATCH = 2000
# Distinct strings whose rendered cell is remembered (codes, names, functions and years repeat).
_TEXT_CACHE_SIZE = 50_000
_XML_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class _StreamWriter(WorksheetWriter):
    """openpyxl's write-only sheet writer, streaming into a file object this module also writes to: rows
    rendered as XML text go straight into the file once lxml has flushed what it holds. Handing them to
    lxml instead costs a parse and a re-serialisation (1.7 s of CPU for 100,000 cost lines, ~38 MB of
    XML); the bytes in the file are the same either way."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        path = create_temporary_file()
        self.file = open(path, "wb")  # noqa: SIM115 - closed in close(), after lxml's last write
        super().__init__(ws, out=self.file)
        self.out = path  # the workbook's archive reads the finished sheet from here; cleanup() deletes it

    def write_raw(self, xf: Any, xml: str) -> None:
        xf.flush()
        # What lxml writes too: ASCII, anything else as a character reference.
        self.file.write(xml.encode("ascii", "xmlcharrefreplace"))

    def close(self) -> None:
        super().close()
        self.file.close()


class _Values(list[Any]):
    """A row of plain values appended by `SheetWriter.append`: rendered by the writer, not made into cells."""


def _cells_to_row(cells: Sequence[WriteOnlyCell | None], row_idx: int) -> Iterator[WriteOnlyCell]:
    for col_idx, cell in enumerate(cells, 1):
        if cell is not None:
            cell.row = row_idx
            cell.column = col_idx
            yield cell


def _to_row(row: Any, row_idx: int) -> Any:
    return row if type(row) is _Values else _cells_to_row(row, row_idx)


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
        # Every row this class appends is either plain values (`append`, rendered in `_write_row`) or made
        # of cells it built (or None): hand them to the stream as they are, instead of openpyxl's per-value
        # conversion (which tries each cell as a value first).
        self.sheet._values_to_row = _to_row
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
        # Writes the sheet's head (views, widths) now that they are set. lxml's incremental writer can be
        # flushed, so rendered rows are written around it; without lxml they go through its parser.
        if LXML:
            self.sheet._writer = _StreamWriter(self.sheet)
            self.sheet._writer.write_top()
        else:
            self.sheet._get_writer()
        self._openpyxl_write_row = self.sheet._writer.write_row
        self.sheet._writer.write_row = self._write_row
        # Rendered rows wait in `_pending` until a batch is full, another kind of row comes, or the sheet
        # is closed (by `workbook.save`), so the sheet closes only after they are written.
        self._openpyxl_close = self.sheet.close
        self.sheet.close = self._close
        self._xf: Any = None
        self._pending: list[str] = []
        self._text_tails: dict[str, str] = {}
        self._number_tails: list[str] = []
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

    def _text_tail(self, value: str) -> str:
        """A string cell's XML after its reference: the same cell `text_cell` makes, as text (the checks
        and the formula-injection decision are made once per distinct string)."""
        value = value[:MAX_CELL_TEXT]
        if ILLEGAL_CHARACTERS_RE.search(value):  # what openpyxl raises for such a cell
            raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
        style = ""
        if is_risky_text(value):
            style = f' s="{self._style_ids[id(self._cell("text:quoted", "stp_text_quoted"))]}"'
        space = "" if value == value.strip() else ' xml:space="preserve"'
        tail = f'{style} t="inlineStr"><is><t{space}>{value.translate(_XML_TEXT_ESCAPES)}</t></is></c>'
        if len(self._text_tails) < _TEXT_CACHE_SIZE:
            self._text_tails[value] = tail
        return tail

    def _number_tail(self, position: int) -> str:
        """A number cell's attributes after its reference: its column's number format, if any (made on
        the first number of the column, as the cell path registers a style only when a cell uses it)."""
        kind = self._kind(position)
        if kind in _FORMATS:
            style_id = self._style_ids[id(self._cell(f"{kind}{position}", f"stp_{kind}"))]
            tail = f' s="{style_id}" t="n"><v>'
        else:
            tail = ' t="n"><v>'
        self._number_tails[position] = tail
        return tail

    def _render(self, values: Sequence[Any], row_idx: int) -> str | None:
        """A row of strings and numbers as `<row>` XML text, exactly what the cell path writes, without
        a cell object or an lxml element per value (the export's hot path: ~700,000 values). None when
        a value is of another type (dates, booleans...): that row goes through cells instead."""
        letters = self._letters
        if len(letters) < len(values):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        if len(self._number_tails) < len(values):
            self._number_tails.extend([""] * (len(values) - len(self._number_tails)))
        text_tails, number_tails = self._text_tails, self._number_tails
        r = str(row_idx)
        parts = [f'<row r="{r}">']
        for position, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if value:
                    tail = text_tails.get(value) or self._text_tail(value)
                    parts.append(f'<c r="{letters[position]}{r}"{tail}')
            elif kind is Decimal or kind is int or kind is float:
                tail = number_tails[position] or self._number_tail(position)
                parts.append(f'<c r="{letters[position]}{r}"{tail}{value}</v></c>')
            elif value is not None:
                return None
        parts.append("</row>")
        return "".join(parts)

    def _flush(self) -> None:
        """Write the rendered rows into the sheet's stream: straight into its file, or (without lxml's
        flushable writer) parsed back into elements for the writer."""
        if self._pending:
            xml = "".join(self._pending)
            self._pending.clear()
            writer = self.sheet._writer
            if isinstance(writer, _StreamWriter):
                writer.write_raw(self._xf, xml)
            else:
                for row in fromstring(f"<sheetData>{xml}</sheetData>"):
                    self._xf.write(row)

    def _close(self) -> None:
        if self._xf is not None:
            self._flush()
        self._openpyxl_close()

    def _write_row(self, xf: Any, cells: Iterable[WriteOnlyCell], row_idx: int) -> None:
        """Rows of plain values are rendered as text and written in batches; a row of cells of numbers
        and strings is one `<row>` element, instead of openpyxl's three nested writes per cell. Anything
        else goes to openpyxl's own writer."""
        self._xf = xf
        if type(cells) is _Values:
            rendered = self._render(cells, row_idx)
            if rendered is not None:
                self._pending.append(rendered)
                if len(self._pending) >= _RENDERED_BATCH:
                    self._flush()
                return
            cells = _cells_to_row(
                [self._typed_cell(v, self._kind(i), i) for i, v in enumerate(cells)], row_idx
            )
        self._flush()
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

    def _kind(self, position: int) -> CellKind:
        return self.kinds[position] if position < len(self.kinds) else "label"

    def append(self, values: Sequence[Any]) -> None:
        """One data row; values are written by their column's kind (text is always injection-safe)."""
        self.sheet.append(_Values(values))
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

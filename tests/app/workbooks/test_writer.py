"""The shared sheet writer: formula-injection-safe text, number formats, frozen headers, filters, widths."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
import python_calamine

from app.workbooks.writer import MONEY_FORMAT, Column, SheetWriter, is_risky_text, new_workbook

RISKY = ["=1+1", "+44 161", "-5", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0", "#N/A"]


def _write(rows: list[list[object]], columns: list[Column]) -> bytes:
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Data", columns, title_rows=[["A title"]])
    for row in rows:
        sheet.append(row)
    sheet.finish()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("text", RISKY)
def test_user_text_is_written_as_text_never_as_a_formula(text: str) -> None:
    data = _write([[text, Decimal("1.50")]], [Column("Name"), Column("Pay (£)", kind="money")])
    cell = openpyxl.load_workbook(io.BytesIO(data))["Data"]["A3"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is is_risky_text(text)
    rows = python_calamine.load_workbook(io.BytesIO(data)).get_sheet_by_name("Data").to_python()
    assert rows[2][0] == text


def test_header_is_frozen_filtered_styled_and_columns_have_widths_and_formats() -> None:
    columns = [Column("Code", width=11), Column("Pay (£)", kind="money", width=17), Column("WTE", kind="wte")]
    data = _write([["RM3", Decimal("1234.5"), Decimal("2.25")], ["R0A", 7, 0.5]], columns)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    assert sheet["A1"].value == "A title" and sheet["A1"].font.bold
    assert [c.value for c in sheet[2]] == ["Code", "Pay (£)", "WTE"]
    assert sheet["A2"].font.bold and sheet["A2"].fill.fgColor.rgb.endswith("005EB8")
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:C4"
    assert sheet.column_dimensions["A"].width == 11 and sheet.column_dimensions["B"].width == 17
    assert sheet["B3"].number_format == MONEY_FORMAT and sheet["B3"].value == 1234.5
    assert sheet["B4"].number_format == MONEY_FORMAT and sheet["B4"].value == 7
    assert sheet["C3"].number_format == "#,##0.00"
    assert sheet.column_dimensions["A"].number_format == "@"  # typed codes such as 00T stay text
    assert sheet.column_dimensions["B"].number_format == MONEY_FORMAT


def test_drop_down_lists() -> None:
    data = _write([], [Column("Kind", choices=["CCG", "CSU"]), Column("Other", choices="ReadMe!$A$1:$A$3")])
    validations = openpyxl.load_workbook(io.BytesIO(data))["Data"].data_validations.dataValidation
    assert [(v.formula1, str(v.sqref)) for v in validations] == [
        ('"CCG,CSU"', "A3:A1048576"),
        ("ReadMe!$A$1:$A$3", "B3:B1048576"),
    ]


@pytest.fixture(params=[True, False], ids=["lxml-stream", "parsed"])
def both_row_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of plain values are written straight into the sheet's file with lxml, else parsed by it."""
    monkeypatch.setattr("app.workbooks.writer.LXML", request.param)


TRICKY_TEXT = [
    "a & b <c> d ]]>",
    " leading space",
    "trailing space ",
    "line\nbreak",
    "carriage\r\nreturn",
    "£1,234 — Ünïcode ✓ 😀",
    '=HYPERLINK("http://x")',
    "x" * 40_000,  # more than a cell holds: cut to 32,767 characters, as openpyxl does
]


@pytest.mark.usefixtures("both_row_paths")
def test_plain_value_rows_read_back_exactly() -> None:
    columns = [Column("Text"), Column("Pay (£)", kind="money"), Column("WTE", kind="wte")]
    rows: list[list[object]] = [[text, Decimal("-0.01"), 0.5] for text in TRICKY_TEXT]
    rows += [["", 7, None], [None, Decimal("123456789.12"), Decimal("0.00"), "beyond the columns", 3]]
    data = _write(rows, columns)
    expected = [[text[:32767], -0.01, 0.5] for text in TRICKY_TEXT]
    expected += [[None, 7, None], [None, 123456789.12, 0, "beyond the columns", 3]]
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    read = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[: len(e)] for r, e in zip(read, expected, strict=True)] == expected
    assert sheet["B3"].number_format == MONEY_FORMAT and sheet["C3"].number_format == "#,##0.00"
    assert sheet["A9"].quotePrefix and not sheet["A3"].quotePrefix
    calamine = python_calamine.load_workbook(io.BytesIO(data)).get_sheet_by_name("Data").to_python()
    assert [row[0] for row in calamine[2:10]] == [text[:32767] for text in TRICKY_TEXT]


@pytest.mark.usefixtures("both_row_paths")
def test_rows_of_values_cells_and_labels_keep_their_order() -> None:
    workbook = new_workbook()
    writer = SheetWriter(workbook, "Data", [Column("Name"), Column("When"), Column("Pay (£)", kind="money")])
    writer.append(["first", None, 1])
    writer.append_labels(["a label"], style="stp_bold")
    writer.append(["dated", date(2017, 4, 1), 2])  # not a string or a number: written through a cell
    writer.sheet.append([writer.text_cell("a cell")])
    writer.append(["yes", True, 3])
    writer.finish()
    out = io.BytesIO()
    workbook.save(out)
    sheet = openpyxl.load_workbook(out)["Data"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["first", None, 1],
        ["a label", None, None],
        ["dated", datetime(2017, 4, 1), 2],
        ["a cell", None, None],
        ["yes", True, 3],
    ]
    assert sheet["C6"].number_format == MONEY_FORMAT and sheet["A3"].font.bold


@pytest.mark.usefixtures("both_row_paths")
def test_text_a_workbook_cannot_hold_is_shown_replaced_never_an_error() -> None:
    """Issue 14, defect 2: one stored name with a control character made every export a 500."""
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Data", [Column("Name")], title_rows=[["Footprint \x0b title"]])
    sheet.append(["bell\x07"])
    sheet.append(["nul\x00 and \ufffe"])
    sheet.append(["dated", datetime(2017, 4, 1)])  # a row of cells rather than of rendered text
    sheet.append(["tab\tkept\x0b"])
    sheet.finish()
    out = io.BytesIO()
    workbook.save(out)
    data = openpyxl.load_workbook(out)["Data"]
    assert [row[0].value for row in data.iter_rows()] == [
        "Footprint \ufffd title",
        "Name",
        "bell\ufffd",
        "nul\ufffd and \ufffd",
        "dated",
        "tab\tkept\ufffd",
    ]

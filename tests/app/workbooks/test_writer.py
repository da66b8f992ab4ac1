"""The shared sheet writer: formula-injection-safe text, number formats, frozen headers, filters, widths."""

from __future__ import annotations

import io
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

"""Spreadsheets the finance teams open: one formatting vocabulary (styles, money formats, frozen headers,
filters, widths) and one formula-injection-safe cell writer, shared by the template, the cost-line export
and the run result workbook."""

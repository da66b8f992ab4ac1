"""Cells calamine reads as blank but that are not: formulas without a saved value and cells showing an
error, found in the sheet XML of an .xlsx (defusedxml)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from zipfile import ZipFile

from defusedxml import ElementTree as SafeElementTree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from app.uploads.guards import FileKind, Inspection

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

"""Where in an .xlsx the XML breaks the rules, by sheet and cell.

Excel never writes an undefined entity (`&nbsp;`), a bare `&` or a character reference to a control
character (`&#0;`) into a workbook, but other tools do, and the parser then refuses the whole file with
"at 0..0: unrecognized entity". This finds each such reference in the worksheets and in the shared
strings (and the cells that use a shared string), so the uploader is told which cell to retype.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from typing import Any
from zipfile import ZipFile

from app.uploads.formulas import _sheet_parts

_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_REFERENCE = re.compile(rb"&([^;&<\s]{0,32})(;?)")
_CELL = re.compile(rb"<c\b([^>]*)>")
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_SHARED = re.compile(rb'\bt="s"')
_VALUE = re.compile(rb"\s*(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?\s*<v>([0-9]+)</v>")
_STRING_ITEM = re.compile(rb"<si\b")


def _allowed(code_point: int) -> bool:
    return (
        code_point in (0x9, 0xA, 0xD)
        or 0x20 <= code_point <= 0xD7FF
        or 0xE000 <= code_point <= 0xFFFD
        or 0x10000 <= code_point <= 0x10FFFF
    )


def bad_references(xml: bytes) -> list[tuple[int, str]]:
    """(position, the reference as written) of every reference XML does not allow."""
    found = []
    for match in _REFERENCE.finditer(xml):
        name, closed = match[1], match[2]
        written = match[0].decode("utf-8", "replace")
        if not closed:
            found.append((match.start(), written))  # a bare "&"
        elif name in _PREDEFINED:
            continue
        elif name.startswith(b"#"):
            digits = name[2:] if name[1:2] in (b"x", b"X") else name[1:]
            base = 16 if name[1:2] in (b"x", b"X") else 10
            try:
                allowed = _allowed(int(digits, base))
            except ValueError:
                allowed = False
            if not allowed:
                found.append((match.start(), written))
        else:
            found.append((match.start(), written))
    return found


def _message(reference: str) -> str:
    return (
        f"the cell's text holds {reference!r}, which a workbook may not contain (a character or entity "
        "reference XML does not allow); retype the cell in Excel or LibreOffice and save the file again"
    )


def locate(data: bytes) -> list[dict[str, Any]]:
    """A problem (sheet, cell, column, value, message) for each bad reference; empty when there is none
    or the file cannot be searched (then the parser's own words are all there is)."""
    try:
        with ZipFile(io.BytesIO(data)) as archive:
            parts = _sheet_parts(archive)
            names = set(archive.namelist())
            sheets = {name: archive.read(part) for name, part in parts.items() if part in names}
            strings = archive.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else b""
    except Exception:  # a damaged archive or workbook part: nothing to point at
        return []
    problems: list[dict[str, Any]] = []
    bad_strings: dict[int, str] = {}
    if strings:
        starts = [m.start() for m in _STRING_ITEM.finditer(strings)]
        for position, written in bad_references(strings):
            index = bisect_right(starts, position) - 1
            if index >= 0:
                bad_strings.setdefault(index, written)
    for sheet, xml in sheets.items():
        cells = [(m.start(), m) for m in _CELL.finditer(xml)]
        positions = [start for start, _ in cells]
        for position, written in bad_references(xml):
            at = bisect_right(positions, position) - 1
            reference = _REF.search(cells[at][1][1]) if at >= 0 else None
            cell = reference[1].decode() if reference else None
            problems.append(_problem(sheet, cell, written))
        if bad_strings:
            for _start, match in cells:
                attributes = match[1]
                if not _SHARED.search(attributes):
                    continue
                value = _VALUE.match(xml, match.end())
                reference = _REF.search(attributes)
                if value and reference and int(value[1]) in bad_strings:
                    problems.append(_problem(sheet, reference[1].decode(), bad_strings[int(value[1])]))
    return problems


def _problem(sheet: str, cell: str | None, written: str) -> dict[str, Any]:
    return {"sheet": sheet, "cell": cell, "column": None, "value": written, "message": _message(written)}

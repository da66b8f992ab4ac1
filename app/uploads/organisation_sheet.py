"""The Organisations sheet: ODS code, name, kind and the compatibility-group columns, row by row."""

from __future__ import annotations

from app.uploads.cells import ORGANISATION_CODE, CellValue, text_value
from app.uploads.header_names import CODE, KIND, KINDS, NAME, normalise
from app.uploads.parsed import ParsedOrganisation, ParsedWorkbook, cell_ref, problem
from app.uploads.tables import Header, data_rows, start_table
from models.enums import OrganisationKind


def read_organisations(
    result: ParsedWorkbook,
    sheet: str,
    rows: list[list[CellValue]],
    header: Header,
    unusable: dict[tuple[int, int], str],
) -> None:
    headers = rows[header.row]
    first = start_table(result, sheet, rows, header, {CODE: "ODS code", NAME: "Name", KIND: "Kind"}, headers)
    if first is None:
        return
    cols = header.columns
    c_code, c_name, c_kind = cols[CODE], cols[NAME], cols[KIND]
    label = {index: text_value(headers[index]) for index in [*cols.values(), *header.group_columns]}
    errors = result.errors
    seen: dict[str, int] = {}
    for r in data_rows(result, sheet, rows, first)[0]:
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
        if not name.strip():
            errors.append(problem(sheet, cell_ref(r, c_name), label[c_name], None, "name is missing"))
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
        kind = KINDS.get(normalise(text_value(get(c_kind))))
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
            groups[key] = value if value.strip() else None
        if len(errors) > row_errors:
            if code and ORGANISATION_CODE.match(code):
                result.refused_organisations.add(code)
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
        result.organisations.append(
            ParsedOrganisation(
                code=code,
                name=name,
                kind=kind or "",
                groups=groups,
                location={"sheet": sheet, "cell": cell_ref(r, c_code), "column": label[c_code]},
            )
        )

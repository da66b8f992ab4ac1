"""Uploads through HTTP: idempotence, corrections in place, limits, recording, the template and the export."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import python_calamine
from fastapi.testclient import TestClient

from app.settings import get_settings
from app.uploads import reader
from fixtures.workbooks import generate
from tests.app.uploads.helpers import make_fixture_footprints, stored_lines, upload
from tests.helpers import make_footprint, make_organisation, problem

FP = generate.FOOTPRINT


def test_same_file_twice_changes_nothing_the_second_time_and_says_so(client: TestClient) -> None:
    make_fixture_footprints(client)
    data = generate.template_form()
    first = upload(client, data)
    assert first.status_code == 201, first.text
    before = client.get(f"/footprints/{FP}/cost-lines").json()["items"]

    second = upload(client, data)
    assert second.status_code == 201, second.text
    report = second.json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, 3)
    assert report["changed"] is False
    assert f"uploaded before as upload {first.json()['upload_id']}" in report["message"]
    assert client.get(f"/footprints/{FP}/cost-lines").json()["items"] == before  # not even updated_at
    uploads = client.get(f"/footprints/{FP}/uploads").json()["items"]
    assert [(u["status"], u["sha256"]) for u in uploads] == [("accepted", first.json()["sha256"])] * 2


def test_corrected_file_updates_in_place(client: TestClient) -> None:
    make_fixture_footprints(client)
    problem(upload(client, generate.negative_in_brackets()), 422)
    assert stored_lines(client) == {}

    corrected = openpyxl.load_workbook(io.BytesIO(generate.negative_in_brackets()))
    corrected["CostLines"]["D4"] = "1,234"
    corrected["CostLines"]["E5"] = 5
    out = io.BytesIO()
    corrected.save(out)
    report = upload(client, out.getvalue()).json()
    assert (report["inserted"], report["updated"]) == (3, 0)
    ids = {i["organisation"]: i["id"] for i in client.get(f"/footprints/{FP}/cost-lines").json()["items"]}

    corrected["CostLines"]["D4"] = "2,468"
    out = io.BytesIO()
    corrected.save(out)
    report = upload(client, out.getvalue()).json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 1, 2)
    items = client.get(f"/footprints/{FP}/cost-lines").json()["items"]
    assert {i["organisation"]: i["id"] for i in items} == ids
    assert next(i for i in items if i["organisation"] == "R0A")["pay"] == "2468.00"
    upload_id = next(i for i in items if i["organisation"] == "R0A")["upload_id"]
    assert upload_id == report["upload_id"]


def test_organisations_upsert_within_the_footprint(client: TestClient) -> None:
    make_fixture_footprints(client)
    report = upload(client, generate.organisations_and_costs()).json()
    assert report["organisations"] == {"inserted": 1, "updated": 1, "unchanged": 0}
    rm3 = client.get(f"/footprints/{FP}/organisations/RM3").json()
    assert rm3["name"] == "Salford Royal NHS Foundation Trust"
    assert rm3["compatibility_groups"] == {"it": "LDR Greater Manchester"}
    assert client.get(f"/footprints/{FP}/organisations/NEW01").json()["kind"] == "PROVIDER"
    again = upload(client, generate.organisations_and_costs()).json()
    assert again["organisations"] == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_file_over_the_size_limit_is_413(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_fixture_footprints(client)
    data = generate.template_form()
    monkeypatch.setattr(get_settings(), "upload_max_bytes", len(data) - 1)
    body = problem(upload(client, data), 413)
    assert "upload limit" in body["detail"]
    monkeypatch.setattr(get_settings(), "upload_max_bytes", len(data))
    assert upload(client, data).status_code == 201


def test_body_over_the_limit_is_refused_before_it_is_all_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_fixture_footprints(client)
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 1000)
    big = b"PK\x03\x04" + bytes(5_000_000)
    body = problem(upload(client, big), 413)
    assert body["errors"][0]["message"] == "File too large."


def test_zip_bomb_guards_run_before_any_parsing(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_fixture_footprints(client)

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the spreadsheet parser ran on a zip bomb")

    monkeypatch.setattr(reader.python_calamine, "load_workbook", must_not_parse)
    body = problem(upload(client, generate.zip_bomb()), 422)
    assert "compressed" in body["detail"] and "zip bomb" in body["detail"]
    # total uncompressed size, from the directory
    monkeypatch.setattr(get_settings(), "upload_max_uncompressed_bytes", 10_000)
    body = problem(upload(client, generate.template_form()), 413)
    assert "unpack" in body["detail"]


def test_missing_footprint_is_404_and_not_recorded(client: TestClient) -> None:
    problem(upload(client, generate.template_form(), footprint="E54000999"), 404)


def test_refusal_is_recorded_with_its_problems(client: TestClient) -> None:
    make_fixture_footprints(client)
    body = problem(upload(client, generate.many_errors(), "bad.xlsx"), 422)
    recorded = client.get(f"/footprints/{FP}/uploads/{body['upload_id']}").json()
    assert recorded["status"] == "refused"
    assert recorded["file_name"] == "bad.xlsx"
    assert len(recorded["errors"]) == len(body["errors"]) == body["errors_total"] == 5
    assert recorded["uploaded_by"] == "test-admin"


def test_not_multipart_is_a_422_problem(client: TestClient) -> None:
    make_fixture_footprints(client)
    problem(client.post(f"/footprints/{FP}/uploads", data={"other": "x"}), 422)


def test_uploading_needs_a_data_writer(client_as: object) -> None:
    admin = client_as("admin")  # type: ignore[operator]
    make_fixture_footprints(admin)
    planner = client_as("planner", FP)  # type: ignore[operator]
    problem(upload(planner, generate.template_form()), 403)
    outsider = client_as("finance_director", generate.OTHER_FOOTPRINT)  # type: ignore[operator]
    problem(upload(outsider, generate.template_form()), 404)
    director = client_as("finance_director", FP)  # type: ignore[operator]
    assert upload(director, generate.template_form()).status_code == 201
    assert director.get(f"/footprints/{FP}/cost-lines/export.xlsx").status_code == 200
    problem(outsider.get(f"/footprints/{FP}/cost-lines/export.xlsx"), 404)


# --- template ---------------------------------------------------------------------------------------


def _validations(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, str]:
    """header -> the drop-down's formula, for every column with a list validation."""
    headers = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        found[headers[letter]] = validation.formula1
    return found


def test_template_has_the_sheets_drop_downs_formats_and_frozen_headers(client: TestClient) -> None:
    response = client.get("/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["ReadMe", "Organisations", "CostLines", "Assumptions", "Locks"]
    readme = [c for row in book["ReadMe"].iter_rows(values_only=True) for c in row if c]
    for text in ("Pay (£)", "Financial year", "Lock kind", "payroll", "2017/18", "£k"):
        assert any(text in str(c) for c in readme), text

    orgs = book["Organisations"]
    assert orgs.freeze_panes == "A2"
    assert orgs.auto_filter.ref and orgs.auto_filter.ref.startswith("A1")
    assert "CCG,CSU,PROVIDER,LOCAL_AUTHORITY" in _validations(orgs)["Kind"]
    costs = book["CostLines"]
    assert costs.freeze_panes == "A2"
    assert "payroll" in _validations(costs)["Function"]
    assert "keep_in_house" in _validations(book["Locks"])["Lock kind"]
    assert costs.column_dimensions["A"].width >= 10
    money = {c.value: c for c in costs[1]}
    assert money["Pay (£)"].font.bold


def test_footprint_template_is_prefilled_with_its_organisations(client: TestClient) -> None:
    make_fixture_footprints(client)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/footprints/{FP}/template.xlsx").content))
    codes = [row[0] for row in book["Organisations"].iter_rows(min_row=2, values_only=True)]
    assert codes == sorted(code for code, _ in generate.ORGANISATIONS)
    assert generate.FOREIGN_ORG not in codes
    # and the template uploads back as it is: nothing to change
    out = io.BytesIO()
    book.save(out)
    report = upload(client, out.getvalue()).json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, 3)


# --- export -------------------------------------------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTab", "\rReturn", "=1"]


def _build_footprint(client: TestClient) -> int:
    make_footprint(client, FP)
    for i, name in enumerate(INJECTIONS):
        make_organisation(
            client, FP, f"RX{i}", name=name, compatibility_groups={"it": "=LDR" if i == 0 else "LDR GM"}
        )
    lines = [
        {
            "organisation": f"RX{i}",
            "function": function,
            "financial_year": year,
            "pay": f"{1234567 + i * 1000 + j}.{(i + j) % 100:02d}",
            "non_pay": "0.01" if j % 2 else "0",
            "wte": f"{i + j}.5",
        }
        for i in range(len(INJECTIONS))
        for j, (function, year) in enumerate(
            [
                ("payroll", "2016/17"),
                ("payroll", "2017/18"),
                ("it", "2017/18"),
                ("business_intelligence", "2017/18"),
            ]
        )
    ]
    response = client.post(f"/footprints/{FP}/cost-lines/bulk", json={"lines": lines})
    assert response.status_code == 200, response.text
    return len(lines)


def test_export_then_import_changes_nothing(client: TestClient) -> None:
    count = _build_footprint(client)
    before = stored_lines(client)
    orgs_before = client.get(f"/footprints/{FP}/organisations").json()
    export = client.get(f"/footprints/{FP}/cost-lines/export.xlsx")
    assert export.status_code == 200
    assert f'filename="{FP}-cost-lines.xlsx"' in export.headers["content-disposition"]

    report = upload(client, export.content, "export.xlsx").json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, count + len(INJECTIONS))
    assert report["cost_lines"] == {"inserted": 0, "updated": 0, "unchanged": count}
    assert report["warnings"] == []
    assert stored_lines(client) == before
    assert client.get(f"/footprints/{FP}/organisations").json() == orgs_before


def test_export_has_money_formats_frozen_headers_and_filters(client: TestClient) -> None:
    _build_footprint(client)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/footprints/{FP}/cost-lines/export.xlsx").content))
    costs = book["CostLines"]
    assert costs.freeze_panes == "A2"
    assert costs.auto_filter.ref == f"A1:G{costs.max_row}"
    assert "£" in costs["E2"].number_format and "£" in costs["F2"].number_format
    assert costs["E2"].value == pytest.approx(1234567.0)
    assert isinstance(costs["E2"].value, int | float)


def test_formula_injection_survives_export_as_literal_text(client: TestClient) -> None:
    _build_footprint(client)
    content = client.get(f"/footprints/{FP}/cost-lines/export.xlsx").content

    book = openpyxl.load_workbook(io.BytesIO(content))
    names = {row[0].value: row[1] for row in book["Organisations"].iter_rows(min_row=2)}
    for i, text in enumerate(INJECTIONS):
        cell = names[f"RX{i}"]
        assert cell.value == text
        assert cell.data_type == "s"  # a string, never a formula ('f')
        assert cell.quotePrefix  # Excel shows it as text (a leading apostrophe)
    assert book["Organisations"]["H2"].value == "=LDR" and book["Organisations"]["H2"].data_type == "s"
    cost_names = [row[1].value for row in book["CostLines"].iter_rows(min_row=2)]
    assert set(cost_names) == set(INJECTIONS)

    calamine = python_calamine.load_workbook(io.BytesIO(content))
    rows = calamine.get_sheet_by_name("Organisations").to_python()
    assert {r[0]: r[1] for r in rows[1:]} == {f"RX{i}": text for i, text in enumerate(INJECTIONS)}

    # and none of the sheet XML holds a formula element
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_money_is_read_exactly(client: TestClient) -> None:
    make_fixture_footprints(client)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "CostLines"
    sheet.append(generate.HEADER)
    sheet.append(["RM3", "payroll", "2017/18", 0.1 + 0.2, "1,234.565", Decimal("3.333")])
    out = io.BytesIO()
    book.save(out)
    assert upload(client, out.getvalue()).status_code == 201
    assert stored_lines(client)["RM3 payroll 2017/18"] == (30, 123457, "3.33")

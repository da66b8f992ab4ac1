"""Issue 14, defects 2, 3 and 6: text no field may hold is refused the same way on both backends (and a
stored one cannot break an export); upload errors never name a footprint the token was not granted; a
footprint code longer than its column is a 404 like any unknown footprint; no answer shows an exception."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.errors import install_problem_handlers
from app.main import create_app
from models import Footprint, Organisation
from tests.app.uploads.helpers import organisations_workbook_with, upload
from tests.conftest import ClientMaker
from tests.helpers import make_footprint, make_organisation, problem

FP, OTHER = "E54000007", "E54000008"


@pytest.mark.parametrize(
    "name", ["Vertical\x0btab", "Nul\x00", "Bell\x07", "Line\nbreak", "C1\x85", "\ud800"]
)
def test_an_organisation_name_with_a_control_character_is_refused(client: TestClient, name: str) -> None:
    def send(method: str, path: str, body: dict[str, Any]) -> Any:
        # escaped as JSON allows (httpx cannot send a lone surrogate otherwise)
        return client.request(
            method, path, content=json.dumps(body), headers={"content-type": "application/json"}
        )

    make_footprint(client, FP)
    body = problem(
        send("POST", f"/footprints/{FP}/organisations", {"code": "RAA", "name": name, "kind": "CCG"}), 422
    )
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert "U+" in body["errors"][0]["message"]
    problem(client.get(f"/footprints/{FP}/organisations/RAA"), 404)
    make_organisation(client, FP, "RAA")
    problem(send("PATCH", f"/footprints/{FP}/organisations/RAA", {"name": name}), 422)
    problem(send("POST", "/footprints", {"code": "E54000042", "name": name}), 422)


def test_keys_and_nested_values_are_checked_too(client: TestClient) -> None:
    make_footprint(client, FP)
    body = {
        "code": "RAA",
        "name": "Fine",
        "kind": "CCG",
        "compatibility_groups": {"it": "LDR\x1b", "x\x00": "y"},
    }
    errors = problem(client.post(f"/footprints/{FP}/organisations", json=body), 422)["errors"]
    assert sorted(e["pointer"] for e in errors) == [
        "/body/compatibility_groups/it",
        "/body/compatibility_groups/x\x00",
    ]


def test_fields_of_several_lines_keep_their_line_breaks(client: TestClient) -> None:
    make_footprint(client, FP)
    created = client.post(
        f"/footprints/{FP}/assumption-sets", json={"name": "Two lines", "description": "a\nb\tc"}
    )
    assert created.status_code == 201, created.text
    refused = client.post(f"/footprints/{FP}/assumption-sets", json={"name": "Bad", "description": "a\x0bb"})
    assert problem(refused, 422)["errors"][0]["loc"] == ["body", "description"]


def test_query_values_are_checked_the_same_on_both_backends(client: TestClient) -> None:
    body = problem(client.get("/cost-lines", params={"organisation": "R\x00A"}), 422)
    assert body["errors"][0]["loc"] == ["query", "organisation"]
    problem(client.get("/audit", params={"actor": "x\x0by"}), 422)


def test_a_stored_control_character_cannot_break_exports(client: TestClient, db_session: Session) -> None:
    """Before the API refused them, such names were stored; exports and templates must still work."""
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")
    db_session.execute(update(Organisation).where(Organisation.code == "RAA").values(name="Bad\x0bname"))
    db_session.execute(update(Footprint).where(Footprint.code == FP).values(name="Foot\x01print"))
    db_session.flush()
    for path in (f"/footprints/{FP}/cost-lines/export.xlsx", f"/footprints/{FP}/template.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Organisations"]
        names = [cell.value for cell in sheet["B"]]
        assert "Bad\ufffdname" in names


def test_an_uploaded_name_with_a_control_character_is_refused_at_its_cell(client: TestClient) -> None:
    make_footprint(client, FP)
    body = problem(upload(client, organisations_workbook_with(b"Bad_x000B_name"), footprint=FP), 422)
    assert [(e["sheet"], e["cell"]) for e in body["errors"]] == [("Organisations", "B2")]
    assert "U+000B" in body["errors"][0]["message"]
    assert client.get(f"/footprints/{FP}/organisations").json()["items"] == []


def test_a_control_character_in_a_file_name_is_replaced(client: TestClient) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Organisations"
    sheet.append(["ODS code", "Name", "Kind"])
    sheet.append(["RAA", "Organisation RAA", "PROVIDER"])
    out = io.BytesIO()
    book.save(out)
    # written by hand: httpx would percent-encode the name
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="costs\x0b\x01.xlsx"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + out.getvalue() + b"\r\n--b--\r\n"
    )
    response = client.post(
        f"/footprints/{FP}/uploads", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["file_name"] == "costs\ufffd\ufffd.xlsx"


@pytest.fixture
def two_footprints(client: TestClient) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")
    make_footprint(client, OTHER, name="Cheshire and Merseyside")
    make_organisation(client, OTHER, "R09")


def _foreign_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Organisations"
    sheet.append(["ODS code", "Name", "Kind"])
    sheet.append(["R09", "Someone else's", "PROVIDER"])
    lines = book.create_sheet("CostLines")
    lines.append(["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"])
    lines.append(["R09", "finance", "2017/18", 1, 1, 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.usefixtures("two_footprints")
def test_upload_errors_never_name_a_footprint_the_token_was_not_granted(
    client: TestClient, client_as: ClientMaker
) -> None:
    director = client_as("finance_director", FP)
    body = problem(upload(director, _foreign_workbook(), footprint=FP), 422)
    assert len(body["errors"]) == 2
    assert OTHER not in str(body)
    assert all(FP in e["message"] for e in body["errors"])
    stored = client.get(f"/footprints/{FP}/uploads/{body['upload_id']}").json()
    assert OTHER not in str(stored["errors"])
    # a token that sees both footprints is told where the organisation is
    admin = problem(upload(client, _foreign_workbook(), footprint=FP), 422)
    assert all(OTHER in e["message"] for e in admin["errors"])


@pytest.mark.parametrize("code", ["E54" + "0" * 30, "E5400000712345678", "X" * 200])
def test_a_footprint_code_longer_than_its_column_is_not_found(client: TestClient, code: str) -> None:
    body = problem(upload(client, _foreign_workbook(), footprint=code), 404)
    assert "Error" not in body["detail"]
    problem(
        client.post(f"/footprints/{code}/organisations", json={"code": "RAA", "name": "x", "kind": "CCG"}),
        404,
    )
    problem(client.get(f"/footprints/{code}/cost-lines"), 404)


def test_an_unexpected_failure_is_a_problem_document_that_reveals_nothing() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> Any:
        raise RuntimeError("SELECT secret FROM token -- psycopg.errors.Whatever")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    body = problem(response, 500)
    assert "SELECT" not in response.text and "RuntimeError" not in response.text
    assert "nothing was saved" in body["detail"]


def test_the_real_app_answers_unexpected_failures_as_problems(
    session_factory: Any, make_token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero in secret_module")

    monkeypatch.setattr("app.footprints.service.list_footprints", broken)
    headers = {"Authorization": f"Bearer {make_token('admin')}"}
    with TestClient(
        create_app(session_factory=session_factory), headers=headers, raise_server_exceptions=False
    ) as c:
        response = c.get("/footprints")
    problem(response, 500)
    assert "ZeroDivision" not in response.text and "secret_module" not in response.text

"""Defect 1 of issue 14: implausibly large money and WTE are refused at their cell or field, the same
in uploads, JSON and the database, on both backends (they were a plain-text 500, or silently stored)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CostLine, Organisation
from tests.app.uploads.helpers import upload
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"
HEADER = ["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"]


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "CostLines"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def footprint(client: TestClient) -> str:
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")
    return FP


@pytest.mark.parametrize(
    ("row", "cell", "words"),
    [
        (["RAA", "finance", "2017/18", "1e30", 0, 0], "D2", "£1 billion"),
        (["RAA", "finance", "2017/18", 1e17, 0, 0], "D2", "£1 billion"),  # past PostgreSQL's bigint in pence
        (["RAA", "finance", "2017/18", 0, 1_000_000_000.01, 0], "E2", "£1 billion"),
        (["RAA", "finance", "2017/18", 0, 0, 1e30], "F2", "100,000 WTE"),
        (["RAA", "finance", "2017/18", 0, 0, 1e11], "F2", "100,000 WTE"),  # stored silently by SQLite
        (["RAA", "finance", "2017/18", 0, 0, "100000.01"], "F2", "100,000 WTE"),
        (["RAA", "finance", "2017/18", "１２３", 0, 0], "D2", "digits 0-9"),
        (["RAA", "finance", "2017/18", 0, 0, "１２"], "F2", "digits 0-9"),
        (["RAA", "finance", "2017/18", "9e999999", 0, 0], "D2", "£1 billion"),
    ],
)
def test_an_implausible_figure_is_refused_at_its_cell_and_the_upload_recorded(
    client: TestClient, footprint: str, row: list[Any], cell: str, words: str
) -> None:
    body = problem(upload(client, workbook(row), footprint=footprint), 422)
    assert [(e["sheet"], e["cell"]) for e in body["errors"]] == [("CostLines", cell)]
    assert words in body["errors"][0]["message"]
    uploads = client.get(f"/footprints/{footprint}/uploads").json()["items"]
    assert [u["status"] for u in uploads] == ["refused"]
    assert client.get(f"/footprints/{footprint}/cost-lines").json()["total"] == 0


def test_figures_at_the_bounds_are_accepted_from_a_workbook(client: TestClient, footprint: str) -> None:
    response = upload(
        client,
        workbook(["RAA", "finance", "2017/18", 1_000_000_000, "£1,000,000,000.00", 100_000]),
        footprint=footprint,
    )
    assert response.status_code == 201, response.text
    (line,) = client.get(f"/footprints/{footprint}/cost-lines").json()["items"]
    assert (line["pay"], line["non_pay"], line["wte"]) == ("1000000000.00", "1000000000.00", "100000.00")


def test_a_unit_that_makes_a_figure_implausible_is_named(client: TestClient, footprint: str) -> None:
    book = workbook(["RAA", "finance", "2017/18", 2_000_000, 0, 0])
    # the same figure in a £m column is £2 trillion
    from openpyxl import load_workbook

    loaded = load_workbook(io.BytesIO(book))
    loaded["CostLines"]["D1"] = "Pay (£m)"
    out = io.BytesIO()
    loaded.save(out)
    body = problem(upload(client, out.getvalue(), footprint=footprint), 422)
    assert body["errors"][0]["cell"] == "D2"
    assert "unit" in body["errors"][0]["message"]


LINE = {"organisation": "RAA", "function": "finance", "financial_year": "2017/18", "pay": "0", "non_pay": "0"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pay", "1000000000.01"),
        ("non_pay", 5e9),
        ("wte", "100000.01"),
        ("pay", "１２３"),
        ("wte", "١٢"),
    ],
)
def test_json_refuses_the_same_figures(client: TestClient, footprint: str, field: str, value: Any) -> None:
    body = problem(client.post(f"/footprints/{footprint}/cost-lines", json={**LINE, field: value}), 422)
    assert body["errors"][0]["loc"] == ["body", field]
    bulk = client.post(f"/footprints/{footprint}/cost-lines/bulk", json={"lines": [{**LINE, field: value}]})
    problem(bulk, 422)
    created = client.post(f"/footprints/{footprint}/cost-lines", json=LINE)
    assert created.status_code == 201
    patched = client.patch(f"/footprints/{footprint}/cost-lines/{created.json()['id']}", json={field: value})
    problem(patched, 422)


def test_json_accepts_the_bounds(client: TestClient, footprint: str) -> None:
    line = {**LINE, "pay": "1000000000", "non_pay": "1000000000.00", "wte": "100000"}
    created = client.post(f"/footprints/{footprint}/cost-lines", json=line)
    assert created.status_code == 201, created.text
    assert created.json()["total"] == "2000000000.00"


@pytest.mark.parametrize(
    ("column", "value"),
    [("pay_pence", 100_000_000_001), ("non_pay_pence", 100_000_000_001), ("wte", Decimal("100000.01"))],
)
def test_the_database_refuses_what_the_api_would(
    db_session: Session, client: TestClient, footprint: str, column: str, value: Any
) -> None:
    organisation_id = db_session.scalar(select(Organisation.id).where(Organisation.code == "RAA"))
    assert organisation_id is not None
    fields: dict[str, Any] = {"pay_pence": 0, "non_pay_pence": 0, "wte": Decimal(0), column: value}
    with db_session.begin_nested(), pytest.raises(IntegrityError):
        db_session.add(
            CostLine(
                organisation_id=organisation_id, function_key="finance", financial_year="2017/18", **fields
            )
        )
        db_session.flush()

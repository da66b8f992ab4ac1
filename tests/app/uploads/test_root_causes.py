"""One bad cell is reported once, at its cell: not again as the consequences it has elsewhere."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient

from fixtures.workbooks import generate
from tests.app.uploads.helpers import make_fixture_footprints, upload
from tests.helpers import problem


def _workbook(kind: str, unknown: bool = True) -> bytes:
    book = openpyxl.Workbook()
    organisations = book.active
    organisations.title = "Organisations"
    organisations.append(["ODS code", "Name", "Kind"])
    organisations.append(["RNEW", "New Trust", kind])
    costs = book.create_sheet("CostLines")
    costs.append(generate.HEADER)
    for function in ("finance", "hr", "payroll"):
        costs.append(["RNEW", function, "2017/18", 1000, 100, 2])
    if unknown:
        costs.append(["RZZZ", "finance", "2017/18", 1000, 100, 2])  # truly unknown: still reported
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_invalid_kind_is_reported_once_not_on_every_cost_line_of_the_organisation(
    client: TestClient,
) -> None:
    make_fixture_footprints(client)
    body = problem(upload(client, _workbook("Hospital")), 422)
    where = [(e["sheet"], e["cell"]) for e in body["errors"]]
    assert where == [("Organisations", "C2"), ("CostLines", "A5")], body["errors"]
    assert "Kind must be one of" in body["errors"][0]["message"]
    assert "RZZZ is not in footprint" in body["errors"][1]["message"]
    # with the kind corrected (and the unknown line gone) the file is accepted: its lines were fine
    accepted = upload(client, _workbook("PROVIDER", unknown=False))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["cost_lines"]["inserted"] == 3

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from tests.app.runs.conftest import FP, RUNS, launch, small_footprint
from tests.helpers import problem

RISKY_NAME = '=HYPERLINK("http://evil.example","click")'


def check_workbook(content: bytes, client: TestClient, run_id: int) -> dict[str, Any]:
    """The workbook's figures are the API's, sheet by sheet; returns the loaded sheets' rows."""
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "Summary",
        "Plan",
        "Organisations",
        "Hub agreements",
        "Cash by organisation",
        "Years",
        "Baseline",
        "Assumptions",
        "Function assumptions",
        "Solver",
        "Binding constraints",
        "Glossary",
    ]
    run = client.get(f"{RUNS}/{run_id}").json()
    years = client.get(f"{RUNS}/{run_id}/years").json()
    plan = client.get(f"{RUNS}/{run_id}/plan").json()
    organisations = client.get(f"{RUNS}/{run_id}/organisations").json()

    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert Decimal(str(summary["Net present value (NPV)"])) == Decimal(run["npv"])
    assert summary["Status"] == run["status"]
    assert book["Summary"]["B3"].number_format.startswith('"£"')
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist()), "no savings chart"

    year_rows = list(book["Years"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], Decimal(str(r[1])), Decimal(str(r[6]))) for r in year_rows] == [
        (y["year"], Decimal(y["savings"]), Decimal(y["net_cash"])) for y in years["years"]
    ]
    assert book["Years"].freeze_panes == "A2" and book["Years"].auto_filter.ref
    assert book["Years"]["B2"].number_format.startswith('"£"')

    plan_rows = list(book["Plan"].iter_rows(min_row=2, values_only=True))
    labels = {f["key"]: f["label"] for f in client.get("/functions").json()}
    assert sorted((r[0], r[1], r[3], r[5]) for r in plan_rows) == sorted(
        (labels[m["function"]], m["host"], m["member"], m["year"]) for h in plan["hubs"] for m in h["members"]
    )
    org_rows = {r[0]: r for r in book["Organisations"].iter_rows(min_row=2, values_only=True)}
    assert {code: Decimal(str(r[3])) for code, r in org_rows.items()} == {
        o["organisation"]: Decimal(o["attributed_npv"]) for o in organisations["organisations"]
    }
    assert book["Organisations"].column_dimensions["B"].width >= 40
    money = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
    assert {code: (money(r[5]), money(r[6])) for code, r in org_rows.items()} == {
        o["organisation"]: (money(o["share"]), money(o["recharge"])) for o in organisations["organisations"]
    }
    agreement_rows = [r for r in book["Hub agreements"].iter_rows(min_row=2, values_only=True) if r and r[0]]
    assert [(r[0], r[1], r[4], money(r[9]), money(r[10]), money(r[12])) for r in agreement_rows] == [
        (
            labels[h["function"]],
            h["host"],
            p["organisation"],
            money(p["share"]),
            money(p["recharge"]),
            money(p["annual_recharge"]),
        )
        for h in organisations["hubs"]
        for p in h["participants"]
    ]
    assert summary["Outcome"] == run["outcome_text"]
    return {"organisations": org_rows, "book": book}


def test_the_result_workbook_matches_the_api(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    assert client.patch(f"/footprints/{FP}/organisations/RDD", json={"name": RISKY_NAME}).status_code == 200
    run = launch(client)
    execute_run(session_factory, run["id"], heartbeat_seconds=3600)
    response = client.get(f"{RUNS}/{run['id']}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    loaded = check_workbook(response.content, client, run["id"])
    # the user's text is kept exactly, as text: Excel will not run it
    cell = next(
        c
        for row in loaded["book"]["Organisations"].iter_rows(min_row=2)
        for c in row
        if c.value == RISKY_NAME
    )
    assert cell.data_type == "s" and cell.quotePrefix
    assumptions = list(loaded["book"]["Assumptions"].iter_rows(values_only=True))
    assert ("Discount rate", 0.035) in [tuple(r[:2]) for r in assumptions]


def test_a_queued_run_has_no_workbook_yet(client: TestClient) -> None:
    # An empty workbook of a queued run looked like a plan with no savings: it is refused, with the status.
    small_footprint(client)
    run = launch(client)
    body = problem(client.get(f"{RUNS}/{run['id']}/export.xlsx"), 409)
    assert body["run_status"] == "queued"
    assert body["detail"].startswith(f"Run {run['id']} is queued: it has not finished")

"""National sweeps through the API: one footprint sweep per footprint, England's totals checked against
the runs' own figures added up independently, the workbook against the JSON, who may run one, and the
words that say what a total leaves out."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from models import Run, RunStatus
from tests.app.runs.conftest import COSTS
from tests.conftest import ClientMaker
from tests.helpers import make_footprint, make_organisation, problem

TINY = {"horizon_years": 2, "board_acceptability": False}
FOOTPRINTS = {"E54000007": 1, "E54000008": 2}  # code -> cost scale, so the two differ
BODY: dict[str, Any] = {
    "assumptions": TINY,
    "grid": {"savings_multipliers": [0.8, 1.2]},
    "options": {"time_limit": 20},
}


def two_footprints(client: TestClient) -> None:
    for code, scale in FOOTPRINTS.items():
        make_footprint(client, code, maturity="advanced")
        lines = []
        for org, functions in COSTS.items():
            make_organisation(client, code, f"{org[:2]}{code[-1]}{org[-1]}")
            for function, (pay, non_pay) in functions.items():
                lines.append(
                    {
                        "organisation": f"{org[:2]}{code[-1]}{org[-1]}",
                        "function": function,
                        "financial_year": "2017/18",
                        "pay": f"{pay * scale}.00",
                        "non_pay": f"{non_pay * scale}.00",
                        "wte": "25",
                    }
                )
        response = client.post(f"/footprints/{code}/cost-lines/bulk", json={"lines": lines})
        assert response.status_code == 200, response.text


def test_a_national_sweep_adds_up_england(
    client: TestClient, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    two_footprints(client)
    created = client.post("/sweeps", json=BODY)
    assert created.status_code == 202, created.text
    national = created.json()
    assert created.headers["location"] == f"/sweeps/{national['id']}"
    assert national["runs"] == 4 and sorted(national["sweep_ids"]) == sorted(FOOTPRINTS)
    assert national["finished"] is False
    assert any("Not finished: 4 of 4" in c for c in national["caveats"])
    # Each footprint's part is an ordinary sweep of that footprint.
    for code, sweep_id in national["sweep_ids"].items():
        part = client.get(f"/footprints/{code}/sweeps/{sweep_id}").json()
        assert part["runs"] == 2
    for outcome in national["footprints"]:
        assert execute_run(session_factory, outcome["run_id"], heartbeat_seconds=3600) == "optimal"

    result = client.get(f"/sweeps/{national['id']}").json()
    assert result["finished"] is True and result["by_status"] == {"optimal": 4}
    assert result["finished_at"] is not None  # stamped by the last child to finish
    assert result["caveats"] == []
    # England's totals, added up here from each run's own years.
    npv: dict[str, Decimal] = defaultdict(Decimal)
    care: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    wte: dict[str, Decimal] = defaultdict(Decimal)
    for outcome in result["footprints"]:
        code, run_id = outcome["footprint"], outcome["run_id"]
        run = client.get(f"/footprints/{code}/runs/{run_id}").json()
        years = client.get(f"/footprints/{code}/runs/{run_id}/years").json()["years"]
        assert Decimal(outcome["npv"]) == Decimal(run["npv"])
        npv[outcome["scenario"]] += Decimal(run["npv"])
        for y in years:
            care[(outcome["scenario"], y["year"])] += Decimal(y["net_cash"])
            wte[outcome["scenario"]] += Decimal(y["wte_released"])
    assert [t["scenario"] for t in result["totals"]] == [
        "savings x0.8, transition x1",
        "savings x1.2, transition x1",
    ]
    for total in result["totals"]:
        assert total["planned"] == 2 and total["unproven"] == [] and total["without_plan"] == {}
        assert Decimal(total["npv"]) == npv[total["scenario"]]
        assert {
            (total["scenario"], y["year"]): Decimal(y["patient_care"]) for y in total["patient_care_per_year"]
        } == {k: v for k, v in care.items() if k[0] == total["scenario"]}
        assert abs(Decimal(repr(total["wte_released"])) - wte[total["scenario"]]) < Decimal("0.001")
    low, high = (Decimal(t["npv"]) for t in result["totals"])
    assert Decimal(0) < low < high  # more savings, more value: the scenarios really differ

    # The workbook says the same.
    workbook = client.get(f"/sweeps/{national['id']}/export.xlsx")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert book.sheetnames == ["ReadMe", "England", "England by year", "Footprints"]
    rows = list(book["England"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], Decimal(str(r[5]))) for r in rows] == [
        (t["scenario"], 2, Decimal(t["npv"])) for t in result["totals"]
    ]
    assert len(list(book["Footprints"].iter_rows(min_row=2, values_only=True))) == 4
    readme = " ".join(str(r[0]) for r in book["ReadMe"].iter_rows(values_only=True))
    assert "ILLUSTRATIVE" in readme

    # A plan stopped at the time limit, and a footprint without a plan, are said in words.
    first, second = (
        o["run_id"] for o in result["footprints"] if o["scenario"] == "savings x0.8, transition x1"
    )
    db_session.execute(update(Run).where(Run.id == first).values(status=RunStatus.FEASIBLE))
    db_session.execute(
        update(Run).where(Run.id == second).values(status=RunStatus.INFEASIBLE, npv_pence=None)
    )
    db_session.flush()
    said = client.get(f"/sweeps/{national['id']}").json()
    low_total = said["totals"][0]
    assert (
        low_total["planned"] == 1 and len(low_total["unproven"]) == 1 and len(low_total["without_plan"]) == 1
    )
    words = " ".join(said["caveats"])
    assert "no plan and add nothing" in words and "infeasible" in words
    assert "stopped at the solver's time limit" in words and "a floor" in words


def test_only_a_national_token_may_run_or_read_one(client: TestClient, client_as: ClientMaker) -> None:
    two_footprints(client)
    # A planner granted both footprints still lacks national scope (analysts and admins have it).
    scoped = client_as("planner", "E54000007", "E54000008")
    body = problem(scoped.post("/sweeps", json=BODY), 403)
    assert "national scope" in body["detail"]
    problem(client_as("finance_director", "E54000007").post("/sweeps", json=BODY), 403)
    national = client_as("analyst").post("/sweeps", json=BODY)
    assert national.status_code == 202, national.text
    problem(scoped.get(f"/sweeps/{national.json()['id']}"), 403)
    problem(
        client_as("finance_director", "E54000007").get(f"/sweeps/{national.json()['id']}/export.xlsx"), 403
    )
    assert client_as("analyst").get(f"/sweeps/{national.json()['id']}").status_code == 200


def test_bad_requests_change_nothing(client: TestClient) -> None:
    two_footprints(client)
    body = problem(client.post("/sweeps", json={**BODY, "footprints": ["E54000007", "E54000099"]}), 422)
    assert body["errors"] == [{"field": "footprints", "value": "E54000099", "message": "No such footprint."}]
    problem(client.post("/sweeps", json={**BODY, "assumption_set": "nowhere", "assumptions": None}), 404)
    assert client.get("/footprints/E54000007/runs").json()["items"] == []
    problem(client.get("/sweeps/999"), 404)
    only = client.post("/sweeps", json={**BODY, "footprints": ["E54000008"]}).json()
    assert list(only["sweep_ids"]) == ["E54000008"] and only["runs"] == 2

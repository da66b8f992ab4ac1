"""Runs executed in the test's own process (`execute_run`), over the test's rolled-back transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.runs.executor import QueueOnlyExecutor
from app.runs.problem_builder import build_problem
from app.runs.worker import execute_run
from models import CostLine, Run
from solver.appraisal import appraise
from solver.problem import Hub, Move
from tests.app.runs.conftest import FP, RUNS, launch, small_footprint
from tests.helpers import problem


def _execute(session_factory: sessionmaker[Session], run_id: int) -> str | None:
    # A long heartbeat interval: the heartbeat thread must not share the test's connection.
    return execute_run(session_factory, run_id, heartbeat_seconds=3600)


def _hubs(plan: dict) -> list[Hub]:  # type: ignore[type-arg]
    return [
        Hub(
            host=h["host"],
            function=h["function"],
            opening_year=h["opening_year"],
            members=[Move(m["member"], m["function"], m["host"], m["year"]) for m in h["members"]],
        )
        for h in plan["hubs"]
    ]


def test_a_run_is_queued_then_executed_and_its_results_served(
    client: TestClient, api_app: FastAPI, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    small_footprint(client)
    created = launch(client, label="first")
    assert created["status"] == "queued" and created["created_by"] == "test-admin"
    executor = api_app.state.run_executor
    assert isinstance(executor, QueueOnlyExecutor) and executor.submitted == [created["id"]]

    assert _execute(session_factory, created["id"]) == "optimal"
    run = client.get(f"{RUNS}/{created['id']}").json()
    assert run["status"] == "optimal" and run["attempts"] == 1 and run["finished_at"]
    assert run["solver_statistics"]["relative_gap"] is not None

    plan = client.get(f"{RUNS}/{created['id']}/plan").json()
    years = client.get(f"{RUNS}/{created['id']}/years").json()
    organisations = client.get(f"{RUNS}/{created['id']}/organisations").json()
    assert plan["hubs"], "the small footprint has moves worth making"

    # the stored figures are the independent appraisal's, to the penny
    snapshot = db_session.get(Run, created["id"]).snapshot  # type: ignore[union-attr]
    appraisal = appraise(build_problem(snapshot), _hubs(plan))
    assert Decimal(years["npv"]) == Decimal(run["npv"]) == round(Decimal(repr(appraisal.npv)), 2)
    assert years["payback_year"] == appraisal.payback_year
    assert [Decimal(y["net_cash"]) for y in years["years"]] == [
        round(Decimal(repr(y.net_cash)), 2) for y in appraisal.years
    ]
    assert {o["organisation"]: Decimal(o["attributed_npv"]) for o in organisations["organisations"]} == {
        o.organisation: round(Decimal(repr(o.attributed_npv)), 2) for o in appraisal.organisations
    }
    assert [r["id"] for r in client.get(RUNS).json()["items"]] == [created["id"]]
    assert [r["id"] for r in client.get(RUNS, params={"status": "queued"}).json()["items"]] == []


def test_the_snapshot_isolates_a_run_from_later_changes(
    client: TestClient, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    small_footprint(client)
    first = launch(client)
    before = db_session.get(Run, first["id"]).snapshot  # type: ignore[union-attr]
    # after launch, every cost line is halved: the run must not notice
    db_session.execute(update(CostLine).values(pay_pence=CostLine.pay_pence / 2))
    db_session.commit()
    second = launch(client)
    assert _execute(session_factory, first["id"]) == "optimal"
    assert _execute(session_factory, second["id"]) == "optimal"
    db_session.expire_all()
    assert db_session.get(Run, first["id"]).snapshot == before  # type: ignore[union-attr]
    a = client.get(f"{RUNS}/{first['id']}").json()
    b = client.get(f"{RUNS}/{second['id']}").json()
    assert a["npv"] != b["npv"]
    # re-running the same snapshot gives the same plan and figures
    again = launch(client)
    db_session.execute(update(Run).where(Run.id == again["id"]).values(snapshot=before))
    db_session.commit()
    assert _execute(session_factory, again["id"]) == "optimal"
    assert (
        client.get(f"{RUNS}/{again['id']}/plan").json()["hubs"]
        == (client.get(f"{RUNS}/{first['id']}/plan").json()["hubs"])
    )
    assert client.get(f"{RUNS}/{again['id']}").json()["npv"] == a["npv"]


def test_cancel_a_queued_run(
    client: TestClient, api_app: FastAPI, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = launch(client)
    cancelled = client.post(f"{RUNS}/{run['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api_app.state.run_executor.cancelled == [run["id"]]
    # a worker handed it afterwards does nothing
    assert _execute(session_factory, run["id"]) is None
    assert client.get(f"{RUNS}/{run['id']}").json()["status"] == "cancelled"
    problem(client.post(f"{RUNS}/{run['id']}/cancel"), 409)


def test_reviews_need_a_finished_run_and_keep_their_history(
    client: TestClient, client_as: object, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = launch(client)
    url = f"{RUNS}/{run['id']}/reviews"
    problem(client.post(url, json={"decision": "approve", "comment": "too early"}), 409)
    _execute(session_factory, run["id"])
    planner = client_as("planner", FP, name="planner-jo")  # type: ignore[operator]
    assert planner.post(url, json={"decision": "reject", "comment": "estates too early"}).status_code == 201
    approved = planner.post(url, json={"decision": "approve", "comment": "after discussion"})
    assert approved.status_code == 201 and approved.json()["reviewer"] == "planner-jo"
    history = client.get(url).json()
    assert [(r["decision"], r["comment"]) for r in history] == [
        ("reject", "estates too early"),
        ("approve", "after discussion"),
    ]
    assert client.get(f"{RUNS}/{run['id']}").json()["review"] == "approve"
    problem(client.post(url, json={"decision": "maybe"}), 422)


def test_compare_two_runs(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    small_footprint(client)
    a = launch(client)
    # no hub may open before year 3 for hr: the hr plan must move
    b = launch(client, assumptions={"horizon_years": 3, "board_acceptability": False, "pace": [0, 0, 8]})
    _execute(session_factory, a["id"])
    _execute(session_factory, b["id"])
    comparison = client.get(f"{RUNS}/{a['id']}/compare/{b['id']}")
    assert comparison.status_code == 200, comparison.text
    body = comparison.json()
    npv_a, npv_b = Decimal(body["npv_a"]), Decimal(body["npv_b"])
    assert Decimal(body["npv_difference"]) == npv_b - npv_a < 0
    years_a = client.get(f"{RUNS}/{a['id']}/years").json()["years"]
    assert [Decimal(y["net_cash_a"]) for y in body["years"]] == [Decimal(y["net_cash"]) for y in years_a]
    assert all(
        Decimal(y["difference"]) == Decimal(y["net_cash_b"]) - Decimal(y["net_cash_a"]) for y in body["years"]
    )
    plan_a = client.get(f"{RUNS}/{a['id']}/plan").json()
    moved_years = {
        (f["function"], c["organisation"]): (c["year_a"], c["year_b"])
        for f in body["functions"]
        for c in f["years_changed"]
    }
    # every member of a that moved in year 1 or 2 moves later (year 3) or elsewhere in b
    for hub in plan_a["hubs"]:
        for m in hub["members"]:
            if m["year"] < 3:
                key = (m["function"], m["member"])
                assert key in moved_years or any(
                    c["organisation"] == m["member"]
                    for f in body["functions"]
                    if f["function"] == m["function"]
                    for c in f["organisations_moved"]
                )
    # a run compared with itself differs in nothing
    same = client.get(f"{RUNS}/{a['id']}/compare/{a['id']}").json()
    assert same["functions"] == [] and Decimal(same["npv_difference"]) == 0


def test_runs_of_another_footprint_are_not_found(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = launch(client)
    from tests.helpers import make_footprint

    make_footprint(client, "E54000008")
    problem(client.get(f"/footprints/E54000008/runs/{run['id']}"), 404)
    problem(client.post(RUNS, json={"assumption_set": "missing"}), 404)
    problem(client.post(RUNS, json={"assumption_set": "x", "assumptions": {}}), 422)


@pytest.mark.parametrize("name", ["central"])
def test_a_run_from_a_named_assumption_set(client: TestClient, name: str) -> None:
    small_footprint(client)
    assert (
        client.post(f"/footprints/{FP}/assumption-sets", json={"name": name, "horizon_years": 4}).status_code
        == 201
    )
    run = launch(client, assumption_set=name, assumptions=None)
    assert run["assumption_set"] == name

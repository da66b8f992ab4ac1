"""What a planner does on their first day: lock decisions and keep assumption sets, have someone else
review their run, read results only once there are some, and list and cancel sweeps."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from models import Run, RunStatus
from tests.app.runs.conftest import FP, RUNS, SMALL_ASSUMPTIONS, launch, small_footprint
from tests.helpers import make_footprint, make_organisation, problem

LOCKS = f"/footprints/{FP}/locks"
SWEEPS = f"/footprints/{FP}/sweeps"
RESULTS = ("plan", "years", "organisations", "export.xlsx")


def _execute(session_factory: sessionmaker[Session], run_id: int) -> str | None:
    return execute_run(session_factory, run_id, heartbeat_seconds=3600)


def _set_status(db_session: Session, run_id: int, status: RunStatus) -> None:
    db_session.execute(update(Run).where(Run.id == run_id).values(status=status))
    db_session.commit()


# ---- planners write locks and assumption sets, not cost data --------------------------------------


def test_a_planner_locks_decisions_and_keeps_assumption_sets(client: TestClient, client_as: Any) -> None:
    small_footprint(client)
    planner = client_as("planner", FP, name="planner-jo")
    lock = planner.post(LOCKS, json={"kind": "keep_in_house", "function": "hr", "organisation": "RAA"})
    assert lock.status_code == 201, lock.text
    created = planner.post(
        f"/footprints/{FP}/assumption-sets", json={"name": "cautious", "discount_rate": "0.035"}
    )
    assert created.status_code == 201, created.text
    replaced = planner.put(f"/footprints/{FP}/assumption-sets/cautious", json={"discount_rate": "0.015"})
    assert replaced.status_code == 200 and replaced.json()["discount_rate"] == "0.015"
    assert planner.delete(f"{LOCKS}/{lock.json()['id']}").status_code == 204
    # cost data stays with the finance directors
    line = {"organisation": "RAA", "function": "estates", "financial_year": "2017/18", "pay": "1.00"}
    problem(planner.post(f"/footprints/{FP}/cost-lines", json=line), 403)
    # and only in the planner's own footprints
    make_footprint(client, "E54000008")
    make_organisation(client, "E54000008", "RZZ")
    other = {"kind": "must_host", "function": "hr", "organisation": "RZZ"}
    problem(planner.post("/footprints/E54000008/locks", json=other), 404)


# ---- a run is reviewed by someone other than its creator ------------------------------------------


def test_the_creator_of_a_run_cannot_review_it_unless_an_admin(
    client: TestClient, client_as: Any, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    jo = client_as("planner", FP, name="planner-jo")
    sam = client_as("planner", FP, name="planner-sam")
    run = jo.post(RUNS, json={"assumptions": SMALL_ASSUMPTIONS, "options": {"time_limit": 20}}).json()
    assert run["created_by"] == "planner-jo"
    assert _execute(session_factory, run["id"]) == "optimal"
    reviews = f"{RUNS}/{run['id']}/reviews"

    refused = problem(jo.post(reviews, json={"decision": "approve", "comment": "mine, and good"}), 409)
    assert "launched by planner-jo, who cannot also review it" in refused["detail"]
    assert jo.get(reviews).json() == [], "a refused review leaves no trace"
    approved = sam.post(reviews, json={"decision": "approve", "comment": "checked the estates moves"})
    assert approved.status_code == 201 and approved.json()["reviewer"] == "planner-sam"

    # an admin may review a run it launched itself (the operator of a small footprint)
    own = launch(client)
    assert _execute(session_factory, own["id"]) == "optimal"
    assert client.post(f"{RUNS}/{own['id']}/reviews", json={"decision": "reject"}).status_code == 201


# ---- results only once there are some -------------------------------------------------------------


def test_results_of_an_unfinished_run_are_refused_with_its_status(
    client: TestClient, db_session: Session, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = launch(client)
    url = f"{RUNS}/{run['id']}"
    for status in ("queued", "running"):
        _set_status(db_session, run["id"], RunStatus(status))
        for result in RESULTS:
            body = problem(client.get(f"{url}/{result}"), 409)
            assert body["run_status"] == status, result
            assert body["detail"] == (
                f"Run {run['id']} is {status}: it has not finished, so it has no results yet; ask again "
                "when its status is optimal, feasible or infeasible."
            )
    _set_status(db_session, run["id"], RunStatus.QUEUED)
    assert client.post(f"{url}/cancel").status_code == 200
    for result in RESULTS:
        body = problem(client.get(f"{url}/{result}"), 409)
        assert body["run_status"] == "cancelled"
        assert body["detail"] == f"Run {run['id']} is cancelled: it has no results (cancelled on request)."

    finished = launch(client)
    assert _execute(session_factory, finished["id"]) == "optimal"
    for result in RESULTS:
        assert client.get(f"{RUNS}/{finished['id']}/{result}").status_code == 200, result
    compared = problem(client.get(f"{RUNS}/{finished['id']}/compare/{run['id']}"), 409)
    assert compared["run_status"] == "cancelled"


# ---- contradictory locks are refused when written -------------------------------------------------


def _lock(client: TestClient, kind: str, organisation: str = "RAA", function: str = "finance") -> Any:
    return client.post(LOCKS, json={"kind": kind, "function": function, "organisation": organisation})


@pytest.mark.parametrize("first,second", [("must_host", "may_not_host"), ("may_not_host", "must_host")])
def test_a_lock_contradicting_another_is_refused_naming_both(
    client: TestClient, first: str, second: str
) -> None:
    small_footprint(client)
    existing = _lock(client, first)
    assert existing.status_code == 201, existing.text
    body = problem(_lock(client, second), 422)
    lock_id = existing.json()["id"]
    assert body["detail"].startswith(
        f"This {second} lock contradicts lock {lock_id} ({first}) for RAA and finance: RAA cannot both "
        "have to host finance and be barred from hosting it."
    )
    (error,) = body["errors"]
    assert error["locks"] == [
        {"id": None, "kind": second, "state": "this request"},
        {"id": lock_id, "kind": first, "state": "existing"},
    ]
    assert [lock["id"] for lock in client.get(LOCKS).json()] == [lock_id]
    # the same pair on another organisation or function is no contradiction
    assert _lock(client, second, organisation="RBB").status_code == 201
    assert _lock(client, second, function="hr").status_code == 201


def test_must_join_keep_in_house_and_may_not_host_together_are_refused(client: TestClient) -> None:
    small_footprint(client)
    join = _lock(client, "must_join")
    keep = _lock(client, "keep_in_house")
    # in a hub, and not another's: it must host its own, which is still allowed
    assert join.status_code == 201 and keep.status_code == 201
    body = problem(_lock(client, "may_not_host"), 422)
    assert (
        f"lock {keep.json()['id']} (keep_in_house) and lock {join.json()['id']} (must_join)" in body["detail"]
    )
    assert "no plan can do all three" in body["detail"]
    assert len(client.get(LOCKS).json()) == 2
    # without the keep_in_house lock, RAA can join another's hub: no contradiction
    assert client.delete(f"{LOCKS}/{keep.json()['id']}").status_code == 204
    assert _lock(client, "may_not_host").status_code == 201
    problem(_lock(client, "keep_in_house"), 422)


# ---- sweeps: listed in pages, cancelled ------------------------------------------------------------


def _sweep(client: TestClient, savings: list[float]) -> dict[str, Any]:
    response = client.post(
        SWEEPS,
        json={
            "assumptions": {"horizon_years": 2, "board_acceptability": False},
            "grid": {"savings_multipliers": savings},
            "options": {"time_limit": 20},
        },
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_sweeps_are_listed_newest_first_in_pages(client: TestClient, client_as: Any) -> None:
    small_footprint(client)
    make_footprint(client, "E54000008")
    make_organisation(client, "E54000008", "RZZ")
    ids = [_sweep(client, [1.0] * n)["id"] for n in (1, 2, 3)]
    elsewhere = client.post(
        "/footprints/E54000008/sweeps", json={"grid": {"savings_multipliers": [1.0]}}
    ).json()["id"]

    planner = client_as("planner", FP)
    first = planner.get(SWEEPS, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [s["id"] for s in page["items"]] == [ids[2], ids[1]]
    assert page["total"] == 3 and page["limit"] == 2 and page["next_cursor"]
    assert page["items"][0]["runs"] == 3 and page["items"][0]["by_status"] == {"queued": 3}
    assert page["items"][0]["finished"] is False and page["items"][0]["kind"] == "grid"
    # a sweep added while walking does not shift the later pages; the total is the walk's
    _sweep(client, [1.0])
    rest = planner.get(SWEEPS, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [s["id"] for s in rest["items"]] == [ids[0]]
    assert rest["total"] == 3 and rest["next_cursor"] is None
    assert elsewhere not in [s["id"] for s in client.get(SWEEPS).json()["items"]]
    assert client.get(SWEEPS).json()["total"] == 4
    problem(client.get(SWEEPS, params={"cursor": "not-a-cursor"}), 422)
    problem(client.get(SWEEPS, params={"limit": 0}), 422)


def test_cancelling_a_sweep_stops_its_queued_and_running_scenarios(
    client: TestClient, api_app: FastAPI, db_session: Session, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    sweep = _sweep(client, [0.75, 1.0, 1.25])
    done, running, queued = sweep["run_ids"]
    assert _execute(session_factory, done) == "optimal"
    _set_status(db_session, running, RunStatus.RUNNING)

    cancelled = client.post(f"{SWEEPS}/{sweep['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["cancelled_run_ids"] == [running, queued]
    assert body["sweep"]["by_status"] == {"cancelled": 2, "optimal": 1}
    assert body["sweep"]["finished"] is True
    assert api_app.state.run_executor.cancelled == [running, queued]
    # the finished scenario keeps its result; a worker handed a cancelled one does nothing
    assert client.get(f"{RUNS}/{done}").json()["status"] == "optimal"
    assert _execute(session_factory, queued) is None
    assert client.get(f"{RUNS}/{queued}").json()["status"] == "cancelled"
    again = problem(client.post(f"{SWEEPS}/{sweep['id']}/cancel"), 409)
    assert again["detail"] == f"Sweep {sweep['id']} has no queued or running scenario left to cancel."
    problem(client.post(f"{SWEEPS}/999999/cancel"), 404)

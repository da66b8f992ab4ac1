"""Rule 10's modes through the product: assumption sets carry the mode, runs show each hub's
cost-sharing agreement (shares and recharges to the penny), and the outcome is said in words."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.demo.service import load_demo
from app.runs.outcome import describe
from app.runs.worker import execute_run
from models import Run
from solver.problem import BoardMode, FunctionAssumptions, Problem, Tier
from tests.app.runs.conftest import FP, RUNS, launch, small_footprint
from tests.helpers import problem

SETS = f"/footprints/{FP}/assumption-sets"


def test_assumption_sets_default_to_shared_mode_and_keep_a_chosen_one(client: TestClient) -> None:
    small_footprint(client)
    created = client.post(SETS, json={"name": "central"}).json()
    assert created["board_mode"] == "shared" and created["board_mode_note"] is None
    own = client.post(SETS, json={"name": "no-recharges", "board_mode": "own"}).json()
    assert own["board_mode"] == "own"
    assert client.get(f"{SETS}/no-recharges").json()["board_mode"] == "own"
    body = problem(client.post(SETS, json={"name": "bad", "board_mode": "everyone"}), 422)
    assert "board_mode" in str(body)
    assert client.get(f"{SETS}/bad").status_code == 404


def test_a_shared_run_shows_shares_and_recharges_that_add_up_to_the_penny(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = launch(client, assumptions={"horizon_years": 3})  # rule 10 on, shared by default
    assert execute_run(session_factory, run["id"], heartbeat_seconds=3600) == "optimal"
    result = client.get(f"{RUNS}/{run['id']}").json()
    organisations = client.get(f"{RUNS}/{run['id']}/organisations").json()
    assert organisations["board_mode"] == "shared"
    npv = Decimal(result["npv"])
    assert npv > 0 and organisations["hubs"]
    orgs = organisations["organisations"]
    assert sum(Decimal(o["attributed_npv"]) for o in orgs) == npv
    assert sum(Decimal(o["share"]) for o in orgs) == npv
    assert sum(Decimal(o["recharge"]) for o in orgs) == 0
    assert sum(Decimal(h["npv"]) for h in organisations["hubs"]) == npv
    for hub in organisations["hubs"]:
        people = hub["participants"]
        assert sum(Decimal(p["share"]) for p in people) == Decimal(hub["npv"])
        assert sum(Decimal(p["recharge"]) for p in people) == 0
        assert all(Decimal(p["share"]) >= 0 for p in people)  # theta = 0
        assert all(
            Decimal(p["recharge"]) == Decimal(p["share"]) - Decimal(p["attributed_npv"]) for p in people
        )
        # Members that only join lose on their own (transition at 50 % against the lowest rate) and are
        # paid by the host's recharge.
        assert any(p["role"] == "member" and Decimal(p["recharge"]) > 0 for p in people)
    assert result["outcome_text"].startswith("Best plan found: NPV £")
    assert "Proven to be the best possible plan" in result["outcome_text"]


def test_an_own_mode_set_runs_as_before(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    small_footprint(client)
    assert client.post(SETS, json={"name": "own", "horizon_years": 3, "board_mode": "own"}).status_code == 201
    run = launch(client, assumption_set="own")
    assert execute_run(session_factory, run["id"], heartbeat_seconds=3600) in ("optimal", "feasible")
    organisations = client.get(f"{RUNS}/{run['id']}/organisations").json()
    assert organisations["board_mode"] == "own" and organisations["hubs"] == []
    assert all(o["share"] is None and o["recharge"] is None for o in organisations["organisations"])
    assert sum(Decimal(o["attributed_npv"]) for o in organisations["organisations"]) == Decimal(
        client.get(f"{RUNS}/{run['id']}").json()["npv"]
    )


def test_the_demo_gets_a_plan_in_which_a_ccg_joins_a_hub(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    # Under the old rule (own mode) no CCG ever joined a hub of the demo: a member that only joins could
    # not recover its transition cost at the lowest tier rate. Default assumptions are shared mode.
    with session_factory.begin() as session:
        load_demo(session)
    created = client.post("/footprints/E54000007/runs", json={"options": {"time_limit": 10}})
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    assert execute_run(session_factory, run_id, heartbeat_seconds=3600) in ("optimal", "feasible")
    with session_factory() as session:
        run = session.get(Run, run_id)
        assert run is not None
        kinds = {o["code"]: o["kind"] for o in run.snapshot["organisations"]}
        assert run.snapshot["assumptions"]["board_mode"] == "shared"
    plan = client.get(f"/footprints/E54000007/runs/{run_id}/plan").json()
    assert plan["hubs"]
    members = {m["member"] for h in plan["hubs"] for m in h["members"]}
    assert any(kinds[m] == "CCG" for m in members), members
    result = client.get(f"/footprints/E54000007/runs/{run_id}").json()
    assert Decimal(result["npv"]) > 0 and result["outcome_text"]


FINANCE = FunctionAssumptions((Tier(0.0, 0.0), Tier(2_500_000.0, 0.2)), 0.0, 0.0, 0.5, None)


def pair(mode: BoardMode) -> Problem:
    return Problem(
        organisations=["A", "B", "C"],
        functions=["finance"],
        years=2,
        discount_rate=0.0,
        cost={"A": {"finance": 2_000_000.0}, "B": {"finance": 1_000_000.0}},
        wte={},
        assumptions={"finance": FINANCE},
        board_mode=mode,
    )


def test_the_outcome_in_words() -> None:
    stats = {"best_bound": 108_812_345.0, "relative_gap": 0.0284}
    assert describe("feasible", 105_800_000.0, stats, 60.0, hubs=12) == (
        "Best plan found: NPV £105.8m. Proven to be within 2.8 % of the best possible plan (bound £108.8m). "
        "Stopped at the 60 s limit."
    )
    weak = describe("feasible", 6_900_000.0, {"best_bound": 20e6, "relative_gap": 1.9}, 10.0, hubs=3)
    assert "within 190.0 %" in weak and "not close" in weak
    assert describe("optimal", 376_265.49, {"best_bound": 376_265.49, "relative_gap": 0.0}, 60.0, hubs=2) == (
        "Best plan found: NPV £376,265. Proven to be the best possible plan."
    )
    assert describe("infeasible", None, {"conflicts": ["locks", "board"]}, 60.0, hubs=0) == (
        "No plan meets every rule. The rules that conflict: the locks (must join, must host, keep in house, "
        "may not host, not before year) and board acceptability (rule 10). Relaxing any one of them (raise a "
        "limit, remove or change a lock, or change the board acceptability setting) makes a plan possible."
    )
    assert describe("error", None, {}, 60.0, hubs=0, error_message="boom") == (
        "The optimiser failed and there is no plan. boom"
    )


def test_an_empty_plan_says_what_keeps_each_organisation_out() -> None:
    # Own mode: B joining A makes £700,000 for the footprint but B alone loses £100,000 (0.2 x £1m x 2
    # years - £500,000 transition); A joining B loses A £600,000. C has no costs.
    text = describe(
        "optimal", 0.0, {"best_bound": 0.0, "relative_gap": 0.0}, 60.0, 0, problem=pair(BoardMode.OWN)
    )
    assert text.startswith(
        "The best plan found changes nothing: no hub, NPV £0. Proven to be the best possible"
    )
    assert (
        "A and B: the best hub it could be part of (finance hosted by A, NPV £700,000) breaks board " in text
    )
    assert "B's attributed NPV £-100,000.00 is below -£0.00 (rule 10)" in text
    assert "C: has no costs recorded for any function" in text

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.runs.results import plan_hubs
from app.runs.worker import execute_run
from app.sweeps.schemas import MonteCarlo, SweepCreate
from app.sweeps.service import variations
from models import Run, RunStatus
from tests.app.runs.conftest import FP, RUNS, small_footprint
from tests.helpers import problem

SWEEPS = f"/footprints/{FP}/sweeps"
TINY = {"horizon_years": 2, "board_acceptability": False}


def _run_all(
    client: TestClient, session_factory: sessionmaker[Session], sweep: dict[str, Any]
) -> dict[str, Any]:
    assert client.get(f"{SWEEPS}/{sweep['id']}").json()["finished"] is False
    for run_id in sweep["run_ids"]:
        assert execute_run(session_factory, run_id, heartbeat_seconds=3600) in ("optimal", "feasible")
    aggregate = client.get(f"{SWEEPS}/{sweep['id']}").json()
    assert aggregate["finished"] is True
    return dict(aggregate)


def _check_aggregate(client: TestClient, aggregate: dict[str, Any]) -> None:
    npvs = [Decimal(client.get(f"{RUNS}/{i}").json()["npv"]) for i in aggregate["run_ids"]]
    expected = np.percentile(np.array([float(n) for n in npvs]), [10, 50, 90])
    for key, value in zip(("npv_p10", "npv_p50", "npv_p90"), expected, strict=True):
        assert abs(Decimal(aggregate[key]) - Decimal(repr(float(value)))) <= Decimal("0.01"), key
    assert Decimal(aggregate["npv_p10"]) <= Decimal(aggregate["npv_p50"]) <= Decimal(aggregate["npv_p90"])
    appearances: Counter[tuple[str, str]] = Counter()
    for run_id in aggregate["run_ids"]:
        hubs = {(h["function"], h["host"]) for h in client.get(f"{RUNS}/{run_id}/plan").json()["hubs"]}
        appearances.update(hubs)
    assert {(h["function"], h["host"]): h["share"] for h in aggregate["hubs"]} == {
        key: round(count / len(npvs), 6) for key, count in appearances.items()
    }


def test_a_grid_of_nine_scenarios(
    client: TestClient, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    small_footprint(client)
    created = client.post(
        SWEEPS,
        json={
            "assumptions": TINY,
            "grid": {"savings_multipliers": [0.75, 1, 1.25], "transition_multipliers": [0.5, 1, 1.5]},
            "options": {"time_limit": 20},
        },
    )
    assert created.status_code == 202, created.text
    assert created.headers["location"] == f"{SWEEPS}/{created.json()['id']}"
    sweep = created.json()
    assert sweep["runs"] == 9 and sweep["kind"] == "grid" and sweep["by_status"] == {"queued": 9}
    base_rate = Decimal("0.20")
    top_rates = sorted(
        {
            Decimal(db_session.get(Run, i).snapshot["assumptions"]["functions"]["finance"]["tiers"][-1][1])
            for i in sweep["run_ids"]
        }  # type: ignore[union-attr]
    )
    assert top_rates == [base_rate * Decimal("0.75"), base_rate, base_rate * Decimal("1.25")]
    aggregate = _run_all(client, session_factory, sweep)
    assert aggregate["by_status"] == {"optimal": 9}
    _check_aggregate(client, aggregate)
    # more savings never lowers the best NPV: the P90 scenario is at least the base case
    runs = {i: client.get(f"{RUNS}/{i}").json() for i in aggregate["run_ids"]}
    assert max(Decimal(r["npv"]) for r in runs.values()) == max(
        Decimal(r["npv"]) for r in runs.values() if "savings x1.25, transition x0.5" in r["label"]
    )


def test_fifty_monte_carlo_draws(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    small_footprint(client)
    created = client.post(
        SWEEPS,
        json={"assumptions": TINY, "monte_carlo": {"draws": 50, "seed": 7}, "options": {"time_limit": 20}},
    )
    assert created.status_code == 202, created.text
    sweep = created.json()
    assert sweep["runs"] == 50 and sweep["kind"] == "monte_carlo"
    aggregate = _run_all(client, session_factory, sweep)
    _check_aggregate(client, aggregate)
    assert len({Decimal(client.get(f"{RUNS}/{i}").json()["npv"]) for i in aggregate["run_ids"][:10]}) > 1


def test_draws_are_seeded_and_within_their_triangles() -> None:
    request = SweepCreate(monte_carlo=MonteCarlo(draws=200, seed=3))
    first, again = variations(request), variations(request)
    assert first == again
    assert first != variations(SweepCreate(monte_carlo=MonteCarlo(draws=200, seed=4)))
    savings = [v["savings_multiplier"] for v in first]
    assert min(savings) >= 0.5 and max(savings) <= 1.25
    # the triangular(0.5, 1, 1.25) mean is 0.9167
    assert abs(float(np.mean(savings)) - 2.75 / 3) < 0.03


def test_sweep_refusals(client: TestClient) -> None:
    small_footprint(client)
    problem(client.post(SWEEPS, json={"assumptions": TINY}), 422)
    problem(client.post(SWEEPS, json={"grid": {}, "monte_carlo": {"draws": 2}}), 422)
    problem(
        client.post(SWEEPS, json={"monte_carlo": {"draws": 2, "savings": {"low": 2, "mode": 1, "high": 3}}}),
        422,
    )
    problem(client.get(f"{SWEEPS}/999999"), 404)


def test_children_not_proven_within_the_tolerance_are_counted_apart(
    client: TestClient, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    small_footprint(client)
    created = client.post(
        SWEEPS,
        json={
            "assumptions": TINY,
            "grid": {"savings_multipliers": [0.8, 1, 1.2, 1.4, 1.6]},
            "options": {"time_limit": 20},
        },
    ).json()
    aggregate = _run_all(client, session_factory, created)
    assert aggregate["warning"] is None and aggregate["proven"] == 5 and aggregate["not_proven"] == []
    assert list(aggregate)[0] == "warning"
    # Two children as a time limit leaves them: feasible, 57 % and 307 % from their bound; a third
    # stopped within the 1 % tolerance still counts.
    ids = aggregate["run_ids"]
    for run_id, gap in ((ids[0], 0.57), (ids[4], 3.07), (ids[2], 0.004)):
        run = db_session.get(Run, run_id)
        assert run is not None
        run.status = RunStatus.FEASIBLE
        run.solver_statistics = {**run.solver_statistics, "relative_gap": gap}
    db_session.flush()
    aggregate = client.get(f"{SWEEPS}/{created['id']}").json()
    assert list(aggregate)[0] == "warning"
    assert aggregate["warning"].startswith(
        "2 of 5 scenarios were not proven within 1.0 % of their best possible plan (gaps 57.0 % to 307.0 %)"
    )
    assert aggregate["warning"].endswith("The percentiles use only the 3 proven scenarios.")
    assert aggregate["proven"] == 3
    assert [(c["run_id"], c["relative_gap"]) for c in aggregate["not_proven"]] == [
        (ids[0], 0.57),
        (ids[4], 3.07),
    ]
    proven_npvs = [float(client.get(f"{RUNS}/{i}").json()["npv"]) for i in ids[1:4]]
    for key, q in (("npv_p10", 10), ("npv_p50", 50), ("npv_p90", 90)):
        assert abs(Decimal(aggregate[key]) - Decimal(repr(float(np.percentile(proven_npvs, q))))) <= Decimal(
            "0.01"
        )
    assert [c["proven"] for c in aggregate["children"]] == [False, True, True, True, False]
    # A stricter tolerance is part of the sweep's options.
    strict = client.post(
        SWEEPS,
        json={
            "assumptions": TINY,
            "grid": {"savings_multipliers": [1]},
            "options": {"time_limit": 20, "quality_tolerance": 0.001},
        },
    ).json()
    assert strict["quality_tolerance"] == 0.001


def test_children_start_from_the_central_runs_plan(
    client: TestClient, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    small_footprint(client)
    central = client.post(RUNS, json={"assumptions": TINY, "options": {"time_limit": 20}}).json()
    refused = client.post(
        SWEEPS,
        json={
            "assumptions": TINY,
            "grid": {"savings_multipliers": [1]},
            "options": {"central_run": central["id"]},
        },
    )
    problem(refused, 409)  # still queued: it has no plan to start from
    assert execute_run(session_factory, central["id"], heartbeat_seconds=3600) == "optimal"
    central_plan = client.get(f"{RUNS}/{central['id']}/plan").json()
    assert central_plan["hubs"]
    sweep = client.post(
        SWEEPS,
        json={
            "assumptions": TINY,
            "grid": {"savings_multipliers": [0.9, 1.1]},
            "options": {"time_limit": 20, "central_run": central["id"]},
        },
    ).json()
    for run_id in sweep["run_ids"]:
        assert db_session.get(Run, run_id).options["warm_start_run"] == central["id"]  # type: ignore[union-attr]
    aggregate = _run_all(client, session_factory, sweep)
    assert aggregate["proven"] == 2
    # The stored plan comes back as the solver's hubs unchanged (what the children are handed).
    hubs = plan_hubs(db_session, central["id"])
    assert sorted((h.function, h.host, m.organisation, m.year) for h in hubs for m in h.members) == sorted(
        (h["function"], h["host"], m["member"], m["year"]) for h in central_plan["hubs"] for m in h["members"]
    )

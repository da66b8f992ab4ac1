from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from app.sweeps.schemas import MonteCarlo, SweepCreate
from app.sweeps.service import variations
from models import Run
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

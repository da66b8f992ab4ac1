"""Launch an optimisation run, poll it until it finishes, and read its plan and yearly figures.
Needs a planner's token for the footprint, an analyst's or an admin's (runs:create)."""

import os
import time
from decimal import Decimal

import httpx

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")
FINISHED = {"optimal", "feasible", "infeasible", "error", "cancelled"}

with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
    created = api.post(
        f"/footprints/{FOOTPRINT}/runs",
        json={
            "label": "central case, 10-second look",
            # Inline assumptions; functions left out take the documented defaults.
            "assumptions": {"discount_rate": "0.035", "horizon_years": 5},
            "options": {"time_limit": 10},
        },
    )
    created.raise_for_status()  # 202 Accepted: the run is queued
    run_url = created.headers["Location"]

    run, shown = created.json(), None
    while run["status"] not in FINISHED:
        time.sleep(1)
        run = api.get(run_url).json()
        progress = run["progress"]
        if progress and progress != shown:
            print(f"  {run['status']}: {progress['phase']}, best plan so far £{progress['incumbent']}")
            shown = progress
    npv = Decimal(run["npv"])
    print(f"run {run['id']} {run['status']}: NPV £{npv:,.2f}, payback year {run['payback_year']}")
    if run["status"] == "feasible":
        gap = run["solver_statistics"]["relative_gap"]
        print(f"  stopped at the time limit: no plan is worth more than {gap:.1%} above this one")

    plan = api.get(f"{run_url}/plan").json()
    for hub in plan["hubs"]:
        members = ", ".join(f"{m['member']} (year {m['year']})" for m in hub["members"])
        print(f"  {hub['function']} hub at {hub['host']} from year {hub['opening_year']}: {members}")

    years = api.get(f"{run_url}/years").json()
    for year in years["years"]:
        print(
            f"  year {year['year']}: £{Decimal(year['net_cash']):,.0f} to patient care, "
            f"{year['wte_released']} WTE released"
        )
    assert years["npv"] == run["npv"]

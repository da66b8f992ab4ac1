"""A planner's round: a pessimistic assumption set, a lock, two runs, their comparison, and the review
(which someone other than the run's creator gives). Needs a planner's token for the footprint."""

import os
import time
from decimal import Decimal

import httpx

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")
FINISHED = {"optimal", "feasible", "infeasible", "error", "cancelled"}

with httpx.Client(
    base_url=f"{API}/footprints/{FOOTPRINT}", headers={"Authorization": f"Bearer {TOKEN}"}
) as api:
    # Pessimistic: every saving rate a quarter lower, set-up and transition costs 41 % higher (Green Book
    # "Outsourcing" upper bound); functions left out of "functions" keep the default tiers and costs.
    pessimistic = {
        "name": "pessimistic",
        "description": "Savings -25 %, one-off costs +41 %",
        "optimism_bias_savings_haircut": "0.25",
        "optimism_bias_cost_uplift": "0.41",
    }
    if api.get("/assumption-sets/pessimistic").status_code == 404:
        api.post("/assumption-sets", json=pessimistic).raise_for_status()

    # A decision already taken: no estates moves before year 3. Every later run keeps it.
    lock = {"kind": "not_before_year", "function": "estates", "year": 3, "reason": "estates review first"}
    api.post("/locks", json=lock).raise_for_status()

    options = {"time_limit": 5}
    central = api.post("/runs", json={"label": "central", "options": options}).json()
    downside = api.post(
        "/runs", json={"label": "pessimistic", "assumption_set": "pessimistic", "options": options}
    ).json()
    for run in (central, downside):
        while run["status"] not in FINISHED:
            time.sleep(1)
            run.update(api.get(f"/runs/{run['id']}").json())
        print(f"{run['label']}: {run['status']}, NPV £{Decimal(run['npv']):,.0f}")

    difference = api.get(f"/runs/{central['id']}/compare/{downside['id']}").json()
    print(f"pessimistic minus central: £{Decimal(difference['npv_difference']):,.0f}")
    for change in difference["functions"]:
        print(f"  {change['function']}: hubs opened {change['hubs_opened']}, closed {change['hubs_closed']}")

    # A planner cannot approve a run they created: another planner (or an admin) reviews it.
    review = api.post(f"/runs/{central['id']}/reviews", json={"decision": "approve", "comment": "agreed"})
    print(review.status_code, review.json()["detail"])
    assert review.status_code == 409

"""Run a grid of scenarios (savings 20 % lower, as planned, 20 % higher) and read the spread of NPVs."""

import os
import time
from decimal import Decimal

import httpx

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")

with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
    created = api.post(
        f"/footprints/{FOOTPRINT}/sweeps",
        json={"grid": {"savings_multipliers": [0.8, 1.0, 1.2]}, "options": {"time_limit": 3}},
    )
    created.raise_for_status()
    sweep = created.json()
    print(f"sweep {sweep['id']}: {sweep['runs']} runs queued")

    while not sweep["finished"]:
        time.sleep(2)
        sweep = api.get(f"/footprints/{FOOTPRINT}/sweeps/{sweep['id']}").json()
    print(f"finished: {sweep['by_status']}")
    if sweep["warning"]:
        # Scenarios not proven within the sweep's quality tolerance (1 % unless options say otherwise)
        # are left out of the percentiles: their NPVs would measure the time limit, not the risk.
        print(f"  warning: {sweep['warning']}")
    for name in ("npv_p10", "npv_p50", "npv_p90"):
        value = sweep[name]
        print(f"  {name}: " + ("none (no proven scenario)" if value is None else f"£{Decimal(value):,.2f}"))
    for child in sweep["not_proven"]:
        print(f"  not proven: run {child['run_id']}, gap {child['relative_gap']:.1%}")
    for hub in sweep["hubs"]:
        print(f"  {hub['function']} hub at {hub['host']} in {hub['share']:.0%} of the scenarios")

    # Each scenario is an ordinary run: read any of them as in run.py.
    for run_id in sweep["run_ids"]:
        run = api.get(f"/footprints/{FOOTPRINT}/runs/{run_id}").json()
        print(f"  run {run_id} ({run['label']}): {run['status']}, NPV £{Decimal(run['npv']):,.2f}")

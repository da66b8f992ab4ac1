"""Read every cost line of a footprint, page by page, and check the total against the exact summary."""

import os
from decimal import Decimal

import httpx

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]  # an analyst's (or any role's) token: Authorization: Bearer stp_...
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")

with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
    lines = []
    params = {"limit": 100}
    while True:
        page = api.get(f"/footprints/{FOOTPRINT}/cost-lines", params=params)
        page.raise_for_status()
        body = page.json()
        lines.extend(body["items"])
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]  # keyset cursor: rows added meanwhile are never seen twice
    print(f"{len(lines)} cost lines (the API counted {body['total']})")

    # Money is a decimal string in pounds: add it up as Decimal, never as float.
    total = sum(Decimal(line["total"]) for line in lines)
    summary = api.get(f"/footprints/{FOOTPRINT}/cost-lines/summary").json()
    print(f"sum of the pages £{total:,.2f}; the summary says £{Decimal(summary['total']):,.2f}")
    assert total == Decimal(summary["total"])

    payroll_2017 = api.get(
        f"/footprints/{FOOTPRINT}/cost-lines",
        params={"function": "payroll", "financial_year": "2017/18", "limit": 1000},
    ).json()
    print(f"payroll in 2017/18: {payroll_2017['total']} organisations")

"""What the API answers when a request is wrong: RFC 9457 problem documents, with every problem listed."""

import os

import httpx

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")

with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
    # No token at all: 401, with WWW-Authenticate: Bearer.
    anonymous = httpx.get(f"{API}/footprints")
    print(anonymous.status_code, anonymous.headers["content-type"], anonymous.json()["type"])
    assert anonymous.status_code == 401

    # A footprint that does not exist (or that the token was not granted): 404, the same words either way.
    missing = api.get("/footprints/E54999999/runs")
    print(missing.status_code, missing.json()["type"], "-", missing.json()["detail"])
    assert missing.status_code == 404

    # A filter value that names nothing: 422, and the error lists the values that do exist.
    typo = api.get(f"/footprints/{FOOTPRINT}/cost-lines", params={"function": "payrol"})
    problem = typo.json()
    print(typo.status_code, problem["type"], "-", problem["detail"])
    print("   allowed:", problem["errors"][0].get("allowed"))
    assert typo.status_code == 422

    # An invalid body: 422, and `errors` names every field that is wrong, not only the first.
    invalid = api.post(
        f"/footprints/{FOOTPRINT}/runs",
        json={"assumptions": {"discount_rate": "1.5", "horizon_years": 40}, "options": {"time_limit": -1}},
    )
    problem = invalid.json()
    print(invalid.status_code, problem["type"], "-", problem["detail"])
    for error in problem["errors"]:
        print(f"   {error['field']}: {error['message']}")
    assert invalid.status_code == 422 and len(problem["errors"]) == 3

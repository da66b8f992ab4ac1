from __future__ import annotations

from fastapi.testclient import TestClient

from app.assumption_sets import defaults
from models import FUNCTION_CATALOGUE
from tests.helpers import make_footprint, problem

FP = "E54000007"
BASE = f"/footprints/{FP}/assumption-sets"
FINANCE = {
    "tiers": [{"min_volume": "0", "rate": "0"}, {"min_volume": "2000000.00", "rate": "0.3"}],
    "fixed_cost": "100000.00",
    "setup_cost": "50000.00",
    "transition_rate": "0.25",
    "capacity_multiple": None,
}


def test_a_set_created_with_nothing_takes_the_documented_defaults(client: TestClient) -> None:
    make_footprint(client, FP)
    created = client.post(BASE, json={"name": "central"})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{BASE}/central"
    body = created.json()
    assert body["discount_rate"] == "0.035"
    assert body["horizon_years"] == 5 and body["pace"] is None and body["board_acceptability"] is True
    assert body["functions"] == {}
    assert body["functions_defaulted"] == sorted(key for key, _, _ in FUNCTION_CATALOGUE)
    assert client.get(f"{BASE}/central").json() == body
    assert [s["name"] for s in client.get(BASE).json()] == ["central"]


def test_per_function_figures_round_trip_and_replace(client: TestClient) -> None:
    make_footprint(client, FP)
    created = client.post(
        BASE,
        json={
            "name": "optimistic",
            "functions": {"finance": FINANCE},
            "optimism_bias_cost_uplift": "0.41",
            "optimism_bias_savings_haircut": "0.1",
            "budget": ["1000000.00", None, None, None, None],
        },
    )
    assert created.status_code == 201, created.text
    body = client.get(f"{BASE}/optimistic").json()
    assert body["functions"]["finance"]["tiers"][1] == {"min_volume": "2000000.00", "rate": "0.3"}
    assert body["functions"]["finance"]["transition_rate"] == "0.25"
    assert "finance" not in body["functions_defaulted"]
    assert body["budget"] == ["1000000.00", None, None, None, None]
    assert body["optimism_bias_cost_uplift"] == "0.41"

    replaced = client.put(f"{BASE}/optimistic", json={"horizon_years": 3, "discount_rate": "0.015"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["functions"] == {} and replaced.json()["horizon_years"] == 3
    assert replaced.json()["discount_rate"] == "0.015"

    assert client.delete(f"{BASE}/optimistic").status_code == 204
    problem(client.get(f"{BASE}/optimistic"), 404)


def test_refusals(client: TestClient) -> None:
    make_footprint(client, FP)
    assert client.post(BASE, json={"name": "a"}).status_code == 201
    problem(client.post(BASE, json={"name": "a"}), 409)
    unknown = problem(client.post(BASE, json={"name": "b", "functions": {"astrology": FINANCE}}), 422)
    assert unknown["errors"][0]["value"] == "astrology"
    not_from_zero = {**FINANCE, "tiers": [{"min_volume": "5.00", "rate": "0.1"}]}
    problem(client.post(BASE, json={"name": "c", "functions": {"finance": not_from_zero}}), 422)
    falling = {**FINANCE, "tiers": [{"min_volume": "0", "rate": "0"}, {"min_volume": "0", "rate": "0.1"}]}
    problem(client.post(BASE, json={"name": "c", "functions": {"finance": falling}}), 422)
    problem(client.post(BASE, json={"name": "d", "pace": [1, 2]}), 422)
    problem(client.post(BASE, json={"name": "e", "discount_rate": "1.5"}), 422)
    problem(client.post("/footprints/E54000099/assumption-sets", json={"name": "x"}), 404)


def test_pace_follows_maturity() -> None:
    from models.enums import Maturity

    assert defaults.pace_from_maturity(Maturity.EMERGING, 40) == 4
    assert defaults.pace_from_maturity(Maturity.DEVELOPING, 40) == 8
    assert defaults.pace_from_maturity(Maturity.ADVANCED, 40) == 14
    # never zero, or nothing could ever move
    assert defaults.pace_from_maturity(Maturity.EMERGING, 3) == 1

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"
BASE = f"/footprints/{FP}/locks"


def test_locks_are_created_listed_and_deleted(client: TestClient) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")
    kept = client.post(BASE, json={"kind": "keep_in_house", "organisation": "RAA", "function": "payroll"})
    assert kept.status_code == 201, kept.text
    assert kept.headers["location"] == f"{BASE}/{kept.json()['id']}"
    everyone = client.post(
        BASE, json={"kind": "not_before_year", "function": "estates", "year": 3, "reason": "estates review"}
    )
    assert everyone.status_code == 201, everyone.text
    listed = client.get(BASE).json()
    assert [(lock["kind"], lock["organisation"], lock["function"], lock["year"]) for lock in listed] == [
        ("keep_in_house", "RAA", "payroll", None),
        ("not_before_year", None, "estates", 3),
    ]
    assert listed[1]["reason"] == "estates review"
    assert client.delete(f"{BASE}/{kept.json()['id']}").status_code == 204
    problem(client.delete(f"{BASE}/{kept.json()['id']}"), 404)
    assert len(client.get(BASE).json()) == 1


def test_lock_refusals(client: TestClient) -> None:
    make_footprint(client, FP)
    make_footprint(client, "E54000008")
    make_organisation(client, FP, "RAA")
    make_organisation(client, "E54000008", "RBB")
    body = {"kind": "must_join", "organisation": "RAA", "function": "hr"}
    assert client.post(BASE, json=body).status_code == 201
    problem(client.post(BASE, json=body), 409)
    # an organisation of another footprint is not one of this footprint's
    other = problem(client.post(BASE, json={**body, "organisation": "RBB"}), 422)
    assert other["errors"][0]["field"] == "organisation"
    problem(client.post(BASE, json={**body, "function": "astrology"}), 422)
    problem(client.post(BASE, json={"kind": "must_host", "function": "hr"}), 422)
    problem(client.post(BASE, json={"kind": "not_before_year", "function": "hr"}), 422)
    problem(client.post(BASE, json={**body, "year": 2}), 422)

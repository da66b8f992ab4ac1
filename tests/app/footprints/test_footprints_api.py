from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import make_footprint, make_organisation, problem


def test_footprint_round_trips_through_http(client: TestClient) -> None:
    created = make_footprint(client, "E54000008", name="Cheshire and Merseyside", maturity="emerging")
    assert created["code"] == "E54000008"

    fetched = client.get("/footprints/E54000008").json()
    assert fetched == created
    assert any(f["code"] == "E54000008" for f in client.get("/footprints").json()["items"])

    updated = client.patch("/footprints/E54000008", json={"maturity": "advanced", "region": "North West"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["maturity"] == "advanced"
    assert updated.json()["region"] == "North West"
    assert updated.json()["name"] == "Cheshire and Merseyside"

    assert client.delete("/footprints/E54000008").status_code == 204
    problem(client.get("/footprints/E54000008"), 404)


def test_duplicate_code_is_a_409_problem(client: TestClient) -> None:
    make_footprint(client, "E54000009")
    body = problem(client.post("/footprints", json={"code": "E54000009", "name": "Again"}), 409)
    assert "E54000009" in body["detail"]


def test_bad_field_is_a_422_naming_the_field(client: TestClient) -> None:
    body = problem(client.post("/footprints", json={"code": "X123", "name": "Bad code"}), 422)
    assert [e["field"] for e in body["errors"]] == ["code"]
    body = problem(
        client.post("/footprints", json={"code": "E54000010", "name": "x", "maturity": "old"}), 422
    )
    assert [e["field"] for e in body["errors"]] == ["maturity"]


def test_missing_footprint_is_404_on_every_verb(client: TestClient) -> None:
    problem(client.get("/footprints/E54000999"), 404)
    problem(client.patch("/footprints/E54000999", json={"name": "x"}), 404)
    problem(client.delete("/footprints/E54000999"), 404)


def test_footprint_with_organisations_cannot_be_deleted(client: TestClient) -> None:
    make_footprint(client, "E54000011")
    make_organisation(client, "E54000011", "RMC")
    problem(client.delete("/footprints/E54000011"), 409)


def test_function_catalogue_is_seeded_by_the_migration(client: TestClient) -> None:
    keys = [f["key"] for f in client.get("/functions").json()]
    for key in (
        "finance",
        "payroll",
        "hr",
        "procurement",
        "it",
        "estates",
        "legal",
        "communications",
        "governance",
        "business_intelligence",
    ):
        assert key in keys

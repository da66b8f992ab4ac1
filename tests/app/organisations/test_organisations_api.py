from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import make_footprint, make_organisation, problem


def test_organisation_round_trips_through_http(client: TestClient) -> None:
    make_footprint(client, "E54000007")
    created = make_organisation(
        client, "E54000007", "RMC", name="Bolton NHS Foundation Trust", compatibility_groups={"it": "LDR-GM"}
    )
    assert created["footprint"] == "E54000007"
    assert created["compatibility_groups"] == {"it": "LDR-GM"}
    assert client.get("/footprints/E54000007/organisations/RMC").json() == created
    assert [o["code"] for o in client.get("/footprints/E54000007/organisations").json()["items"]] == ["RMC"]

    updated = client.patch("/footprints/E54000007/organisations/RMC", json={"kind": "CSU", "name": "Renamed"})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["kind"], updated.json()["name"]) == ("CSU", "Renamed")
    assert updated.json()["compatibility_groups"] == {"it": "LDR-GM"}

    assert client.delete("/footprints/E54000007/organisations/RMC").status_code == 204
    problem(client.get("/footprints/E54000007/organisations/RMC"), 404)


def test_organisation_code_is_unique_across_footprints(client: TestClient) -> None:
    make_footprint(client, "E54000007")
    make_footprint(client, "E54000008")
    make_organisation(client, "E54000007", "RMC")
    body = problem(
        client.post("/footprints/E54000008/organisations", json={"code": "RMC", "name": "x", "kind": "CCG"}),
        409,
    )
    assert "RMC" in body["detail"]


def test_organisation_of_another_footprint_is_not_found_here(client: TestClient) -> None:
    make_footprint(client, "E54000007")
    make_footprint(client, "E54000008")
    make_organisation(client, "E54000007", "RMC")
    problem(client.get("/footprints/E54000008/organisations/RMC"), 404)
    problem(client.delete("/footprints/E54000008/organisations/RMC"), 404)


def test_bad_organisation_fields_name_the_field(client: TestClient) -> None:
    make_footprint(client, "E54000007")
    body = problem(
        client.post(
            "/footprints/E54000007/organisations", json={"code": "RMC", "name": "x", "kind": "HOSPITAL"}
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["kind"]
    body = problem(
        client.post("/footprints/E54000007/organisations", json={"code": "r m", "name": "x", "kind": "CCG"}),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["code"]
    body = problem(
        client.post(
            "/footprints/E54000007/organisations",
            json={"code": "RMC", "name": "x", "kind": "CCG", "compatibility_groups": {"warp_drive": "g"}},
        ),
        422,
    )
    assert body["errors"][0]["loc"] == ["body", "compatibility_groups", "warp_drive"]


def test_organisation_in_missing_footprint_is_404(client: TestClient) -> None:
    problem(
        client.post("/footprints/E54000999/organisations", json={"code": "RMC", "name": "x", "kind": "CCG"}),
        404,
    )
    problem(client.get("/footprints/E54000999/organisations"), 404)

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ClientMaker
from tests.helpers import make_footprint, make_organisation, problem

OWN, OTHER = "E54000007", "E54000008"


def test_writes_are_recorded_with_who_what_when_and_where(client: TestClient, client_as: ClientMaker) -> None:
    make_footprint(client, OWN)
    director = client_as("finance_director", OWN, name="Pat Director")
    response = director.post(
        f"/footprints/{OWN}/organisations", json={"code": "RAA", "name": "A", "kind": "CCG"}
    )
    assert response.status_code == 201
    assert director.patch(f"/footprints/{OWN}/organisations/RAA", json={"name": "B"}).status_code == 200
    director.get(f"/footprints/{OWN}/organisations")  # reads are not recorded

    page = client.get("/audit", params={"actor": "Pat Director"}).json()
    assert page["total"] == 2
    newest, oldest = page["items"]
    assert (oldest["action"], oldest["method"], oldest["footprint_code"], oldest["role"]) == (
        "create_organisation",
        "POST",
        OWN,
        "finance_director",
    )
    assert oldest["path"] == f"/footprints/{OWN}/organisations"
    assert newest["action"] == "update_organisation" and newest["at"] >= oldest["at"]


def test_a_failed_write_leaves_no_entry(client: TestClient) -> None:
    make_footprint(client, OWN)
    make_organisation(client, OWN, "RAA")
    before = client.get("/audit").json()["total"]
    problem(
        client.post(f"/footprints/{OWN}/organisations", json={"code": "RAA", "name": "Again", "kind": "CCG"}),
        409,
    )
    problem(client.post(f"/footprints/{OWN}/organisations", json={"code": "R"}), 422)
    problem(client.delete("/footprints/E54000999"), 404)
    assert client.get("/audit").json()["total"] == before


def test_token_changes_through_the_api_are_recorded(client: TestClient) -> None:
    make_footprint(client, OWN)
    issued = client.post("/tokens", json={"name": "Jo", "role": "planner", "footprints": [OWN]}).json()
    client.post(f"/tokens/{issued['id']}/revoke")
    entries = client.get("/audit", params={"footprint": OWN}).json()["items"]
    created = next(e for e in entries if e["action"] == "create_token")
    assert created["details"] == {
        "token_id": issued["id"],
        "name": "Jo",
        "role": "planner",
        "footprints": [OWN],
    }
    assert created["actor"] == "test-admin"
    assert any(e["action"] == "revoke_token" for e in client.get("/audit").json()["items"])
    assert issued["token"] not in str(client.get("/audit").json())


def test_the_trail_is_filtered_and_paginated_newest_first(client: TestClient) -> None:
    for code in (OWN, OTHER):
        make_footprint(client, code)
        for i in range(3):
            make_organisation(client, code, f"R{i}{code[-1]}")
    only_other = client.get("/audit", params={"footprint": OTHER, "action": "create_organisation"}).json()
    assert only_other["total"] == 3
    assert {e["footprint_code"] for e in only_other["items"]} == {OTHER}

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "action": "create_organisation"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/audit", params=params).json()
        seen.extend(e["id"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)
    later = client.get("/audit", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert later["total"] == 0


def test_only_admins_read_the_trail(client: TestClient, client_as: ClientMaker) -> None:
    make_footprint(client, OWN)
    for role, footprints in (("finance_director", [OWN]), ("planner", [OWN]), ("analyst", [])):
        problem(client_as(role, *footprints).get("/audit"), 403)


def test_unknown_action_or_footprint_names_the_allowed_values(client: TestClient) -> None:
    make_footprint(client, OWN)
    make_organisation(client, OWN, "RAA")
    action = problem(client.get("/audit", params={"action": "create_organisaton"}), 422)
    assert action["type"].endswith("/unknown-filter-value")
    assert action["errors"][0]["loc"] == ["query", "action"]
    allowed = action["errors"][0]["allowed"]
    # every write a route records, and the command line's import, even those nobody has done yet
    assert {"create_organisation", "update_cost_line", "review_run", "import_workbook"} <= set(allowed)
    assert "list_organisations" not in allowed and "create_organisation" in action["detail"]
    footprint = problem(client.get("/audit", params={"footprint": "E54000099"}), 422)
    assert footprint["errors"][0]["loc"] == ["query", "footprint"]
    assert OWN in footprint["errors"][0]["allowed"]
    # a known value nothing has been recorded for yet is an empty page, not an error
    assert client.get("/audit", params={"action": "review_run"}).json()["total"] == 0
    both = {"footprint": OWN, "action": "create_organisation"}
    assert client.get("/audit", params=both).json()["total"] == 1
    make_footprint(client, OTHER)
    client.delete(f"/footprints/{OTHER}")
    # the trail of a deleted footprint stays searchable
    assert client.get("/audit", params={"footprint": OTHER}).json()["total"] >= 1

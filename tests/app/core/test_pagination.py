"""Every list is paged like cost lines: `limit`, an opaque `next_cursor`, and the `total` that matched."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.runs.conftest import FP, SMALL_ASSUMPTIONS, small_footprint
from tests.helpers import make_footprint, make_organisation, problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def walk(client: TestClient, url: str, limit: int, key: str, **params: Any) -> tuple[list[Any], list[int]]:
    """Every item's `key` in order, page by page, and the total each page reported."""
    keys: list[Any] = []
    totals: list[int] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "total", "limit", "next_cursor"}
        assert page["limit"] == limit
        assert len(page["items"]) <= limit
        keys += [item[key] for item in page["items"]]
        totals.append(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return keys, totals
    raise AssertionError("the walk never ended")


def test_footprints_are_paged_in_code_order(client: TestClient) -> None:
    codes = [f"E5400000{i}" for i in (5, 1, 9, 3, 7)]
    for code in codes:
        make_footprint(client, code, name=f"Footprint {code}")
    keys, totals = walk(client, "/footprints", 2, "code")
    assert keys == sorted(codes)
    assert totals == [5, 5, 5]


def test_a_scoped_token_pages_only_its_footprints(client: TestClient, client_as: Any) -> None:
    for code in ("E54000001", "E54000002", "E54000003"):
        make_footprint(client, code, name=code)
    planner = client_as("planner", "E54000001", "E54000003")
    keys, totals = walk(planner, "/footprints", 1, "code")
    assert keys == ["E54000001", "E54000003"]
    assert totals == [2, 2]


def test_organisations_are_paged_in_code_order(client: TestClient) -> None:
    make_footprint(client, FP)
    codes = ["RW3", "RBV", "00T", "RM2", "RMC", "01D", "RWJ"]
    for code in codes:
        make_organisation(client, FP, code)
    keys, totals = walk(client, f"/footprints/{FP}/organisations", 3, "code")
    assert keys == sorted(codes)
    assert totals == [7, 7, 7]


def test_runs_are_paged_newest_first_and_filtered(client: TestClient) -> None:
    small_footprint(client)
    ids = []
    for _ in range(5):
        response = client.post(
            f"/footprints/{FP}/runs", json={"assumptions": SMALL_ASSUMPTIONS, "options": {"time_limit": 5}}
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    keys, totals = walk(client, f"/footprints/{FP}/runs", 2, "id")
    assert keys == sorted(ids, reverse=True)
    assert totals == [5, 5, 5]
    queued, _ = walk(client, f"/footprints/{FP}/runs", 10, "id", status="queued")
    assert queued == sorted(ids, reverse=True)
    succeeded, totals = walk(client, f"/footprints/{FP}/runs", 10, "id", status="optimal")
    assert (succeeded, totals) == ([], [0])


def test_uploads_are_paged_oldest_first(client: TestClient) -> None:
    small_footprint(client)
    export = client.get(f"/footprints/{FP}/cost-lines/export.xlsx").content
    ids = []
    for i in range(3):
        response = client.post(f"/footprints/{FP}/uploads", files={"file": (f"costs-{i}.xlsx", export, XLSX)})
        assert response.status_code == 201, response.text
        ids.append(response.json()["upload_id"])
    keys, totals = walk(client, f"/footprints/{FP}/uploads", 2, "id")
    assert keys == sorted(ids)
    assert totals == [3, 3]


def test_tokens_are_paged_oldest_first(client: TestClient, make_token: Any) -> None:
    for i in range(4):
        make_token("analyst", name=f"analyst-{i}")
    keys, totals = walk(client, "/tokens", 2, "name")
    # the admin token that sends the requests was made first
    assert keys == ["test-admin", "analyst-0", "analyst-1", "analyst-2", "analyst-3"]
    assert totals == [5, 5, 5]


def test_audit_is_paged_newest_first_and_a_walk_keeps_its_total(client: TestClient) -> None:
    for code in ("E54000001", "E54000002", "E54000003"):
        make_footprint(client, code, name=code)
    first = client.get("/audit", params={"limit": 2, "action": "create_footprint"}).json()
    assert first["total"] == 3
    # a write during the walk neither shifts the pages nor changes the total the walk started with
    make_footprint(client, "E54000004", name="later")
    second = client.get(
        "/audit", params={"limit": 2, "action": "create_footprint", "cursor": first["next_cursor"]}
    ).json()
    assert second["total"] == 3
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "url", ["/footprints", f"/footprints/{FP}/organisations", f"/footprints/{FP}/runs", "/tokens", "/audit"]
)
def test_a_cursor_from_elsewhere_is_refused(client: TestClient, url: str) -> None:
    make_footprint(client, FP)
    body = problem(client.get(url, params={"cursor": "bm90IGEgY3Vyc29y"}), 422)
    assert body["errors"][0]["loc"] == ["query", "cursor"]
    assert body["detail"].endswith(".")

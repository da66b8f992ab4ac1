"""Small helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

DEMO_LIKE_FOOTPRINT = {
    "code": "E54000007",
    "name": "Greater Manchester",
    "region": "North",
    "maturity": "advanced",
}


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with this status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and "detail" in body
    return body


def make_footprint(client: TestClient, code: str = "E54000007", **fields: Any) -> dict[str, Any]:
    body = {**DEMO_LIKE_FOOTPRINT, "code": code, **fields}
    response = client.post("/footprints", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_organisation(
    client: TestClient, footprint: str, code: str, kind: str = "PROVIDER", **fields: Any
) -> dict[str, Any]:
    body = {"code": code, "name": f"Organisation {code}", "kind": kind, **fields}
    response = client.post(f"/footprints/{footprint}/organisations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())

"""Issue 14, defect 7: what a file is when it is not a workbook, token lifetimes, queued-run caps
(429 with Retry-After) and the token behind each audit entry."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.settings import get_settings
from tests.app.runs.conftest import FP, RUNS, SMALL_ASSUMPTIONS, small_footprint
from tests.app.uploads.helpers import organisations_workbook_with, upload
from tests.conftest import ClientMaker
from tests.helpers import make_footprint, problem


def _png() -> bytes:
    """A real 1x1 PNG, whose chunks hold tabs and commas (it was called "CSV or plain text")."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00a,b\tc")
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_a_png_is_called_an_image(client: TestClient) -> None:
    make_footprint(client, FP)
    body = problem(upload(client, _png(), name="costs.xlsx", footprint=FP), 415)
    assert "PNG image" in body["detail"] and "CSV" not in body["detail"]
    body = problem(upload(client, b"code,function\nRAA,finance\n", name="costs.xlsx", footprint=FP), 415)
    assert "CSV" in body["detail"]


def test_a_token_lives_at_most_a_year(client: TestClient) -> None:
    far = {"name": "forever", "role": "analyst", "expires_at": "9999-12-31T00:00:00Z"}
    body = problem(client.post("/tokens", json=far), 422)
    assert body["errors"][0]["loc"] == ["body", "expires_at"]
    assert "365 days" in body["errors"][0]["message"]
    just = (datetime.now(UTC) + timedelta(days=364)).isoformat()
    assert client.post("/tokens", json={**far, "expires_at": just}).status_code == 201


def test_the_audit_shows_which_token_acted(client: TestClient, client_as: ClientMaker) -> None:
    make_footprint(client, FP)
    created = client.post(
        "/tokens", json={"name": "same name", "role": "finance_director", "footprints": [FP]}
    )
    twin = client.post("/tokens", json={"name": "same name", "role": "finance_director", "footprints": [FP]})
    for issued in (created.json(), twin.json()):
        director = TestClient(client.app, headers={"Authorization": f"Bearer {issued['token']}"})
        response = director.post(
            f"/footprints/{FP}/organisations",
            json={"code": f"R{issued['id']:02d}", "name": "x", "kind": "CCG"},
        )
        assert response.status_code == 201
    entries = client.get("/audit", params={"action": "create_organisation"}).json()["items"]
    assert sorted(e["token_id"] for e in entries) == sorted([created.json()["id"], twin.json()["id"]])


def _run(client: TestClient) -> int:
    body = {"assumptions": SMALL_ASSUMPTIONS, "options": {"time_limit": 5}}
    return client.post(RUNS, json=body).status_code


def test_queued_runs_are_capped_per_token_and_per_footprint(
    client: TestClient, client_as: ClientMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_footprint(client)
    monkeypatch.setattr(get_settings(), "run_max_queued_per_token", 2)
    monkeypatch.setattr(get_settings(), "run_max_queued_per_footprint", 3)
    planner = client_as("planner", FP)
    assert [_run(planner), _run(planner)] == [202, 202]
    response = planner.post(RUNS, json={"assumptions": SMALL_ASSUMPTIONS})
    body = problem(response, 429)
    assert response.headers["Retry-After"] == "30"
    assert "STP_RUN_MAX_QUEUED_PER_TOKEN" in body["detail"]
    other = client_as("planner", FP)
    assert _run(other) == 202
    body = problem(other.post(RUNS, json={"assumptions": SMALL_ASSUMPTIONS}), 429)
    assert "STP_RUN_MAX_QUEUED_PER_FOOTPRINT" in body["detail"]
    # a finished (here: cancelled) run no longer counts
    first = planner.get(RUNS).json()
    run_id = (first["items"] if isinstance(first, dict) else first)[-1]["id"]
    assert planner.post(f"{RUNS}/{run_id}/cancel").status_code == 200
    assert _run(planner) == 202


def test_sweeps_waiting_are_capped_per_token(
    client: TestClient, client_as: ClientMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_footprint(client)
    monkeypatch.setattr(get_settings(), "sweep_max_waiting_per_token", 1)
    planner = client_as("planner", FP)
    sweep = {"assumptions": SMALL_ASSUMPTIONS, "grid": {"savings_multipliers": [0.5, 1.0]}}
    assert planner.post(f"/footprints/{FP}/sweeps", json=sweep).status_code == 202
    response = planner.post(f"/footprints/{FP}/sweeps", json=sweep)
    problem(response, 429)
    assert response.headers["Retry-After"] == "30"


@pytest.mark.parametrize("written", [b"Bad&foo;name", b"Bad&#0;name", b"AT&T", b"Bad&#x1F;name"])
def test_an_xml_reference_a_workbook_may_not_hold_is_reported_at_its_cell(
    client: TestClient, written: bytes
) -> None:
    make_footprint(client, FP)
    shared = organisations_workbook_with(written)
    body = problem(upload(client, shared, footprint=FP), 422)
    assert [(e["sheet"], e["cell"]) for e in body["errors"]] == [("Organisations", "B2")]
    assert "0..0" not in str(body)
    # a reference to a control character the parser reads is refused as that character
    assert "retype the cell" in body["errors"][0]["message"] or "U+001F" in body["errors"][0]["message"]

    assert client.get(f"/footprints/{FP}/uploads").json()["items"][-1]["status"] == "refused"

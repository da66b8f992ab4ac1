from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text

from app.auth import service
from models import ApiToken
from tests.conftest import ClientMaker
from tests.databases import fresh_database_url
from tests.helpers import make_footprint, make_organisation, problem

OWN, OTHER = "E54000007", "E54000008"


def _issue(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/tokens", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, connection: Connection
) -> None:
    make_footprint(client, OWN)
    issued = _issue(client, name="Jo Planner", role="planner", footprints=[OWN])
    secret = issued["token"]
    assert len(secret) > 40

    stored = connection.execute(text("SELECT * FROM api_token WHERE id = :id"), {"id": issued["id"]}).one()
    assert secret not in [str(value) for value in stored]
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "token" not in client.get(f"/tokens/{issued['id']}").json()
    assert all("token" not in t for t in client.get("/tokens").json()["items"])

    as_planner = TestClient(client.app, headers={"Authorization": f"Bearer {secret}"})
    assert as_planner.get(f"/footprints/{OWN}").status_code == 200


def test_the_constant_time_comparison_decides(
    client: TestClient, client_as: ClientMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_footprint(client, OWN)
    planner = client_as("planner", OWN)
    compared: list[tuple[bytes, bytes]] = []

    def refuse(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return False

    monkeypatch.setattr(service.hmac, "compare_digest", refuse)
    problem(planner.get(f"/footprints/{OWN}"), 401)
    assert compared and compared[0][0] == compared[0][1]


def test_no_token_a_malformed_or_unknown_one_is_401_with_a_bearer_challenge(
    client: TestClient, anonymous_client: TestClient
) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer stp_made-up"}):
        response = anonymous_client.get("/footprints", headers=headers)
        problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert anonymous_client.get("/health").status_code == 200
    assert anonymous_client.get("/openapi.json").status_code == 200
    assert anonymous_client.get("/docs").status_code == 200


def test_a_token_revoked_through_the_api_stops_working_at_once(client: TestClient) -> None:
    make_footprint(client, OWN)
    issued = _issue(client, name="short-lived", role="finance_director", footprints=[OWN])
    holder = TestClient(client.app, headers={"Authorization": f"Bearer {issued['token']}"})
    assert holder.get("/footprints").status_code == 200

    revoked = client.post(f"/tokens/{issued['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = holder.get("/footprints")
    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    problem(client.post(f"/tokens/{issued['id']}/revoke"), 409)


def test_a_scoped_token_sees_only_its_footprints_in_lists(client: TestClient, client_as: ClientMaker) -> None:
    for code, organisation in ((OWN, "RAA"), (OTHER, "RBB")):
        make_footprint(client, code)
        make_organisation(client, code, organisation)
        line = {
            "organisation": organisation,
            "function": "hr",
            "financial_year": "2017/18",
            "pay": "1",
            "non_pay": "0",
        }
        assert client.post(f"/footprints/{code}/cost-lines", json=line).status_code == 201
    director = client_as("finance_director", OWN)

    assert [f["code"] for f in director.get("/footprints").json()["items"]] == [OWN]
    assert {f["code"] for f in client.get("/footprints").json()["items"]} >= {OWN, OTHER}

    def footprints_of(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [line["footprint"] for line in response.json()["items"]]

    assert footprints_of(director.get("/cost-lines")) == [OWN]
    assert footprints_of(director.get("/cost-lines", params={"footprint": OTHER})) == []
    assert footprints_of(director.get("/cost-lines", params={"footprint": [OWN, OTHER]})) == [OWN]
    assert sorted(footprints_of(client.get("/cost-lines", params={"footprint": [OWN, OTHER]}))) == [
        OWN,
        OTHER,
    ]
    # not granted and not existing look the same
    assert director.get(f"/footprints/{OTHER}").json()["detail"] == director.get(
        "/footprints/E54000999"
    ).json()["detail"].replace("E54000999", OTHER)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "fd", "role": "finance_director", "footprints": []}, "footprints"),
        ({"name": "an", "role": "analyst", "footprints": [OWN]}, "footprints"),
        ({"name": "fd", "role": "finance_director", "footprints": ["E54000999"]}, "footprints"),
        ({"name": " ", "role": "admin"}, "name"),
        ({"name": "old", "role": "admin", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "role": "superuser"}, "role"),
    ],
)
def test_a_token_that_makes_no_sense_is_refused(client: TestClient, body: dict[str, Any], field: str) -> None:
    make_footprint(client, OWN)
    errors = problem(client.post("/tokens", json=body), 422)["errors"]
    assert any(field in str(e.get("loc")) for e in errors), errors


def _stpplan(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    cwd = Path(__file__).resolve().parents[3]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_command_line_creates_lists_revokes_and_bootstraps_tokens(tmp_path: Path) -> None:
    with fresh_database_url("sqlite", tmp_path) as url:
        first = _stpplan(url, "token", "bootstrap")
        assert first.returncode == 0, first.stderr
        secret = next(w for w in first.stdout.split() if w.startswith("stp_"))
        again = _stpplan(url, "token", "bootstrap")
        assert "stp_" not in again.stdout and "exists already" in again.stdout

        refused = _stpplan(url, "token", "create", "--role", "planner", "--footprint", OWN, "--name", "Jo")
        assert refused.returncode == 1 and f"no footprint {OWN}" in refused.stderr

        created = _stpplan(url, "token", "create", "--role", "analyst", "--name", "Ann Alyst")
        assert created.returncode == 0, created.stderr
        analyst_secret = created.stdout.split()[-1]
        listed = _stpplan(url, "token", "list").stdout
        assert "demo-admin" in listed and "Ann Alyst" in listed
        assert secret not in listed and analyst_secret not in listed

        assert _stpplan(url, "token", "revoke", "Ann Alyst").returncode == 0
        assert "revoked" in _stpplan(url, "token", "list").stdout

        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as conn:
            hashes = conn.scalars(select(ApiToken.token_hash)).all()
            actions = conn.execute(text("SELECT action, actor FROM audit_entry ORDER BY id")).all()
        engine.dispose()
        assert service.hash_secret(secret) in hashes and secret not in hashes
        assert [a for a, _ in actions] == ["bootstrap_token", "create_token", "revoke_token"]
        assert all(actor.startswith("cli:") for _, actor in actions)


def test_the_openapi_description_declares_the_bearer_scheme_per_operation(
    anonymous_client: TestClient,
) -> None:
    description = anonymous_client.get("/openapi.json").json()
    assert description["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": description["components"]["securitySchemes"]["bearer"]["description"],
    }
    operations = description["paths"]
    assert operations["/footprints/{code}/organisations"]["post"]["security"] == [{"bearer": ["data:write"]}]
    assert operations["/audit"]["get"]["security"] == [{"bearer": ["audit:read"]}]
    assert "security" not in operations["/health"]["get"]
    responses = operations["/footprints/{code}/cost-lines"]["get"]["responses"]
    assert {"401", "403", "404", "422"} <= set(responses)
    assert "application/problem+json" in responses["401"]["content"]

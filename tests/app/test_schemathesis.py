"""Property-based conformance: schemathesis generates requests from the OpenAPI description and checks,
with an admin token, that nothing answers 5xx or contradicts the description (status codes, content
types, headers, bodies). Bounded: a few examples per operation, so a run takes well under a minute.

schemathesis' pytest plugin does not work with this pytest, so each operation's strategy is run by
hypothesis directly, inside one test (one database transaction per backend).
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import TokenMaker
from tests.helpers import make_footprint, make_organisation, problem

DEMO = "E54000007"
EXAMPLES_PER_OPERATION = 10


def test_the_api_keeps_to_its_description(
    api_app: FastAPI, client: TestClient, make_token: TokenMaker
) -> None:
    # something to find, so not every generated request ends in a 404
    make_footprint(client, DEMO)
    make_organisation(client, DEMO, "RAA")
    headers = {"Authorization": f"Bearer {make_token('admin', name='schemathesis')}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: Case) -> None:
            # valid data may still be refused here (a footprint that does not exist is a 404), so
            # positive_data_acceptance does not apply; every other check does
            # generated footprint codes would all be 404s (the matrix test covers those): name real ones
            for name, value in (("code", DEMO), ("org_code", "RAA")):
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            conforms()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


def test_a_value_the_database_refuses_is_a_422_not_a_500(client: TestClient, backend: str) -> None:
    """Found by schemathesis: PostgreSQL refuses NUL characters in text (SQLite stores them)."""
    # (no organisation has that code, so it is refused as an unknown filter value before any comparison)
    problem(client.get("/cost-lines", params={"organisation": "R\x00A"}), 422)
    response = client.post("/footprints", json={"code": "E54000042", "name": "Nul\x00"})
    if backend == "postgresql":
        problem(response, 422)
        assert client.get("/audit", params={"action": "create_footprint"}).json()["total"] == 0


def test_an_id_beyond_any_integer_column_is_a_422_not_a_500(client: TestClient) -> None:
    """Found by schemathesis: SQLite's driver raises OverflowError for an id beyond 64 bits."""
    make_footprint(client, DEMO)
    problem(client.get(f"/footprints/{DEMO}/cost-lines/99999999999999999999"), 422)
    problem(client.get("/tokens/99999999999999999999"), 422)


def test_an_assumption_set_named_beyond_latin_1_gets_a_usable_location(client: TestClient) -> None:
    """Found by schemathesis: the Location header of a name like "Ā" could not be encoded."""
    make_footprint(client, DEMO)
    created = client.post(f"/footprints/{DEMO}/assumption-sets", json={"name": "Plan Ā"})
    assert created.status_code == 201, created.text
    assert client.get(created.headers["location"]).status_code == 200
